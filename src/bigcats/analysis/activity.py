"""Daily activity: von Mises kernel density of time of day with a bootstrap band, and activity level.

Activity level is Rowcliffe et al. (2014): the fraction of the day the population is active, 1 / (2*pi*max f) for
the fitted circular density f, with a bootstrap interval that resamples the records (activity's sample="data").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bigcats.analysis.errors import AnalysisError
from bigcats.analysis.kernel import TWO_PI, bandwidth, bandwidths, density


@dataclass
class ActivityFit:
    """A fitted activity curve: grid (radians), density, pointwise band, bandwidth and activity level with CI."""

    grid: np.ndarray
    density: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    bandwidth: float
    level: float
    level_se: float
    level_ci: tuple[float, float]
    n: int

    def curve(self) -> pd.DataFrame:
        """The curve as a table: hour of day, radians, density (per radian) and the band."""
        return pd.DataFrame({"hour": self.grid / TWO_PI * 24, "radians": self.grid, "density": self.density,
                             "lower": self.lower, "upper": self.upper})


def activity_level_of(dens: np.ndarray) -> np.ndarray:
    """Activity level 1 / (2*pi*max density) for densities on a grid (rows)."""
    return 1.0 / (TWO_PI * np.max(np.atleast_2d(dens), axis=1))


def fit_activity(times: np.ndarray, n_boot: int = 500, conf: float = 0.95, adjust: float = 1.0, kmax: int = 3,
                 n_grid: int = 512, seed: int | None = 0, what: str = "sample") -> ActivityFit:
    """Kernel density of times (radians) with a percentile bootstrap band, and the activity level with its CI."""
    x = np.asarray(times, dtype=float).ravel()
    if len(x) and (not np.isfinite(x).all() or (x < 0).any() or (x > TWO_PI).any()):
        raise AnalysisError(f"activity: times of {what} must be radians between 0 and 2*pi")
    bw = bandwidth(x, kmax, what)
    grid = np.linspace(0, TWO_PI, n_grid)
    dens = density(x, grid, bw / adjust)[0]
    rng = np.random.default_rng(seed)
    resamples = rng.choice(x, size=(n_boot, len(x)))
    bws = bandwidths(resamples, kmax)
    ok = np.isfinite(bws)
    if ok.sum() < max(20, n_boot // 2):
        raise AnalysisError(f"activity: too few usable bootstrap samples for {what} ({ok.sum()} of {n_boot})")
    boot = density(resamples[ok], grid, bws[ok] / adjust)
    alpha = (1 - conf) / 2
    lower, upper = np.quantile(boot, [alpha, 1 - alpha], axis=0)
    levels = activity_level_of(boot)
    level = float(activity_level_of(dens)[0])
    lo, hi = np.quantile(levels, [alpha, 1 - alpha])
    return ActivityFit(grid, dens, lower, upper, bw, level, float(levels.std(ddof=1)), (float(lo), float(hi)), len(x))
