"""Prey, other animals, people, vehicles and blanks: per-station occupancy and Poisson event rates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bigcats.simulate.cameras import CameraTime
from bigcats.simulate.config import OtherSpecies
from bigcats.simulate.detection import Events, draw_events, season_days, weighted_effort


def label_of(sp: OtherSpecies) -> str:
    """The name a species goes by in truth tables: its scientific name, else its observation type."""
    return sp.scientific_name or sp.observation_type


def simulate_other(rng: np.random.Generator, sp: OtherSpecies, station_country: np.ndarray, cams: CameraTime,
                   max_photos: int, unknown_fraction: float,
                   machine_fraction: float) -> tuple[Events, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Simulate one species: events, their attributes, true occupancy per station, expected events per deployment."""
    n_st = len(station_country)
    by_country = {c: sp.psi_for(c) for c in np.unique(station_country)}
    psi = pd.Series(station_country).map(by_country).to_numpy(dtype=float)
    occupied = rng.random(n_st) < psi
    # Log-normal spread with mean one keeps the configured rate as the average over used stations.
    rate = sp.rate_per_day * rng.lognormal(-sp.rate_sdlog ** 2 / 2.0, sp.rate_sdlog, n_st) * occupied
    season = season_days(cams.year_days, sp.active_doy)
    rates = rate[cams.station][None, :]
    events = draw_events(rng, rates, cams.start_s, cams.end_s, cams.out_start_s, cams.out_end_s, sp.rhythm,
                         season, max_photos)
    effort = weighted_effort(sp.rhythm, cams.work_dep, cams.work_start_s, cams.work_end_s, cams.n, season)
    expected = rates[0] * effort
    n = len(events)
    label = label_of(sp)
    if sp.observation_type == "blank":
        count = pd.array([pd.NA] * n, dtype="Int64")
    elif sp.observation_type == "vehicle":
        count = pd.array(np.ones(n, dtype=np.int64), dtype="Int64")
    else:
        count = pd.array(1 + rng.poisson(sp.mean_group - 1.0, n), dtype="Int64")
    obs_type = np.full(n, sp.observation_type, dtype=object)
    if sp.observation_type == "animal":
        obs_type[rng.random(n) < unknown_fraction] = "unknown"
    machine = rng.random(n) < machine_fraction
    prob = np.where(machine, np.round(rng.uniform(0.55, 0.99, n), 3), np.nan)
    attrs = pd.DataFrame({
        "scientificName": sp.scientific_name,
        "label": label,
        "observationType": obs_type,
        "trueID": None,
        "sex": None,
        "identified": False,
        "count": count,
        "lifeStage": None,
        "classificationMethod": np.where(machine, "machine", "human"),
        "classificationProbability": prob,
    }, index=pd.RangeIndex(n))
    occupancy = pd.DataFrame({"station": np.arange(n_st), "label": label, "psi": psi, "occupied": occupied,
                              "rate_per_day": rate})
    return events, attrs, occupancy, expected
