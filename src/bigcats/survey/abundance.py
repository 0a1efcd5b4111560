"""Relative abundance (independent events per 100 trap-nights) per country side and for the whole area."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bigcats.analysis.abundance import relative_abundance
from bigcats.core.frames import SurveyFrames
from bigcats.survey.effort import ALL, effort_per_station
from bigcats.survey.events import events as independent_events

N_BOOT = 1000
SEED = 0
COLUMNS = ["country", "scientificName", "events", "stationsDetected", "trapNights", "rai", "lower", "upper",
           "ciMethod"]


def abundance_by_side(frames: SurveyFrames, species: list[str], n_boot: int = N_BOOT, seed: int | None = SEED,
                      events: pd.DataFrame | None = None, per_station: pd.DataFrame | None = None) -> pd.DataFrame:
    """RAI with station-bootstrap intervals of each species per side and for the whole area ('all').

    The same n_boot and seed everywhere give the same intervals in the CLI, the web and the reports.
    """
    species = list(dict.fromkeys(species))  # one row per species, however many names pointed to it
    per_station = effort_per_station(frames) if per_station is None else per_station
    ev = independent_events(frames) if events is None else events
    ev = ev[ev["scientificName"].isin(species)]
    by_side = relative_abundance(ev, per_station, by=["country"], species=species, n_boot=n_boot, seed=seed)
    whole = relative_abundance(ev, per_station.assign(area=ALL), by=["area"], species=species, n_boot=n_boot,
                               seed=seed).drop(columns="area").assign(country=ALL)
    table = pd.concat([by_side, whole], ignore_index=True)
    seen = ev.groupby(["country", "scientificName"])["locationID"].nunique()
    seen_all = ev.groupby("scientificName")["locationID"].nunique()
    idx = pd.MultiIndex.from_frame(table[["country", "scientificName"]])
    table["stationsDetected"] = np.where(table["country"] == ALL,
                                         table["scientificName"].map(seen_all).fillna(0).to_numpy(),
                                         seen.reindex(idx).fillna(0).to_numpy()).astype(int)
    return table[COLUMNS]
