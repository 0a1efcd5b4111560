"""SCR inputs from survey frames: daily usage from camera operation, detectors, capture histories, a land mask."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from bigcats.population.errors import PopulationError
from bigcats.population.from_store import build_scr_inputs, daily_usage, fit_species, station_layout
from bigcats.store.query import SurveyFrames

TIGER = "Panthera tigris altaica"


def _utc(local: str, offset_min: int) -> pd.Timestamp:
    return pd.Timestamp(local, tz="UTC") - pd.Timedelta(minutes=offset_min)


@pytest.fixture
def small():
    """Two stations: A (two cameras, overlapping) in Russia at UTC+10, B in China at UTC+8 with an outage."""
    deps = pd.DataFrame({
        "deploymentID": ["A1", "A2", "B1"], "locationID": ["A", "A", "B"],
        "latitude": [43.00, 43.0001, 42.95], "longitude": [131.10, 131.1001, 130.90],
        "deploymentStart": [_utc("2024-01-01 12:00", 600), _utc("2024-01-02 00:00", 600), _utc("2024-01-02 06:00", 480)],
        "deploymentEnd": [_utc("2024-01-04 12:00", 600), _utc("2024-01-03 00:00", 600), _utc("2024-01-05 00:00", 480)],
        "utcOffset": [600, 600, 480], "country": ["RUS", "RUS", "CHN"],
    })
    outages = pd.DataFrame({"deploymentID": ["B1"], "start": [_utc("2024-01-03 12:00", 480)],
                            "end": [_utc("2024-01-03 18:00", 480)]})
    return deps, outages


def test_daily_usage_counts_full_days_once_per_station(small):
    deps, outages = small
    full = daily_usage(deps, outages)
    assert full.loc["A"].tolist() == [0.0, 1.0, 1.0, 0.0]  # set-up and retrieval days are half days
    assert full.loc["B"].tolist() == [0.0, 0.0, 0.0, 1.0]  # 06:00 set-up, and a six-hour outage on 3 January
    frac = daily_usage(deps, outages, full_days_only=False)
    # The second camera at A overlaps the first: the station is watched once, not twice.
    assert frac.loc["A"].tolist() == [0.5, 1.0, 1.0, 0.5]
    assert frac.loc["B"].tolist() == pytest.approx([0.0, 0.75, 0.75, 1.0])


def test_station_layout_projects_and_checks(small):
    deps, _ = small
    st, crs, warnings = station_layout(deps)
    assert crs.to_epsg() == 32652 and not warnings
    assert st["trapID"].tolist() == ["A", "B"] and st["country"].tolist() == ["RUS", "CHN"]
    # About 17 km from A to B (0.2 degrees of longitude and 0.05 of latitude at 43 N).
    assert np.hypot(*(st.loc[0, ["x", "y"]].to_numpy(float) - st.loc[1, ["x", "y"]].to_numpy(float))) == pytest.approx(17_400, rel=0.05)
    bad = deps.assign(country=["RUS", "CHN", "CHN"])
    with pytest.raises(PopulationError, match="station A is recorded in more than one country"):
        station_layout(bad)
    with pytest.raises(PopulationError, match="station B has no latitude/longitude"):
        station_layout(deps.assign(latitude=[43.0, 43.0, np.nan]))


def test_no_identified_individuals_is_a_clear_error(small):
    deps, outages = small
    obs = pd.DataFrame({"observationID": ["o1"], "deploymentID": ["A1"], "locationID": ["A"], "scientificName": [TIGER],
                        "individualID": [np.nan], "timestamp": [_utc("2024-01-02 03:00", 600)], "utcOffset": [600],
                        "observationType": ["animal"]})
    with pytest.raises(PopulationError, match="no identified individual of Panthera tigris altaica"):
        build_scr_inputs(SurveyFrames(deps, outages, obs), TIGER, buffer=5000)


@pytest.fixture(scope="module")
def sim_frames():
    """A simulated survey's frames with the shared catalogue codes, as the database gives them after the demo."""
    from bigcats.demo.pipeline import catalogue_codes
    from bigcats.simulate import simulate_survey

    survey = simulate_survey(2)
    deps = survey.frame("deployments")
    obs = survey.frame("observations").join(deps.set_index("deploymentID")["partner"], on="deploymentID")
    codes = catalogue_codes(survey).set_index(["partner", "partnerCode"])["catalogueID"]
    catalogue = pd.Series(codes.reindex(pd.MultiIndex.from_arrays([obs["partner"], obs["individualID"]])).to_numpy(),
                          index=obs.index)
    obs["individualID"] = catalogue.where(obs["individualID"].notna())
    return SurveyFrames(deps, survey.frame("outages"), obs)


