"""Minimum number of different tigers from pad widths, places and dates, against tigers simulated with known truth."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from bigcats.census.errors import CensusError
from bigcats.census.routes import route_set
from bigcats.census.tigers import conflict_matrix, min_colouring, minimum_tigers, parse_size_classes

CLASSES = parse_size_classes("young:0,adult_female:8.5,adult_male:10")


def _routes():
    gdf = gpd.GeoDataFrame({"route_id": ["R1"], "unit": ["U1"], "country": ["RUS"], "date": ["2025-01-20"], "days_since_snow": [5]},
                           geometry=[shapely.LineString([(131.0, 43.5), (131.5, 43.5)])], crs=4326)
    return route_set(gdf)


def _tracks(pads, km_east, ages):
    geod = pyproj.Geod(ellps="WGS84")
    lon, lat, _ = geod.fwd(np.full(len(km_east), 131.0), np.full(len(km_east), 43.5), np.full(len(km_east), 90.0), np.asarray(km_east) * 1000.0)
    n = len(pads)
    return pd.DataFrame({"row": np.arange(n) + 2, "route_id": "R1", "date": pd.Timestamp("2025-01-20"), "species": "Panthera tigris altaica",
                         "count": 1, "track_age_days": ages, "pad_width_cm": pads, "direction": "E", "longitude": lon, "latitude": lat})


def test_simulated_tigers_are_counted_exactly_when_distinguishable():
    # three known tigers: a male (11.0 cm), a female (9.0) and a young one (7.5), each leaving tracks near its home
    rng = np.random.default_rng(3)
    homes, pads = np.array([0.0, 30.0, 60.0]), np.array([11.0, 9.0, 7.5])
    who = rng.integers(0, 3, 15)
    t = _tracks(pads[who] + rng.uniform(-0.2, 0.2, 15), homes[who] + rng.uniform(-5, 5, 15), rng.integers(0, 4, 15))
    res = minimum_tigers(_routes(), t, pad_tolerance_cm=0.5, max_daily_km=20, size_classes=CLASSES)
    u = res.units.iloc[0]
    assert u["min_tigers"] == len(np.unique(who)) and u["optimal"]
    assert (u["n_adult_male"], u["n_adult_female"], u["n_young"]) == tuple(int((np.unique(who) == k).any()) for k in range(3))
    # grouping recovers the animals: tracks of one true tiger share one group
    assert res.tracks.groupby("animal")["row"].count().sort_values().tolist() == sorted(np.bincount(who)[np.bincount(who) > 0].tolist())


def test_same_width_far_apart_same_day_are_two_tigers_but_days_apart_one():
    same_day = _tracks([10.0, 10.1], [0.0, 40.0], [0, 0])
    assert minimum_tigers(_routes(), same_day, 0.5, 25, CLASSES).units["min_tigers"].iloc[0] == 2
    days_apart = _tracks([10.0, 10.1], [0.0, 40.0], [0, 3])  # 3 days is ample time to walk 40 km
    assert minimum_tigers(_routes(), days_apart, 0.5, 25, CLASSES).units["min_tigers"].iloc[0] == 1


def test_exact_minimum_beats_greedy_bound():
    # a 5-cycle of conflicts needs 3 groups; its largest conflict clique is only 2
    c = np.zeros((5, 5), bool)
    for i in range(5):
        c[i, (i + 1) % 5] = c[(i + 1) % 5, i] = True
    labels, optimal = min_colouring(c)
    assert optimal and labels.max() + 1 == 3
    assert not any(c[i, j] and labels[i] == labels[j] for i in range(5) for j in range(5))
    lon = np.full(3, 131.0)
    assert conflict_matrix(np.array([9.0, 9.4, 10.0]), lon, np.full(3, 43.5), np.zeros(3), 0.5, 20).tolist() == \
        [[False, False, True], [False, False, True], [True, True, False]]


def test_unmeasured_tracks_and_bad_classes():
    t = _tracks([np.nan], [0.0], [0])
    u = minimum_tigers(_routes(), t, 0.5, 20, CLASSES).units.iloc[0]
    assert u["min_tigers"] == 1 and u["unmeasured"] == 1 and u["measured"] == 0
    with pytest.raises(CensusError, match="thresholds must increase"):
        parse_size_classes("adult_male:10,young:0")
    with pytest.raises(CensusError, match="below the smallest class threshold"):
        minimum_tigers(_routes(), _tracks([6.0], [0.0], [0]), 0.5, 20, parse_size_classes("adult:8")).units
