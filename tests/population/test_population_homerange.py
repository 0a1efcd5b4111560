"""Home ranges against adehabitatHR's published values for the Puechabon wild boar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from bigcats.population import PopulationError, country_share, href, kernel_home_range, lscv_bandwidth, mcp


@pytest.mark.parametrize("percent,expected", [
    (95, {"Brock": 22.64670, "Calou": 41.68815, "Chou": 71.93205, "Jean": 55.88415}),
    (100, {"Brock": 40.596, "Calou": 49.751, "Chou": 162.846, "Jean": 167.637}),
])
def test_mcp_matches_adehabitathr(boar, percent, expected):
    got = mcp(boar, percent).set_index("individualID")["area_ha"]
    for name, area in expected.items():
        assert got[name] == pytest.approx(area, rel=1e-4)


def test_href_matches_adehabitathr(boar):
    brock = boar[boar["individualID"] == "Brock"]
    assert href(brock["x"], brock["y"]) == pytest.approx(211.6511, rel=1e-6)


def test_kernel_recovers_a_known_normal_home_range():
    rng = np.random.default_rng(3)
    sd = 500.0
    pts = pd.DataFrame({"individualID": "cat", "x": rng.normal(0, sd, 400), "y": rng.normal(0, sd, 400)})
    hr = kernel_home_range(pts, 95, h="LSCV").iloc[0]
    # The 95% region of a circular normal is a disc of radius sd*sqrt(-2 ln 0.05); smoothing only widens it.
    true_ha = np.pi * sd**2 * (-2 * np.log(0.05)) / 1e4
    assert hr["converged"]
    assert true_ha < hr["area_ha"] < 1.3 * true_ha
    h, ok = lscv_bandwidth(pts["x"].to_numpy(), pts["y"].to_numpy())
    # For normal data the reference bandwidth is the optimal one, so LSCV should land near it.
    assert ok and h == pytest.approx(href(pts["x"], pts["y"]), rel=0.3)


def test_kernel_area_grows_with_percent(boar):
    a50 = kernel_home_range(boar, 50).set_index("individualID")["area_ha"]
    a95 = kernel_home_range(boar, 95).set_index("individualID")["area_ha"]
    assert (a95 > a50).all()


def test_share_in_each_country():
    pts = pd.DataFrame({"individualID": "cat", "x": [-10, 10, 10, -10, 0.0], "y": [-10, -10, 10, 10, 0.0]})
    west = shapely.box(-100, -100, 0, 100)
    east = shapely.box(0, -100, 100, 100)
    share = country_share(mcp(pts, 100), {"CHN": west, "RUS": east}).iloc[0]
    assert share["share_CHN"] == pytest.approx(0.5) and share["share_RUS"] == pytest.approx(0.5)
    kshare = country_share(kernel_home_range(pts, 95), {"CHN": west, "RUS": east}).iloc[0]
    assert kshare["share_CHN"] + kshare["share_RUS"] == pytest.approx(1.0)


def test_too_few_points_named():
    with pytest.raises(PopulationError, match="Lonely has 2"):
        mcp(pd.DataFrame({"individualID": ["Lonely"] * 2, "x": [0, 1], "y": [0, 1]}))
