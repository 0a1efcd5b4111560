"""FMP densities: a hand-computed example, and simulations of animals walking over snow with known truth."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from bigcats.census.crossings import read_crossings
from bigcats.census.errors import CensusError
from bigcats.census.fmp import estimate_density, fmp_density
from bigcats.census.routes import route_set
from bigcats.census.simulate import simulate_census

LAEA = "+proj=laea +lat_0=43.5 +lon_0=131 +datum=WGS84 +units=m"


def _routes():
    lines = [shapely.LineString([(0, 0), (10000, 0)]), shapely.LineString([(0, 5000), (0, 10000)]),
             shapely.LineString([(30000, 0), (30000, 8000)])]
    gdf = gpd.GeoDataFrame({"route_id": ["R1", "R2", "C1"], "unit": ["U1", "U1", "U2"], "country": ["RUS", "RUS", "CHN"],
                            "date": ["2025-01-10", "2025-01-10", "2025-01-12"], "days_since_snow": [1, 2, 1]},
                           geometry=lines, crs=LAEA)
    return route_set(gdf)


def test_hand_computed_example():
    rs = _routes()
    cr = read_crossings(pd.DataFrame({
        "route_id": ["R1", "R1", "R2", "C1", "R1"],
        "species": ["Sus scrofa"] * 4 + ["Panthera tigris altaica"],
        "count": [12, 3, 4, 6, 1],
        "track_age_days": [1, 3, 2, None, 1],  # 3-day-old tracks on a route snowed 1 day ago are not fresh
    }), rs)
    res = estimate_density(rs, cr, pd.Series({"Sus scrofa": 4.0}), masses=pd.Series({"Sus scrofa": 90.0}), n_boot=200)
    u1 = res.units.set_index("unit").loc["U1"]
    # U1: fresh crossings 12 + 4 = 16 over 10 km x 1 day + 5 km x 2 days = 20 km-days; d = 4 km
    assert u1["density_km2"] == pytest.approx(np.pi / 2 * 16 / (20 * 4), rel=1e-4)
    assert u1["biomass_kg_km2"] == pytest.approx(90 * np.pi / 2 * 16 / 80, rel=1e-4)
    u2 = res.units.set_index("unit").loc["U2"]
    assert u2["density_km2"] == pytest.approx(fmp_density(6, 8, 4), rel=1e-4)
    assert pd.isna(u2["lower"]) and "one route" in u2["note"]  # one route cannot be bootstrapped
    assert res.total["density_km2"].iloc[0] == pytest.approx(np.pi / 2 * 22 / (28 * 4), rel=1e-4)
    assert res.settings["old_tracks_excluded"] == 3
    # with unit areas the whole area is the area-weighted mean of the units
    res = estimate_density(rs, cr, pd.Series({"Sus scrofa": 4.0}), unit_areas=pd.Series({"U1": 300.0, "U2": 100.0}), n_boot=50)
    d = res.units.set_index("unit")["density_km2"]
    assert res.total["density_km2"].iloc[0] == pytest.approx((300 * d["U1"] + 100 * d["U2"]) / 400)
    assert res.total["abundance"].iloc[0] == pytest.approx(300 * d["U1"] + 100 * d["U2"])


def test_species_without_travel_distance_or_mass_is_named():
    rs = _routes()
    cr = read_crossings(pd.DataFrame({"route_id": ["R1", "R2"], "species": ["Sus scrofa", "Capreolus pygargus"], "count": [2, 3]}), rs)
    with pytest.raises(CensusError, match=r"no daily travel distance for species 'Capreolus pygargus' \(crossings on rows \[3\]"):
        estimate_density(rs, cr, pd.Series({"Sus scrofa": 4.0}))
    with pytest.raises(CensusError, match="no body mass for species 'Capreolus pygargus'"):
        estimate_density(rs, cr, pd.Series({"Sus scrofa": 4.0, "Capreolus pygargus": 2.0}), masses=pd.Series({"Sus scrofa": 90.0}))


def test_simulated_census_estimates_bracket_the_truth():
    truth = pd.DataFrame({"unit": ["A", "A", "B", "B"], "country": ["RUS", "RUS", "CHN", "CHN"],
                          "species": ["Sus scrofa", "Cervus elaphus"] * 2, "density_km2": [1.5, 0.8, 0.5, 2.0]})
    travel = pd.Series({"Sus scrofa": 4.0, "Cervus elaphus": 3.0})
    est, covered = [], []
    for seed in range(6):
        sim = simulate_census(truth, travel, routes_per_unit=10, seed=seed)
        res = estimate_density(sim.routes, sim.crossings, travel, n_boot=400, seed=seed)
        m = res.units.merge(truth, on=["unit", "species"], suffixes=("", "_true"))
        est.append(m["density_km2"].to_numpy() / m["density_km2_true"].to_numpy())
        covered.append(((m["lower"] <= m["density_km2_true"]) & (m["density_km2_true"] <= m["upper"])).to_numpy())
    ratio = np.array(est)
    assert abs(ratio.mean() - 1) < 0.06  # unbiased: 24 estimates average to the truth
    assert np.all(np.abs(ratio - 1) < 0.5)
    assert np.mean(covered) >= 0.6  # routes share animals, so nominal 95% intervals cover somewhat less
    # a wrong daily travel distance biases the estimate in proportion, as the formula says
    sim = simulate_census(truth, travel, routes_per_unit=10, seed=99)
    right = estimate_density(sim.routes, sim.crossings, travel, n_boot=10).units["density_km2"].to_numpy()
    wrong = estimate_density(sim.routes, sim.crossings, travel * 2, n_boot=10).units["density_km2"].to_numpy()
    assert wrong == pytest.approx(right / 2)
