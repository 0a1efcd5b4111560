"""Benchmark of bigcats.geo: reproject + merge boundaries of many vertices; windowed zonal summary of a big raster.

Each step runs in its own process so its peak memory (ru_maxrss) is its own.
Usage: .venv/bin/python benchmarks/bench_geo.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def step_boundaries(vertices: int, workdir: Path) -> dict:
    """Two partners' parks (Pulkovo GK zone 22 and CGCS2000) with `vertices` vertices in all: read, reproject, merge, write."""
    import geopandas as gpd
    import shapely

    from bigcats.geo.boundaries import border_gaps_overlaps, merge_boundaries, read_boundaries, write_geopackage

    laea = "+proj=laea +lat_0=43.2 +lon_0=131.2 +datum=WGS84 +units=m"
    n_parks = 50
    per = vertices // (2 * n_parks)
    ang = np.linspace(0, 2 * np.pi, per, endpoint=False)
    rng = np.random.default_rng(0)

    def parks(x0: float) -> list:
        out = []
        for i in range(n_parks):
            r = 4000 * (1 + 0.1 * np.sin(7 * ang + i))
            cx, cy = x0 + (i % 5) * 9000, (i // 5) * 9000
            out.append(shapely.Polygon(np.c_[cx + r * np.cos(ang), cy + r * np.sin(ang)]))
        return out

    rus = gpd.GeoDataFrame({"name": [f"RU{i}" for i in range(n_parks)]}, geometry=parks(-40000), crs=laea).to_crs("EPSG:28422")
    chn = gpd.GeoDataFrame({"name": [f"CN{i}" for i in range(n_parks)]}, geometry=parks(1000), crs=laea).to_crs("EPSG:4490")
    rus.to_file(workdir / "rus.gpkg")
    chn.to_file(workdir / "chn.gpkg")
    del rng
    t0 = time.perf_counter()
    frames = [read_boundaries(workdir / "rus.gpkg", "parks", country="RUS"), read_boundaries(workdir / "chn.gpkg", "parks", country="CHN")]
    t1 = time.perf_counter()
    layers = merge_boundaries(frames)
    write_geopackage(layers, workdir / "merged.gpkg")
    t2 = time.perf_counter()
    issues = border_gaps_overlaps(layers["parks"], tolerance_m=1000)
    t3 = time.perf_counter()
    return {"step": f"boundaries {vertices:,} vertices", "read+check+reproject_s": t1 - t0, "merge+write_gpkg_s": t2 - t1,
            "gaps_overlaps_s": t3 - t2, "total_s": t3 - t0, "peak_MiB": _peak_mib(), "border_issues": len(issues)}


def step_raster(size: int, workdir: Path) -> dict:
    """A size x size uint8 national habitat raster (written window by window), summarised by zone with a crosswalk."""
    import geopandas as gpd
    import pandas as pd
    import rasterio
    import shapely
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    from bigcats.geo.habitat import read_crosswalk, zonal_class_areas

    laea = "+proj=laea +lat_0=43.2 +lon_0=131.2 +datum=WGS84 +units=m"
    cell = 30.0
    path = workdir / "habitat.tif"
    rng = np.random.default_rng(1)
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1, dtype="uint8", crs=laea, nodata=0,
                       transform=from_origin(0, size * cell, cell, cell), tiled=True, blockxsize=256, blockysize=256,
                       compress="deflate") as dst:
        for r in range(0, size, 1024):
            h = min(1024, size - r)
            block = (rng.integers(1, 13, (h // 8 + 1, size // 8 + 1), dtype=np.uint8).repeat(8, 0).repeat(8, 1))[:h, :size]
            dst.write(block, 1, window=Window(0, r, size, h))
    cw = read_crosswalk(pd.DataFrame({"scheme": "CHN", "national_class": [str(c) for c in range(1, 13)],
                                      "unified_code": [1 + c % 5 for c in range(1, 13)], "unified_class": [f"class{1 + c % 5}" for c in range(1, 13)]}))
    ext = size * cell
    # 16 survey units in a 4 x 4 grid plus a circle cut out: polygons with curved and straight edges
    zones = [shapely.box(i * ext / 4, j * ext / 4, (i + 1) * ext / 4, (j + 1) * ext / 4) for i in range(4) for j in range(4)]
    gdf = gpd.GeoDataFrame({"unit": [f"U{k}" for k in range(16)]}, geometry=zones, crs=laea)
    gdf.loc[5, "geometry"] = gdf.geometry[5].difference(shapely.Point(ext * 0.3, ext * 0.3).buffer(ext * 0.05))
    t0 = time.perf_counter()
    res = zonal_class_areas(path, gdf, "unit", cw, "CHN", block=1024)
    t1 = time.perf_counter()
    return {"step": f"zonal summary {size:,} x {size:,} raster, 16 zones", "total_s": t1 - t0, "peak_MiB": _peak_mib(),
            "mpixels_per_s": size * size / 1e6 / (t1 - t0), "area_km2": float(res["area_km2"].sum()),
            "expected_area_km2": ext * ext / 1e6 - np.pi * (ext * 0.05) ** 2 / 1e6}


def main() -> None:
    """Run each step in a child process and print a table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--step", choices=["boundaries", "raster"])
    ap.add_argument("--size", type=int)
    ap.add_argument("--workdir")
    a = ap.parse_args()
    if a.step:
        fn = step_boundaries if a.step == "boundaries" else step_raster
        print(json.dumps(fn(a.size, Path(a.workdir))))
        return
    vertices, size = (10_000, 2_000) if a.quick else (100_000, 10_000)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for step, n in (("boundaries", vertices), ("raster", size)):
            out = subprocess.run([sys.executable, __file__, "--step", step, "--size", str(n), "--workdir", tmp],
                                 check=True, capture_output=True, text=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
    for r in rows:
        print(r["step"])
        for k, v in r.items():
            if k != "step":
                print(f"  {k:26s} {v:,.2f}" if isinstance(v, float) else f"  {k:26s} {v}")


if __name__ == "__main__":
    main()
