"""Daily activity rhythms as von Mises mixtures on local clock time: sampling and time-weighted effort."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import vonmises

from bigcats.simulate.errors import SimulationError

TWO_PI = 2.0 * np.pi


@dataclass(frozen=True)
class Rhythm:
    """A von Mises mixture over the 24-hour clock: component means in hours, concentrations and weights."""

    means_h: tuple[float, ...]
    kappas: tuple[float, ...]
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.means_h)
        if n == 0 or len(self.kappas) != n or len(self.weights) != n:
            raise SimulationError(
                f"rhythm needs as many means, kappas and weights (got {len(self.means_h)}, "
                f"{len(self.kappas)}, {len(self.weights)})")
        if any(k < 0 for k in self.kappas) or any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise SimulationError(f"rhythm kappas and weights must be non-negative with positive total: {self}")

    @property
    def means_rad(self) -> np.ndarray:
        """Component means in radians (0 to 2 pi = midnight to midnight)."""
        return np.asarray(self.means_h, dtype=float) / 24.0 * TWO_PI

    @property
    def norm_weights(self) -> np.ndarray:
        """Component weights scaled to sum to one."""
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    def sample_day_fraction(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw n times of day as fractions of a day in [0, 1)."""
        comp = rng.choice(len(self.weights), size=n, p=self.norm_weights)
        theta = rng.vonmises(self.means_rad[comp], np.asarray(self.kappas, dtype=float)[comp])
        return np.mod(theta, TWO_PI) / TWO_PI

    def cumulative(self, t_days: np.ndarray) -> np.ndarray:
        """Integral of the daily density from day 0 to t (in days): whole days count one each."""
        t = np.asarray(t_days, dtype=float)
        whole = np.floor(t)
        theta = (t - whole) * TWO_PI
        # scipy's von Mises cdf is cumulative on the real line, so cdf(theta) - cdf(0) is the share of one day.
        part = np.zeros_like(t)
        for mu, kappa, w in zip(self.means_rad, self.kappas, self.norm_weights, strict=True):
            part += w * (vonmises.cdf(theta, kappa, loc=mu) - vonmises.cdf(0.0, kappa, loc=mu))
        return whole + part

    def weighted_days(self, start_days: np.ndarray, end_days: np.ndarray) -> np.ndarray:
        """Activity-weighted length of intervals [start, end] in days (a full day weighs exactly one)."""
        return np.clip(self.cumulative(end_days) - self.cumulative(start_days), 0.0, None)

    def density(self, hours: np.ndarray) -> np.ndarray:
        """Density per day of activity at the given clock hours (integrates to one over 24 h in day units)."""
        theta = np.asarray(hours, dtype=float) / 24.0 * TWO_PI
        dens = np.zeros_like(theta)
        for mu, kappa, w in zip(self.means_rad, self.kappas, self.norm_weights, strict=True):
            dens += w * vonmises.pdf(theta, kappa, loc=mu)
        return dens * TWO_PI

    def to_dict(self) -> dict:
        """The parameters as plain lists (hours, radians, kappas, weights) for JSON output."""
        return {"means_h": list(self.means_h), "means_rad": self.means_rad.tolist(),
                "kappas": list(self.kappas), "weights": self.norm_weights.tolist()}
