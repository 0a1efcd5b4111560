"""Detection events: half-normal encounter rates, and a Poisson process over camera time thinned to effort."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bigcats.simulate.rhythm import Rhythm
from bigcats.simulate.schedule import DAY


def half_normal_rates(cx: np.ndarray, cy: np.ndarray, sx: np.ndarray, sy: np.ndarray,
                      g0: float, sigma: float) -> np.ndarray:
    """Expected events per day (individuals x cameras): g0 * exp(-d^2 / (2 sigma^2))."""
    d2 = (cx[:, None] - sx[None, :]) ** 2 + (cy[:, None] - sy[None, :]) ** 2
    return g0 * np.exp(-d2 / (2.0 * sigma * sigma))


@dataclass
class Events:
    """Events kept after thinning: source (individual or species row), deployment, local start/end seconds."""

    src: np.ndarray
    dep: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    n_photos: np.ndarray
    offsets_s: np.ndarray  # (events x max_photos) seconds after start of each photo of the burst

    def __len__(self) -> int:
        return len(self.src)


def season_days(year_days: int, active_doy: tuple[int, int] | None) -> tuple[int, int]:
    """Local survey-day range [first, last + 1) in which a species is active (day 0 = 1 January)."""
    if active_doy is None:
        return 0, year_days + 1
    return active_doy[0] - 1, active_doy[1]


def draw_events(rng: np.random.Generator, rates: np.ndarray, dep_start: np.ndarray, dep_end: np.ndarray,
                out_start: np.ndarray, out_end: np.ndarray, rhythm: Rhythm, season: tuple[int, int],
                max_photos: int) -> Events:
    """Simulate events with intensity rate * rhythm(time of day) while each camera works (rates: sources x deps).

    Candidates are drawn over the whole days each deployment touches and then thinned to the deployment
    and out of its failure period, which is exact for an inhomogeneous Poisson process. `out_start` and
    `out_end` are per deployment; equal values mean no failure.
    """
    d0 = np.maximum(dep_start // DAY, season[0])
    d1 = np.minimum(-(-dep_end // DAY), season[1])
    span = np.maximum(d1 - d0, 0)
    counts = rng.poisson(rates * span[None, :])
    flat = np.repeat(np.arange(counts.size), counts.ravel())
    src, dep = np.divmod(flat, counts.shape[1])
    n = len(src)
    day = d0[dep] + (rng.random(n) * span[dep]).astype(np.int64)
    start = ((day + rhythm.sample_day_fraction(rng, n)) * DAY).astype(np.int64)
    n_photos = rng.integers(1, max_photos + 1, n)
    gaps = rng.integers(1, 4, (n, max_photos - 1)) * (np.arange(1, max_photos)[None, :] < n_photos[:, None])
    offsets = np.concatenate([np.zeros((n, 1), dtype=np.int64), np.cumsum(gaps, axis=1)], axis=1)
    end = start + offsets[:, -1]
    keep = (start >= dep_start[dep]) & (end <= dep_end[dep]) & ~((start < out_end[dep]) & (end > out_start[dep]))
    return Events(src[keep], dep[keep], start[keep], end[keep], n_photos[keep], offsets[keep])


def weighted_effort(rhythm: Rhythm, dep_index: np.ndarray, work_start: np.ndarray, work_end: np.ndarray,
                    n_deps: int, season: tuple[int, int]) -> np.ndarray:
    """Per deployment, working time weighted by the species' rhythm and season, in days (the rate multiplier)."""
    lo = np.maximum(work_start / DAY, season[0])
    hi = np.minimum(work_end / DAY, season[1])
    w = np.where(hi > lo, rhythm.weighted_days(lo, np.maximum(hi, lo)), 0.0)
    return np.bincount(dep_index, weights=w, minlength=n_deps)
