"""`bigcats maps` commands: merge partner files into a GeoPackage, unify a habitat raster, render a map."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from rasterio.transform import from_origin
from typer.testing import CliRunner

from bigcats.cli.maps import app

runner = CliRunner()
LAEA = "+proj=laea +lat_0=43.2 +lon_0=131.2 +datum=WGS84 +units=m"


def test_merge_habitat_render(tmp_path: Path):
    gpd.GeoDataFrame({"name": ["RU park"]}, geometry=[shapely.box(-10000, -5000, 0, 5000)], crs=LAEA).to_crs("EPSG:28422").to_file(tmp_path / "rus.gpkg")
    gpd.GeoDataFrame({"name": ["CN park"]}, geometry=[shapely.box(500, -5000, 10000, 5000)], crs=LAEA).to_crs("EPSG:4490").to_file(tmp_path / "chn.gpkg")
    r = runner.invoke(app, ["merge", f"{tmp_path / 'rus.gpkg'}:kind=parks,country=RUS", f"{tmp_path / 'chn.gpkg'}:kind=parks,country=CHN",
                            "--out", str(tmp_path / "area.gpkg"), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["layers"]["parks"] == 2 and any("Pulkovo 1942 to WGS 84" in t for t in res["transformations"])
    gap = [i for i in res["border_issues"] if i["issue"] == "gap"]
    assert len(gap) == 1 and abs(gap[0]["area_km2"] - 5.0) < 0.01
    assert {n for n, _ in pyogrio.list_layers(tmp_path / "area.gpkg")} == {"parks", "border_issues"}

    arr = np.full((100, 200), 5, np.uint8)
    with rasterio.open(tmp_path / "h.tif", "w", driver="GTiff", width=200, height=100, count=1, dtype="uint8", crs=LAEA,
                       transform=from_origin(-10000, 5000, 100, 100)) as dst:
        dst.write(arr, 1)
    pd.DataFrame({"scheme": ["CHN"], "national_class": [5], "unified_code": [1], "unified_class": ["forest"]}).to_csv(tmp_path / "cw.csv", index=False)
    r = runner.invoke(app, ["habitat", str(tmp_path / "h.tif"), "--crosswalk", str(tmp_path / "cw.csv"), "--scheme", "CHN",
                            "--zones", str(tmp_path / "area.gpkg"), "--out", str(tmp_path / "u.tif"), "--json"])
    assert r.exit_code == 0, r.output
    areas = {a["name"]: a["area_km2"] for a in json.loads(r.stdout)["areas"]}
    assert abs(areas["RU park"] - 100) < 0.2 and abs(areas["CN park"] - 95) < 0.2

    (tmp_path / "labels.json").write_text(json.dumps({"title": "Трансграничная территория", "scale_unit": "км", "north": "С",
                                                      "layers": ["Парки"]}, ensure_ascii=False), encoding="utf-8")
    r = runner.invoke(app, ["render", str(tmp_path / "area.gpkg"), "--out", str(tmp_path / "map"), "--labels", str(tmp_path / "labels.json"),
                            "--lang", "ru", "--color-by", "country", "--json"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "map.png").exists() and "Трансграничная" in (tmp_path / "map.svg").read_text(encoding="utf-8")


def test_merge_refuses_invalid_geometry(tmp_path: Path):
    bow = shapely.Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000)])
    gpd.GeoDataFrame({"name": ["bad"]}, geometry=[bow], crs=LAEA).to_file(tmp_path / "b.gpkg")
    r = runner.invoke(app, ["merge", f"{tmp_path / 'b.gpkg'}:kind=zones,country=MNG", "--out", str(tmp_path / "o.gpkg")])
    assert r.exit_code == 1 and "feature 0 ('bad'): invalid geometry" in " ".join(r.output.split())
    assert not (tmp_path / "o.gpkg").exists()
