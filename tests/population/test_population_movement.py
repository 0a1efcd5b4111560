"""Border movement summaries on hand-made histories, and joint against country-by-country estimates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bigcats.population import (
    PopulationError, expected_use_share, fit_scr, grid_traps, individual_movement, joint_vs_separate, make_mask,
    project_lonlat, simulate_capthist, species_year_summary,
)


def detections() -> pd.DataFrame:
    return pd.DataFrame({
        "individualID": ["T1", "T1", "T1", "T1", "T2", "T2", "L1"],
        "scientificName": ["Panthera tigris"] * 6 + ["Panthera pardus"],
        "x": [0, 3000, 0, 4000, 100, 200, 50], "y": [0, 4000, 0, 0, 0, 0, 0],
        "timestamp": ["2023-01-05", "2023-02-01", "2023-03-01", "2024-01-01", "2023-01-01", "2023-01-02", "2023-05-05"],
        "country": ["CHN", "RUS", "CHN", "RUS", "RUS", "RUS", "CHN"],
    })


def test_individual_movement():
    out = individual_movement(detections().sample(frac=1, random_state=1)).set_index("individualID")
    assert out.loc["T1", "crossings"] == 3  # CHN -> RUS -> CHN -> RUS in time order
    assert bool(out.loc["T1", "both_sides"]) and not bool(out.loc["T2", "both_sides"])
    assert out.loc["T1", "max_distance_m"] == pytest.approx(5000.0)
    assert out.loc["T1", "detections_CHN"] == 2 and out.loc["T1", "detections_RUS"] == 2
    assert str(out.loc["T1", "first_seen"].date()) == "2023-01-05"


def test_species_year_summary():
    out = species_year_summary(detections()).set_index(["scientificName", "year"])
    tiger23 = out.loc[("Panthera tigris", 2023)]
    assert tiger23["both"] == 1 and tiger23["only_RUS"] == 1 and tiger23["individuals"] == 2
    assert out.loc[("Panthera pardus", 2023), "only_CHN"] == 1


def test_missing_country_is_named():
    bad = detections()
    bad.loc[2, "country"] = None
    with pytest.raises(PopulationError, match="row 3"):
        individual_movement(bad)


def test_project_lonlat_round_trip():
    x, y, crs = project_lonlat(np.array([131.0, 131.5]), np.array([43.0, 43.2]))
    assert crs.to_epsg() == 32652
    assert np.hypot(x[1] - x[0], y[1] - y[0]) == pytest.approx(46_000, rel=0.05)


@pytest.fixture(scope="module")
def border_survey():
    rng = np.random.default_rng(7)
    traps = grid_traps(10, 5, 20.0)
    mask = make_mask(traps[["x", "y"]].to_numpy(), 70, nx=30)
    ch, truth = simulate_capthist(rng, traps, mask, 20.0, 0.25, 15.0, 6, "proximity", "HN")
    # The border runs north-south through the middle of the grid.
    return ch, mask, np.where(traps["x"] < 90, "CHN", "RUS"), np.where(mask.xy[:, 0] < 90, "CHN", "RUS"), truth


def test_expected_use_shares_sum_to_one(border_survey):
    ch, mask, _, mask_side, _ = border_survey
    fit = fit_scr(ch, mask)
    share = expected_use_share(fit, mask_side)
    assert np.allclose(share[["share_CHN", "share_RUS"]].sum(axis=1), 1.0)
    # An animal seen only at the western detectors uses mostly the western side.
    west_only = pd.Series(ch.xy[ch.trap, 0] < 90).groupby(ch.animal).all()
    assert share.loc[west_only.to_numpy(), "share_CHN"].mean() > 0.6


def test_country_estimates_add_up_to_more_than_the_joint(border_survey):
    ch, mask, trap_side, mask_side, _ = border_survey
    table = joint_vs_separate(ch, mask, trap_side, mask_side, buffer=70).set_index(["analysis", "area"])
    joint = table.loc[("joint", "whole"), "N"]
    summed = table.loc[("separate", "sum of countries"), "N"]
    assert summed > joint  # national masks overlap across the border: the same animals counted twice
    assert table.loc[("joint", "CHN"), "N"] + table.loc[("joint", "RUS"), "N"] == pytest.approx(joint)
