"""The demo's one map of the area: partner boundaries merged with the datum shift, border gaps and overlaps found,
one habitat classification with class areas, station covariates and the SCR habitat mask."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio

from bigcats.demo.maps import CROSSWALK, SUITABLE, run_maps
from bigcats.geo.areas import area_km2
from bigcats.geo.errors import GeoError
from bigcats.geo.habitat import read_crosswalk, reclassify_raster
from bigcats.simulate import simulate_survey


@pytest.fixture(scope="module")
def maps(tmp_path_factory):
    survey = simulate_survey(1)
    out = tmp_path_factory.mktemp("maps")
    return survey, out, run_maps(None, survey.truth, out, seed=1)


def test_partner_files_keep_their_own_crs_and_the_datum_shift_is_applied(maps):
    _, _, res = maps
    files = res["partner_files"]
    assert gpd.read_file(files["rus_park"]).crs.to_epsg() == 28422
    assert gpd.read_file(files["chn"], layer="park").crs.to_epsg() == 4490
    assert gpd.read_file(files["units"], layer="units").crs.to_epsg() == 32652
    d = res["datum"]
    # through PROJ's Pulkovo->WGS84 operation the park lands where it truly is; without it, ~100 m off
    assert d["with_shift_hausdorff_m"] < 1.0
    assert d["without_shift_hausdorff_m"] > 50.0
    assert "Pulkovo 1942 to WGS 84" in d["transformation"]


def test_geopackage_opens_with_every_layer_in_a_declared_crs(maps):
    survey, _, res = maps
    layers = dict(pyogrio.list_layers(res["geopackage"]))
    assert {"parks", "zones", "units", "border_issues", "habitat", "scr_habitat_mask"} <= set(layers)
    for name in ("parks", "zones", "units", "border_issues", "habitat"):
        gdf = gpd.read_file(res["geopackage"], layer=name)
        assert gdf.crs.to_epsg() == 4326 and len(gdf) and gdf.is_valid.all(), name
    parks = gpd.read_file(res["geopackage"], layer="parks")
    assert set(parks["country"]) == {"RUS", "CHN"}
    units = gpd.read_file(res["geopackage"], layer="units")
    assert sorted(units["name"]) == ["CHN-N", "CHN-S", "RUS-N", "RUS-S"]
    # the merged parks cover the stations of their own side
    st = survey.truth.stations
    pts = gpd.GeoDataFrame(st[["country"]], geometry=gpd.points_from_xy(st["longitude"], st["latitude"]), crs=4326)
    joined = gpd.sjoin(pts, parks, predicate="within", how="left")
    assert (joined.groupby(level=0)["country_right"].apply(lambda s: st.loc[s.name, "country"] in set(s))).mean() > 0.97


def test_gaps_and_overlaps_along_the_border_match_the_design(maps):
    _, out, res = maps
    b = pd.DataFrame(res["border"]).set_index("issue")
    assert (b["found_km2"] > 0).all()
    assert b["found_km2"].to_numpy() == pytest.approx(b["designed_km2"].to_numpy(), rel=0.05)
    issues = gpd.read_file(res["geopackage"], layer="border_issues")
    # areas are equal-area areas: recomputing from the stored geometry gives the same numbers
    assert area_km2(issues).sum() == pytest.approx(issues["area_km2"].sum(), rel=1e-3)


def test_crosswalk_is_complete_and_the_unified_map_matches_the_truth(maps, tmp_path):
    _, out, res = maps
    cw = read_crosswalk(res["crosswalk"])
    with rasterio.open(res["habitat"]["national_raster"]) as src:
        codes = set(np.unique(src.read(1))) - {0}
    assert codes <= set(CROSSWALK["national_class"])
    assert res["habitat"]["cells_matching_truth"] == 1.0
    # a class missing from the crosswalk is named, and no unified raster is written
    broken = cw[cw["national_class"] != "24"].assign(scheme="RUS+CHN")
    with pytest.raises(GeoError, match=r"\[24\] missing from the crosswalk"):
        reclassify_raster(res["habitat"]["national_raster"], tmp_path / "u.tif", broken, "RUS+CHN")
    assert not (tmp_path / "u.tif").exists()


def test_class_areas_per_park_side_and_zone(maps):
    _, _, res = maps
    a = pd.DataFrame(res["class_areas"])
    assert set(a["level"]) == {"park", "side", "zone"}
    assert a.groupby(["level", "where"])["share"].sum().to_numpy() == pytest.approx(1.0)
    # class areas on the two sides add up to the habitat polygons' equal-area areas inside them
    hab = gpd.read_file(res["geopackage"], layer="habitat")
    sides = a[a["level"] == "side"].groupby("unified_class")["area_km2"].sum()
    parks = gpd.read_file(res["geopackage"], layer="parks")
    total = float(area_km2(hab).sum())
    assert sides.sum() == pytest.approx(total, rel=0.01)
    rus = a[(a["level"] == "side") & (a["where"] == "RUS")]["area_km2"].sum()
    assert rus == pytest.approx(float(area_km2(parks[parks["country"] == "RUS"]).iloc[0]), rel=0.01)


def test_station_covariates_and_scr_mask(maps):
    survey, _, res = maps
    cov = pd.read_csv(res["station_covariates"]["file"])
    assert set(cov["locationID"]) == set(survey.truth.stations["locationID"])
    shares = cov.filter(like="_1000m")
    assert len(shares.columns) >= 3 and np.allclose(shares.sum(axis=1), 1.0, atol=1e-6)
    assert cov["habitat_class"].notna().all()
    mask = gpd.read_file(res["geopackage"], layer="scr_habitat_mask")
    assert mask.crs.to_epsg() == 32652 and mask["classes"].iloc[0] == ", ".join(sorted(SUITABLE))
    hab = gpd.read_file(res["geopackage"], layer="habitat")
    suitable = float(area_km2(hab[hab["unified_class"].isin(SUITABLE)]).sum())
    assert 0 < res["scr_mask"]["area_km2"] <= suitable * 1.001


def test_maps_in_three_languages(maps):
    _, out, res = maps
    for lang in ("en", "ru", "zh"):
        for kind in ("area", "habitat"):
            assert (out / f"{kind}_{lang}.png").stat().st_size > 10_000
            assert (out / f"{kind}_{lang}.svg").exists()
    assert "俄罗斯" in (out / "area_zh.svg").read_text(encoding="utf-8")
    assert "Разрыв вдоль границы" in (out / "area_ru.svg").read_text(encoding="utf-8")
    assert all(Path(f).exists() for f in res["files"])
