"""When each camera ran: staggered set-up and retrieval, card swaps, and failure periods (local clock seconds)."""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd

DAY = 86_400
FAILURE_REASONS = ("battery", "theft", "snow", "malfunction", "wildlife damage")
FAILURE_WEIGHTS = (0.35, 0.10, 0.20, 0.25, 0.10)


def days_in_year(year: int) -> int:
    """366 in leap years, else 365."""
    return 366 if calendar.isleap(year) else 365


def _working_hours(rng: np.random.Generator, n: int) -> np.ndarray:
    # Field teams set up and retrieve cameras in daylight: 09:00-17:00, to the minute.
    return rng.integers(9 * 60, 17 * 60, n) * 60


def deployment_schedule(rng: np.random.Generator, n_stations: int, year: int, setup_window_days: int,
                        card_swap_fraction: float) -> pd.DataFrame:
    """One row per deployment: station index, sequence number k, start and end in local seconds since 1 January."""
    ndays = days_in_year(year)
    start = rng.integers(1, setup_window_days + 1, n_stations) * DAY + _working_hours(rng, n_stations)
    end = (ndays - 1 - rng.integers(1, setup_window_days + 1, n_stations)) * DAY + _working_hours(rng, n_stations)
    swap = rng.random(n_stations) < card_swap_fraction
    swap_at = rng.integers(100, 260, n_stations) * DAY + _working_hours(rng, n_stations)
    # Half the swaps are done on the spot (minutes), the others need a second visit days later.
    quick = rng.random(n_stations) < 0.5
    gap = np.where(quick, rng.integers(10, 60, n_stations) * 60, rng.integers(1, 8, n_stations) * DAY)
    first = pd.DataFrame({"station": np.arange(n_stations), "k": 1, "start_s": start,
                          "end_s": np.where(swap, swap_at, end)})
    second = pd.DataFrame({"station": np.flatnonzero(swap), "k": 2, "start_s": (swap_at + gap)[swap],
                           "end_s": end[swap]})
    deps = pd.concat([first, second], ignore_index=True).sort_values(["station", "k"], ignore_index=True)
    return deps.astype({"station": "int64", "k": "int64", "start_s": "int64", "end_s": "int64"})


def failure_periods(rng: np.random.Generator, dep_start: np.ndarray, dep_end: np.ndarray,
                    failure_fraction: float) -> pd.DataFrame:
    """At most one failure per deployment: row index of the deployment, start, end (local seconds), reason."""
    n = len(dep_start)
    fails = rng.random(n) < failure_fraction
    reason = rng.choice(len(FAILURE_REASONS), size=n, p=FAILURE_WEIGHTS)
    span = dep_end - dep_start
    anywhere = dep_start + (rng.random(n) * span).astype(np.int64)
    late = dep_start + 10 * DAY + (rng.random(n) * np.maximum(span - 11 * DAY, 0)).astype(np.int64)
    winter = rng.integers(0, 75, n) * DAY + rng.integers(0, DAY, n)
    start = np.select([reason <= 1, reason == 2], [late, winter], anywhere)
    # A dead battery or a stolen camera stays out until the team comes back to retrieve it.
    end = np.select([reason <= 1, reason == 2],
                    [dep_end, start + rng.integers(3, 31, n) * DAY],
                    start + rng.integers(2, 61, n) * DAY + rng.integers(0, DAY, n))
    start = np.clip(start, dep_start, dep_end)
    end = np.clip(end, dep_start, dep_end)
    keep = fails & (end - start >= 3600)
    return pd.DataFrame({"dep": np.flatnonzero(keep), "start_s": start[keep], "end_s": end[keep],
                         "reason": np.asarray(FAILURE_REASONS, dtype=object)[reason[keep]]})


def operating_intervals(dep_start: np.ndarray, dep_end: np.ndarray, out_dep: np.ndarray,
                        out_start: np.ndarray, out_end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Working periods: (deployment index, start, end) in local seconds, at most two per deployment."""
    n = len(dep_start)
    cut_start = np.full(n, -1, dtype=np.int64)
    cut_end = np.full(n, -1, dtype=np.int64)
    cut_start[out_dep] = out_start
    cut_end[out_dep] = out_end
    has = cut_start >= 0
    idx = np.arange(n)
    before_end = np.where(has, cut_start, dep_end)
    after_start = np.where(has, cut_end, dep_end)
    dep = np.concatenate([idx, idx])
    start = np.concatenate([dep_start, after_start])
    end = np.concatenate([before_end, dep_end])
    keep = end > start
    return dep[keep], start[keep], end[keep]
