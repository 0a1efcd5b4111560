"""Crosswalk on synthetic GeoTIFFs and polygons: class areas, station covariates, SCR mask, missing classes."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from bigcats.geo.errors import GeoError
from bigcats.geo.habitat import (apply_crosswalk, class_areas_polygons, habitat_at_stations, habitat_mask, read_crosswalk,
                                 reclassify_raster, zonal_class_areas)
from bigcats.geo.maps import Layer, render_map

LAEA = "+proj=laea +lat_0=43.5 +lon_0=131 +datum=WGS84 +units=m"
CW = pd.DataFrame({"scheme": ["CHN"] * 3 + ["RUS"] * 2, "national_class": ["11", "22", "33", "A", "B"],
                   "unified_code": [1, 2, 1, 1, 3], "unified_class": ["forest", "grassland", "forest", "forest", "wetland"]})


def _raster(path: Path, arr: np.ndarray, crs: str | None, transform) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1, dtype=arr.dtype,
                       crs=crs, transform=transform) as dst:
        dst.write(arr, 1)
    return path


@pytest.fixture
def chn_raster(tmp_path: Path) -> Path:
    arr = np.full((100, 200), 22, np.uint8)  # 100 m cells: 10 x 20 km
    arr[:, :100] = 11
    arr[:10, :10] = 33  # 1 km² of a second forest class
    return _raster(tmp_path / "chn.tif", arr, LAEA, from_origin(0, 10000, 100, 100))


def _zones():
    return gpd.GeoDataFrame({"zone": ["W", "E"]}, geometry=[shapely.box(0, 0, 10000, 10000), shapely.box(10000, 0, 20000, 10000)], crs=LAEA)


def test_zonal_areas_of_unified_classes(chn_raster: Path, tmp_path: Path):
    cw = read_crosswalk(CW)
    res = zonal_class_areas(chn_raster, _zones().to_crs(4326), "zone", cw, "CHN", block=37)  # odd block: edges of windows
    got = res.set_index(["zone", "unified_class"])["area_km2"]
    assert got[("W", "forest")] == pytest.approx(100.0, rel=1e-6)
    assert got[("E", "grassland")] == pytest.approx(100.0, rel=1e-6)
    assert len(res) == 2
    out = reclassify_raster(chn_raster, tmp_path / "u.tif", cw, "CHN", block=64)
    with rasterio.open(out) as src:
        u = src.read(1)
    assert set(np.unique(u[:, :100])) == {1} and set(np.unique(u[:, 100:])) == {2}


def test_geographic_raster_uses_true_cell_areas(tmp_path: Path):
    arr = np.full((60, 60), 11, np.uint8)  # 0.01° cells over 0.6° x 0.6°
    path = _raster(tmp_path / "geo.tif", arr, "EPSG:4326", from_origin(130.5, 43.8, 0.01, 0.01))
    zone = gpd.GeoDataFrame({"zone": ["all"]}, geometry=[shapely.box(130.4, 43.1, 131.2, 43.9)], crs=4326)
    res = zonal_class_areas(path, zone, "zone", read_crosswalk(CW), "CHN")
    expected = abs(pyproj.Geod(ellps="WGS84").geometry_area_perimeter(shapely.box(130.5, 43.2, 131.1, 43.8).segmentize(0.01))[0]) / 1e6
    assert res["area_km2"].iloc[0] == pytest.approx(expected, rel=1e-4)


def test_missing_class_is_named_and_nothing_written(chn_raster: Path, tmp_path: Path):
    cw = read_crosswalk(CW[CW["national_class"] != "33"])
    with pytest.raises(GeoError, match=r"code\(s\) \[33\] missing from the crosswalk for scheme 'CHN'"):
        reclassify_raster(chn_raster, tmp_path / "out" / "u.tif", cw, "CHN")
    assert not (tmp_path / "out" / "u.tif").exists() and list((tmp_path / "out").iterdir()) == []
    with pytest.raises(GeoError, match="33"):
        zonal_class_areas(chn_raster, _zones(), "zone", cw, "CHN")


def test_raster_without_crs_is_refused(tmp_path: Path):
    path = _raster(tmp_path / "nocrs.tif", np.ones((4, 4), np.uint8), None, from_origin(0, 4, 1, 1))
    with pytest.raises(GeoError, match="no coordinate reference system"):
        zonal_class_areas(path, _zones(), "zone")


def test_station_covariates(chn_raster: Path):
    pts = gpd.GeoSeries(gpd.points_from_xy([5000, 10000, 15000], [5000, 5000, 5000]), crs=LAEA).to_crs(4326)
    st = pd.DataFrame({"locationID": ["W1", "edge", "E1"], "longitude": pts.x, "latitude": pts.y})
    cov = habitat_at_stations(st, chn_raster, read_crosswalk(CW), "CHN", buffers_m=(500.0, 1000.0)).set_index("locationID")
    assert cov.loc["W1", "habitat_class"] == "forest" and cov.loc["E1", "habitat_class"] == "grassland"
    assert cov.loc["W1", "share_forest_1000m"] == pytest.approx(1.0)
    assert cov.loc["edge", "share_forest_500m"] == pytest.approx(0.5, abs=0.03)  # half the disc on each side
    assert cov.loc["E1", "share_forest_500m"] == 0.0


def test_polygons_crosswalk_class_areas_and_mask():
    hab = gpd.GeoDataFrame({"KLASS": ["A", "B", "A"]}, geometry=[shapely.box(0, 0, 5000, 10000), shapely.box(5000, 0, 10000, 10000),
                                                                  shapely.box(10000, 0, 12000, 10000)], crs=LAEA).to_crs("EPSG:28422")
    with pytest.raises(GeoError, match=r"'B' \(1 feature, first feature 1\)"):
        apply_crosswalk(hab, read_crosswalk(CW[CW["national_class"] != "B"]), "RUS", "KLASS")
    u = apply_crosswalk(hab, read_crosswalk(CW), "RUS", "KLASS")
    zones = gpd.GeoDataFrame({"zone": ["core"]}, geometry=[shapely.box(0, 0, 10000, 10000)], crs=LAEA)
    areas = class_areas_polygons(u, zones, "zone").set_index("unified_class")["area_km2"]
    assert areas["forest"] == pytest.approx(50.0, rel=1e-3) and areas["wetland"] == pytest.approx(50.0, rel=1e-3)
    mask = habitat_mask(u, ["forest"], to_crs=LAEA)
    assert mask["area_km2"].iloc[0] == pytest.approx(70.0, rel=1e-3)
    with pytest.raises(GeoError, match="taiga"):
        habitat_mask(u, ["taiga"])


def test_map_renders_png_and_svg_with_chinese_labels(tmp_path: Path):
    parks = gpd.GeoDataFrame({"country": ["RUS", "CHN"], "name": ["Земля леопарда", "东北虎豹"]},
                             geometry=[shapely.box(-30000, -20000, 0, 30000), shapely.box(500, -20000, 40000, 30000)], crs=LAEA)
    files = render_map([Layer(parks, "公园", column="country", categories={"RUS": "俄罗斯", "CHN": "中国"}, label_column="name")],
                       tmp_path / "map", {"title": "跨境区域", "scale_unit": "公里", "north": "北"}, "zh", dpi=60)
    assert [f.suffix for f in files] == [".png", ".svg"] and all(f.stat().st_size > 1000 for f in files)
    svg = files[1].read_text(encoding="utf-8")
    assert "跨境区域" in svg and "公里" in svg and "俄罗斯" in svg
    with pytest.raises(GeoError, match="labels missing: north"):
        render_map([Layer(parks, "p")], tmp_path / "m2", {"title": "t", "scale_unit": "km"})
