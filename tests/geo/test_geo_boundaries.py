"""Boundary files: checked, reprojected, merged into a GeoPackage; gaps and overlaps with known areas."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from bigcats.geo.areas import area_km2
from bigcats.geo.boundaries import border_gaps_overlaps, merge_boundaries, read_boundaries, write_geopackage
from bigcats.geo.crs import reproject
from bigcats.geo.errors import GeoError

LAEA = "+proj=laea +lat_0=43.2 +lon_0=131.2 +datum=WGS84 +units=m"


def _box(x0, y0, x1, y1):
    return shapely.box(x0 * 1000, y0 * 1000, x1 * 1000, y1 * 1000)


def test_gap_and_overlap_of_two_parks_have_their_known_areas():
    # RUS park 10 x 10 km; CHN park begins 0.5 km east (gap 0.5 x 10 = 5 km²) in one case,
    # 0.3 km west (overlap 0.3 x 10 = 3 km²) in the other
    gap = gpd.GeoDataFrame({"country": ["RUS", "CHN"]}, geometry=[_box(-10, -5, 0, 5), _box(0.5, -5, 10.5, 5)], crs=LAEA)
    res = border_gaps_overlaps(reproject(gap, 4326), tolerance_m=1000)
    assert list(res["issue"]) == ["gap"]
    assert res["area_km2"].iloc[0] == pytest.approx(5.0, rel=1e-3)
    over = gpd.GeoDataFrame({"country": ["RUS", "CHN"]}, geometry=[_box(-10, -5, 0, 5), _box(-0.3, -5, 10, 5)], crs=LAEA)
    res = border_gaps_overlaps(reproject(over, 4326))
    assert list(res["issue"]) == ["overlap"]
    assert res["area_km2"].iloc[0] == pytest.approx(3.0, rel=1e-3)
    # a gap wider than the tolerance is not a sliver to report
    assert len(border_gaps_overlaps(reproject(gap, 4326), tolerance_m=200)) == 0


def test_partner_files_in_their_own_crs_merge_into_one_geopackage(tmp_path: Path):
    rus = gpd.GeoDataFrame({"NAME_RU": ["Земля леопарда"]}, geometry=[_box(-10, -5, 0, 5)], crs=LAEA).to_crs("EPSG:28422")
    chn = gpd.GeoDataFrame({"MC": ["东北虎豹国家公园"]}, geometry=[_box(-0.3, -5, 10, 5)], crs=LAEA).to_crs("EPSG:4490")
    rus.to_file(tmp_path / "rus.shp", engine="pyogrio")
    chn.to_file(tmp_path / "chn.geojson", engine="pyogrio")
    frames = [read_boundaries(tmp_path / "rus.shp", "parks", name_field="NAME_RU", country="RUS"),
              read_boundaries(tmp_path / "chn.geojson", "parks", name_field="MC", country="CHN")]
    layers = merge_boundaries(frames)
    out = write_geopackage(layers, tmp_path / "area.gpkg")
    assert [name for name, _ in pyogrio.list_layers(out)] == ["parks"]
    back = gpd.read_file(out, layer="parks")
    assert back.crs.to_epsg() == 4326
    assert set(back["name"]) == {"Земля леопарда", "东北虎豹国家公园"}
    # 100 km² each side survives the GK -> WGS84 trip (the LAEA -> GK -> WGS84 chain round-trips the datum)
    assert area_km2(back).sort_values().to_numpy() == pytest.approx([100.0, 103.0], rel=1e-3)
    assert border_gaps_overlaps(back)["area_km2"].sum() == pytest.approx(3.0, rel=1e-2)


def test_file_without_crs_is_refused_unless_named(tmp_path: Path):
    gdf = gpd.GeoDataFrame({"name": ["u1"]}, geometry=[_box(0, 0, 5, 5)], crs=None)
    gdf.to_file(tmp_path / "units.shp", engine="pyogrio")
    with pytest.raises(GeoError, match=r"units\.shp: no coordinate reference system"):
        read_boundaries(tmp_path / "units.shp", "units", country="MNG")
    ok = read_boundaries(tmp_path / "units.shp", "units", country="MNG", crs="EPSG:32646")
    assert ok.crs.to_epsg() == 4326


def test_invalid_geometry_is_named_or_repaired_on_request(tmp_path: Path):
    bowtie = shapely.Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000)])
    gdf = gpd.GeoDataFrame({"name": ["ok", "core zone"]}, geometry=[_box(2, 0, 3, 1), bowtie], crs=LAEA)
    gdf.to_file(tmp_path / "zones.gpkg", engine="pyogrio")
    with pytest.raises(GeoError, match=r"feature 1 \('core zone'\): invalid geometry: Self-intersection"):
        read_boundaries(tmp_path / "zones.gpkg", "zones", country="CHN")
    fixed = read_boundaries(tmp_path / "zones.gpkg", "zones", country="CHN", repair=True)
    assert fixed.geometry.is_valid.all()
    assert area_km2(fixed).iloc[1] == pytest.approx(0.5, rel=1e-3)  # two triangles of 0.25 km²


def test_nothing_written_when_a_layer_is_bad(tmp_path: Path):
    good = gpd.GeoDataFrame({"name": ["a"]}, geometry=[_box(0, 0, 1, 1)], crs=LAEA)
    with pytest.raises(GeoError):
        write_geopackage({"parks": good, "zones": gpd.GeoDataFrame({"name": ["b"]}, geometry=[_box(0, 0, 1, 1)])}, tmp_path / "x.gpkg")
    assert list(tmp_path.iterdir()) == []
