"""The simulated survey: same seed same frames, ~150 stations on both sides, ~30 tigers and ~50 leopards."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

from bigcats.simulate import SurveyConfig, simulate_survey
from bigcats.simulate.survey import FRAME_NAMES

TIGER = "Panthera tigris altaica"
LEOPARD = "Panthera pardus orientalis"


def test_same_seed_same_survey_and_other_seed_differs(survey, countries_path):
    again = simulate_survey(seed=1, config=SurveyConfig(countries_path=str(countries_path)))
    for name in FRAME_NAMES:
        for code in survey.partners:
            pd.testing.assert_frame_equal(getattr(survey.partners[code], name), getattr(again.partners[code], name))
    pd.testing.assert_frame_equal(survey.truth.events, again.truth.events)
    for name, cat in survey.truth.cats.items():
        pd.testing.assert_frame_equal(cat.centres, again.truth.cats[name].centres)
    other = simulate_survey(seed=2, config=SurveyConfig(countries_path=str(countries_path)))
    assert not np.allclose(other.truth.cats[TIGER].centres["x"], survey.truth.cats[TIGER].centres["x"])
    assert len(other.frame("observations")) != len(survey.frame("observations"))


def test_stations_on_land_on_both_sides_on_a_3_km_grid(survey, countries_path):
    st = survey.truth.stations
    assert len(st) == 150
    counts = st["country"].value_counts()
    assert set(counts.index) == {"RUS", "CHN"} and counts.min() >= 40
    # Independent check of the side of each camera against the outlines, in WGS84.
    world = gpd.read_file(countries_path)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(st["longitude"], st["latitude"]), crs="EPSG:4326")
    joined = gpd.sjoin(pts, world[["iso_a3", "geometry"]], predicate="within", how="left")
    assert (joined["iso_a3"].to_numpy() == st["country"].to_numpy()).all()
    assert st["longitude"].between(130.3, 131.7).all() and st["latitude"].between(42.5, 43.6).all()
    nn, _ = cKDTree(st[["x", "y"]].to_numpy()).query(st[["x", "y"]].to_numpy(), k=2)
    assert 2500 < np.median(nn[:, 1]) < 3500
    dep = survey.frame("deployments")
    assert set(dep["locationID"]) == set(st["locationID"])
    assert (dep["partner"].map({"LLNP": "RUS", "NCTLNP": "CHN"}) == dep["country"]).all()
    assert (dep["utcOffset"] == dep["partner"].map({"LLNP": 600, "NCTLNP": 480})).all()


def test_partner_codes_follow_each_partners_conventions(survey):
    ll, cn = survey.partners["LLNP"], survey.partners["NCTLNP"]
    assert ll.deployments["locationID"].str.fullmatch(r"LL-\d{3}").all()
    assert cn.deployments["locationID"].str.fullmatch(r"HC-\d{4}").all()
    pats = {("LLNP", TIGER): r"T-\d+[MF]", ("LLNP", LEOPARD): r"Leo-\d{3}",
            ("NCTLNP", TIGER): r"CN-AT-\d{2}", ("NCTLNP", LEOPARD): r"CN-AL-\d{2}"}
    for share in (ll, cn):
        ind = share.individuals
        assert len(ind) > 0 and ind["individualID"].is_unique
        for sp, group in ind.groupby("scientificName"):
            assert group["individualID"].str.fullmatch(pats[(share.partner, sp)]).all()
        used = share.observations["individualID"].dropna()
        assert set(used) == set(ind["individualID"])
        # A code names one true animal, of the species it is recorded for.
        truth = survey.truth.codes[survey.truth.codes["partner"] == share.partner].set_index("partnerCode")
        obs = share.observations.dropna(subset=["individualID"])
        assert (obs["scientificName"].to_numpy() == truth.loc[obs["individualID"], "scientificName"].to_numpy()).all()
        ev = survey.truth.events.set_index("eventID").loc[obs["eventID"]]
        assert (ev["trueID"].to_numpy() == truth.loc[obs["individualID"], "trueID"].to_numpy()).all()
        assert truth["trueID"].is_unique


def test_cat_numbers_densities_and_state_space(survey):
    cats = survey.truth.cats
    assert cats[TIGER].n_individuals == 30 and len(cats[TIGER].centres) == 30
    assert cats[LEOPARD].n_individuals == 50 and len(cats[LEOPARD].centres) == 50
    st = survey.truth.stations
    hull = shapely.convex_hull(shapely.multipoints(st[["x", "y"]].to_numpy()))
    for cat in cats.values():
        c = cat.centres
        assert shapely.contains_xy(cat.state_space, c["x"], c["y"]).all()
        assert cat.area_km2 == pytest.approx(cat.state_space.area / 1e6)
        assert cat.density_per_100km2 == pytest.approx(cat.n_individuals / cat.area_km2 * 100)
        assert cat.area_km2 > hull.area / 1e6
        # Centres spread over both countries, so some ranges span the border.
        assert {"RUS", "CHN"} <= set(c["country"])
    assert cats[TIGER].sigma_m == 6000 and cats[LEOPARD].g0 == 0.05


def test_some_individuals_seen_on_both_sides(survey):
    summary = survey.summary()
    for sp in (TIGER, LEOPARD):
        ind = summary["individuals"][sp]
        assert ind["identified_on_both_sides"] >= 1
        assert ind["identified_on_both_sides"] <= ind["true_detected_on_both_sides"] <= ind["true_detected"]
        assert ind["true_detected"] <= ind["true_N"]
        # Cross-check with the partner frames: the true animal behind codes in both catalogues.
        codes = survey.truth.codes[survey.truth.codes["scientificName"] == sp]
        both = codes.groupby("trueID")["partner"].nunique()
        assert int((both > 1).sum()) == ind["identified_on_both_sides"]


def test_summary_agrees_with_frames(survey):
    summary = survey.summary()
    assert sum(summary["stations"].values()) == 150
    obs = survey.frame("observations")
    dep = survey.frame("deployments")
    assert summary["events"] == len(obs) and summary["photos"] == len(survey.frame("media"))
    tigers_rus = obs[(obs["scientificName"] == TIGER) & obs["deploymentID"].isin(dep.loc[dep["country"] == "RUS",
                                                                                         "deploymentID"])]
    assert summary["detections"][TIGER]["RUS"] == len(tigers_rus)
    share_blank = (obs["observationType"] == "blank").mean()
    assert 0.05 < share_blank < 0.15
    for side, nights in summary["trap_nights"].items():
        n_st = summary["stations"][side]
        assert 300 * n_st < nights < 366 * n_st


def test_frames_have_camtrap_dp_columns_and_types(survey):
    share = survey.partners["LLNP"]
    assert list(share.deployments.columns) == [
        "deploymentID", "locationID", "locationName", "latitude", "longitude", "deploymentStart", "deploymentEnd",
        "cameraID", "utcOffset", "country", "protectedArea", "partner"]
    assert list(share.outages.columns) == ["deploymentID", "start", "end", "reason"]
    assert list(share.individuals.columns) == ["individualID", "scientificName", "partner", "partnerCode", "sex"]
    for col in ("mediaID", "deploymentID", "captureMethod", "timestamp", "filePath", "fileName", "fileMediatype",
                "sha256", "exifData"):
        assert col in share.media.columns
    for col in ("observationID", "deploymentID", "locationID", "timestamp", "utcOffset", "scientificName", "count",
                "observationType", "individualID", "sex", "lifeStage", "classificationMethod",
                "classificationProbability", "mediaID", "eventID", "eventStart", "eventEnd", "observationLevel"):
        assert col in share.observations.columns
    for frame, col in ((share.deployments, "deploymentStart"), (share.observations, "timestamp"),
                       (share.media, "timestamp"), (share.outages, "start")):
        assert isinstance(frame[col].dtype, pd.DatetimeTZDtype)
    obs = share.observations
    assert obs["observationID"].is_unique and share.media["mediaID"].is_unique
    assert (obs["timestamp"] == obs["eventStart"]).all() and (obs["eventEnd"] >= obs["eventStart"]).all()
    assert set(obs["observationType"]) <= {"animal", "blank", "human", "vehicle", "unknown", "unclassified"}
    assert obs.loc[obs["observationType"].isin(["blank", "unknown"]), "scientificName"].isna().all()
    assert share.media["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert share.media["filePath"].str.fullmatch(r"media/LL-\d{3}/IMG_\d{5}\.JPG").all()
    assert share.media["filePath"].is_unique
    # Photos per event: 1 to 5, all of them on the media table.
    n_ph = survey.truth.events.loc[survey.truth.events["partner"] == "LLNP", "n_photos"]
    assert n_ph.between(1, 5).all() and n_ph.sum() == len(share.media)
    # Local clock time (timestamp + utcOffset) falls in the survey year.
    local = obs["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None) + pd.to_timedelta(obs["utcOffset"], unit="min")
    assert (local.dt.year == 2024).all()


def test_truth_is_saved_beside_the_demo(survey, tmp_path):
    import json

    from bigcats.simulate import save_truth

    files = save_truth(survey.truth, tmp_path)
    assert all(f.is_file() for f in files)
    doc = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert doc["cats"][TIGER]["N"] == 30
    assert doc["cats"][LEOPARD]["density_per_100km2"] == pytest.approx(survey.truth.cats[LEOPARD].density_per_100km2)
    area = shapely.from_wkt(doc["state_space_wkt"][TIGER]).area / 1e6
    assert area == pytest.approx(survey.truth.cats[TIGER].area_km2, rel=1e-4)
    codes = pd.read_csv(tmp_path / "truth-codes.csv")
    assert len(codes) == len(survey.truth.codes)