def test_capture_history_holds_each_identified_cat_day_station_once(sim_frames):
    from bigcats.analysis.effort import camera_operation

    inputs = build_scr_inputs(sim_frames, TIGER, buffer=24_000)
    ch = inputs.capthist
    obs = sim_frames.observations
    rec = obs[(obs["scientificName"] == TIGER) & obs["individualID"].notna()]
    local_day = (rec["timestamp"] + pd.to_timedelta(rec["utcOffset"], unit="min")).dt.tz_localize(None).dt.normalize()
    op = camera_operation(sim_frames.deployments, sim_frames.outages).stack().rename("effort").reset_index()
    op["date"] = pd.to_datetime(op["date"])
    keys = pd.DataFrame({"individualID": rec["individualID"].to_numpy(), "locationID": rec["locationID"].to_numpy(),
                         "date": local_day.to_numpy()}).merge(op, on=["locationID", "date"], how="left")
    full = keys[keys["effort"] >= 1].drop_duplicates(["individualID", "locationID", "date"])
    assert ch.detector == "proximity"
    assert len(ch.animal) == len(full)
    # A cat photographed only on set-up, retrieval or outage days is not in the history: those days are left out.
    assert ch.n == full["individualID"].nunique()
    assert set(ch.animals) == set(full["individualID"])
    assert inputs.partial_day_records == len(keys) - (keys["effort"] >= 1).sum()
    assert ch.usage.max() == 1.0 and set(np.unique(ch.usage)) <= {0.0, 1.0}


def test_mask_is_land_within_the_buffer_and_sides_are_recorded(sim_frames):
    inputs = build_scr_inputs(sim_frames, TIGER, buffer=24_000)
    land = shapely.union_all(list(inputs.countries.values()))
    xy = inputs.mask.xy
    assert shapely.contains_xy(land, xy[:, 0], xy[:, 1]).all()
    assert (inputs.mask_side != "").all() and {"CHN", "RUS"} <= set(inputs.mask_side)
    from scipy.spatial import cKDTree

    from bigcats.population.mask import make_mask

    near, _ = cKDTree(inputs.capthist.xy).query(xy)
    assert near.max() <= 24_000
    # The buffer reaches the Sea of Japan south-east of the stations: those cells are not habitat.
    unclipped = make_mask(inputs.capthist.xy, 24_000, spacing=inputs.mask.spacing)
    assert len(unclipped) - len(inputs.mask) > 50
    recorded = sim_frames.deployments.drop_duplicates("locationID").set_index("locationID")["country"]
    assert (inputs.trap_side == recorded.reindex(inputs.stations["trapID"]).to_numpy()).all()


def test_buffer_follows_sigma_hat_and_partial_days_agree(sim_frames):
    inputs, fit = fit_species(sim_frames, TIGER)
    sigma = fit.value("sigma")
    assert 3.5 * sigma <= inputs.buffer_m <= 5.0 * sigma
    assert inputs.mask.spacing == pytest.approx(inputs.buffer_m / 8)
    frac_inputs, frac = fit_species(sim_frames, TIGER, buffer=inputs.buffer_m, full_days_only=False)
    # Fractional set-up and retrieval days add under 1% effort and a few detections: detection and movement barely
    # move, and density moves with the animals seen only on those days (D is about n / effective area).
    assert 1.0 < frac_inputs.capthist.usage.sum() / inputs.capthist.usage.sum() < 1.01
    assert frac.value("lambda0") == pytest.approx(fit.value("lambda0"), rel=0.02)
    assert frac.value("sigma") == pytest.approx(fit.value("sigma"), rel=0.02)
    ratio = frac.density()["estimate"] / fit.density()["estimate"]
    assert ratio == pytest.approx(frac.n / fit.n, rel=0.02)


def test_years_fitted_together_share_detection(sim_frames):
    from bigcats.population.from_store import fit_species_sessions, n_by_side, split_sessions

    shift = pd.Timedelta(days=371)  # whole weeks and no 29 February: the same local days a year on

    def later(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        out = frame.copy()
        out["deploymentID"] = out["deploymentID"].astype(str) + "-next"
        for c in cols:
            out[c] = out[c] + shift
        return out

    deps, out, obs = sim_frames.deployments, sim_frames.outages, sim_frames.observations
    two = SurveyFrames(pd.concat([deps, later(deps, ["deploymentStart", "deploymentEnd"])], ignore_index=True),
                       pd.concat([out, later(out, ["start", "end"])], ignore_index=True),
                       pd.concat([obs, later(obs, ["timestamp"])], ignore_index=True))
    assert list(split_sessions(two)) == ["2024", "2025"]
    inputs, fit = fit_species_sessions(two, TIGER, buffer=24_000)
    single, alone = fit_species(sim_frames, TIGER, buffer=24_000)
    est = fit.estimates.set_index("parameter")
    # The same survey twice: each year's D is the one-year D, detection is shared, the log-likelihood doubles.
    for year in ("2024", "2025"):
        assert est.loc[f"D[{year}]", "estimate"] == pytest.approx(alone.value("D"), rel=1e-4)
    assert est.loc["D ratio 2025/2024", "estimate"] == pytest.approx(1.0, abs=1e-6)
    assert est.loc["sigma", "estimate"] == pytest.approx(alone.value("sigma"), rel=1e-4)
    assert fit.loglik == pytest.approx(2 * alone.loglik, rel=1e-6)
    sides = n_by_side(fit, inputs["2025"].mask_side, "2025")
    assert sides.loc[sides["area"] == "whole", "E.N"].iloc[0] == pytest.approx(
        est.loc["D[2025]", "estimate"] * inputs["2025"].mask.area_ha, rel=1e-6)
    with pytest.raises(PopulationError, match="only one session"):
        fit_species_sessions(sim_frames, TIGER, buffer=24_000)
