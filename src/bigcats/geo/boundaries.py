"""Partner boundary files (parks, zones, survey units) checked, reprojected and merged into one GeoPackage.

Also finds the gaps and overlaps where two partners' boundaries meet along the border.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

GRID_M = 0.01  # precision of border overlays, in metres

from bigcats.geo.areas import equal_area_crs
from bigcats.geo.crs import WGS84, parse_crs, reproject, require_crs
from bigcats.geo.errors import GeoError

LAYERS = ("parks", "zones", "units")
BOUNDARY_COLUMNS = ["name", "kind", "country", "partner", "source", "geometry"]


def _read_vector(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    if not path.exists():
        raise GeoError(f"{path}: file not found")
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises its own DataSourceError/DataLayerError types
        raise GeoError(f"{path}: cannot read as a vector file ({exc})") from None


def check_polygons(gdf: gpd.GeoDataFrame, name_field: str, source: str, repair: bool = False) -> gpd.GeoDataFrame:
    """The frame with valid, non-empty polygonal geometries, or a GeoError naming each bad feature and why.

    With repair=True invalid geometries are fixed by shapely.make_valid (keeping polygonal parts) instead.
    """
    geoms = gdf.geometry.values
    names = gdf[name_field].astype(str).to_numpy()
    missing = gdf.geometry.isna().to_numpy() | shapely.is_empty(geoms)
    polygonal = np.isin(shapely.get_type_id(geoms), [3, 6])
    problems = [f"feature {i} ({names[i]!r}): no geometry" for i in np.flatnonzero(missing)]
    types = gdf.geometry.geom_type.to_numpy()
    problems += [f"feature {i} ({names[i]!r}): a {types[i]} is not a polygon" for i in np.flatnonzero(~missing & ~polygonal)]
    invalid = ~missing & polygonal & ~shapely.is_valid(geoms)
    if invalid.any() and repair:
        fixed = shapely.make_valid(geoms[invalid])
        # make_valid can return collections with stray lines; only the polygonal part is a boundary.
        fixed = np.array([shapely.union_all(shapely.get_parts(g)[np.isin(shapely.get_type_id(shapely.get_parts(g)), [3, 6])])
                          for g in fixed], dtype=object)
        geoms = geoms.copy()
        geoms[invalid] = fixed
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    elif invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        problems += [f"feature {i} ({names[i]!r}): invalid geometry: {r}"
                     for i, r in zip(np.flatnonzero(invalid), reasons)]
    if problems:
        shown = "\n  ".join(problems[:20]) + (f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else "")
        hint = "" if repair else "\n(fix them in QGIS, or ask bigcats to repair with make_valid: --repair)"
        raise GeoError(f"{source}: {len(problems)} bad geometr{'y' if len(problems) == 1 else 'ies'}, nothing imported:\n  {shown}{hint}")
    return gdf


def read_boundaries(
    path: str | Path,
    kind: str,
    name_field: str = "name",
    country: str | None = None,
    country_field: str | None = None,
    partner: str | None = None,
    layer: str | None = None,
    crs: str | int | pyproj.CRS | None = None,
    repair: bool = False,
    to_crs: str | int | pyproj.CRS = WGS84,
) -> gpd.GeoDataFrame:
    """One partner's boundary file as a checked frame (name, kind, country, partner, source) in to_crs.

    crs names the CRS only for a file that carries none (e.g. a shapefile without .prj); a file with a CRS keeps it.
    """
    path = Path(path)
    if kind not in LAYERS:
        raise GeoError(f"{path}: kind {kind!r} is not one of {', '.join(LAYERS)}")
    gdf = _read_vector(path, layer)
    if gdf.crs is None and crs is not None:
        gdf = gdf.set_crs(parse_crs(crs))
    require_crs(gdf, str(path))
    if name_field not in gdf.columns:
        raise GeoError(f"{path}: no field {name_field!r} for the feature names; fields are: {', '.join(map(str, gdf.columns.drop('geometry')))}")
    if country_field is not None and country_field not in gdf.columns:
        raise GeoError(f"{path}: no field {country_field!r} for the country")
    if country is None and country_field is None:
        raise GeoError(f"{path}: say which country side the boundaries belong to (country or country_field)")
    gdf = check_polygons(gdf, name_field, str(path), repair)
    out = gpd.GeoDataFrame(
        {
            "name": gdf[name_field].astype(str).to_numpy(),
            "kind": kind,
            "country": gdf[country_field].astype(str).to_numpy() if country_field else country,
            "partner": partner if partner is not None else "",
            "source": path.name,
        },
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    out = reproject(out, to_crs, source=str(path))
    # Reprojection can turn a barely valid ring invalid; catch it here rather than in QGIS.
    return check_polygons(out, "name", f"{path} (after reprojection)", repair)


def merge_boundaries(frames: list[gpd.GeoDataFrame], to_crs: str | int | pyproj.CRS = WGS84) -> dict[str, gpd.GeoDataFrame]:
    """Frames from read_boundaries merged into one frame per layer (parks, zones, units), all in to_crs."""
    if not frames:
        raise GeoError("no boundary files given")
    dst = parse_crs(to_crs)
    merged = pd.concat([reproject(f, dst) for f in frames], ignore_index=True)
    merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=dst)
    return {kind: part.reset_index(drop=True) for kind, part in merged.groupby("kind", sort=False)}


def write_geopackage(layers: dict[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    """Write layers into one GeoPackage atomically: a temporary file renamed into place, so never half-written."""
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise GeoError(f"{path}: a GeoPackage file name must end in .gpkg")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".gpkg", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # pyogrio creates the file itself
    try:
        for name, gdf in layers.items():
            if gdf.crs is None:
                raise GeoError(f"layer {name!r} has no CRS")
            gdf.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def border_gaps_overlaps(
    gdf: gpd.GeoDataFrame,
    by: str = "country",
    tolerance_m: float = 1000.0,
    min_area_m2: float = 1.0,
) -> gpd.GeoDataFrame:
    """Gaps (narrower than tolerance_m) and overlaps between each pair of sides where their boundaries meet.

    A gap is a part of the morphological closing of the two sides' union that neither covers and that touches
    both; an overlap is any part covered by both. Areas in km² in an equal-area projection; geometry in gdf's CRS.
    """
    src = require_crs(gdf)
    if by not in gdf.columns:
        raise GeoError(f"no column {by!r} to tell the sides apart")
    ea = equal_area_crs(gdf)
    proj = reproject(gdf, ea)
    # A 1 cm precision grid keeps overlay robust where partners' edges nearly coincide after reprojection
    # (without it GEOS can raise a TopologyException on such slivers).
    sides = {k: shapely.union_all(g.geometry.values, grid_size=GRID_M) for k, g in proj.groupby(by, sort=True)}
    keys = list(sides)
    rows = []
    eps = 1e-3 * tolerance_m
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            ga, gb = sides[a], sides[b]
            overlap = shapely.intersection(ga, gb, grid_size=GRID_M)
            union = shapely.union(ga, gb, grid_size=GRID_M)
            # Mitred buffers keep straight borders straight, so a gap between parallel edges is measured exactly.
            closed = shapely.buffer(shapely.buffer(union, tolerance_m, join_style="mitre"), -tolerance_m, join_style="mitre")
            gap = shapely.difference(closed, union, grid_size=GRID_M)
            # Floating-point slivers of zero width along the outline are not gaps: a tiny opening removes them.
            gap = shapely.buffer(shapely.buffer(gap, -eps, join_style="mitre"), eps, join_style="mitre")
            for what, geom in (("overlap", overlap), ("gap", gap)):
                parts = shapely.get_parts(geom)
                parts = parts[np.isin(shapely.get_type_id(parts), [3, 6])]
                if what == "gap":
                    # a gap between the two sides touches both; notches in one side's own outline are not border gaps
                    near_a = shapely.dwithin(parts, ga, eps)
                    near_b = shapely.dwithin(parts, gb, eps)
                    parts = parts[near_a & near_b]
                parts = parts[shapely.area(parts) >= min_area_m2]
                rows += [{"issue": what, "side_a": a, "side_b": b, "area_km2": float(shapely.area(p)) / 1e6, "geometry": p}
                         for p in parts]
    out = gpd.GeoDataFrame(rows, columns=["issue", "side_a", "side_b", "area_km2", "geometry"], geometry="geometry", crs=ea)
    return reproject(out, src) if len(out) else out.set_crs(src, allow_override=True)
