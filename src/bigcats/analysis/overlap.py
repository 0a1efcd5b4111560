"""Overlap of two species' daily activity: Dhat1, Dhat4, Dhat5 (Ridout & Linkie 2009), as R's overlap package.

Each estimator smooths with the species' own bandwidth divided by `adjust` (0.8, 1, 4 by default). Confidence
intervals come from the smoothed bootstrap (`resample(smooth=TRUE)` + `bootEst`) and `bootCI`, whose `basic0`
interval the overlap authors recommend.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import norm

from bigcats.analysis.errors import AnalysisError
from bigcats.analysis.kernel import TWO_PI, bandwidth, bandwidths, density, interpolate, smoothed_resample

NAMES = ("Dhat1", "Dhat4", "Dhat5")


def _estimates(a: np.ndarray, b: np.ndarray, bw_a: np.ndarray, bw_b: np.ndarray,
               adjust: tuple[float, float, float], n_grid: int) -> np.ndarray:
    """The three estimators for each row of a and b (samples in rows), given the bandwidths per row."""
    grid = np.linspace(0, TWO_PI, n_grid)
    n1 = a.shape[1]
    both = np.concatenate([a, b], axis=1)
    out = np.empty((a.shape[0], 3))
    da = density(a, grid, bw_a / adjust[0])[:, 1:]
    db = density(b, grid, bw_b / adjust[0])[:, 1:]
    out[:, 0] = np.minimum(da / da.sum(axis=1, keepdims=True), db / db.sum(axis=1, keepdims=True)).sum(axis=1)
    for col, adj in ((1, adjust[1]), (2, adjust[2])):
        if both.shape[1] > n_grid * 1.1:
            # Many records: densities are interpolated from the grid, exactly as overlapEst does.
            dax = interpolate(density(a, grid, bw_a / adj), both)
            dbx = interpolate(density(b, grid, bw_b / adj), both)
        else:
            dax = density(a, both, bw_a / adj)
            dbx = density(b, both, bw_b / adj)
        if col == 1:
            out[:, 1] = (np.minimum(1, dbx[:, :n1] / dax[:, :n1]).mean(axis=1)
                         + np.minimum(1, dax[:, n1:] / dbx[:, n1:]).mean(axis=1)) / 2
        else:
            out[:, 2] = (dbx[:, :n1] > dax[:, :n1]).mean(axis=1) + (dax[:, n1:] >= dbx[:, n1:]).mean(axis=1)
    return out


def _check(x: np.ndarray, what: str) -> np.ndarray:
    """Times in radians as a flat array, refused if too few or out of range."""
    x = np.asarray(x, dtype=float).ravel()
    if len(x) < 2:
        raise AnalysisError(f"overlap: {what} has {len(x)} record(s); a kernel density needs at least 2")
    if not np.isfinite(x).all() or (x < 0).any() or (x > TWO_PI).any():
        raise AnalysisError(f"overlap: times of {what} must be radians between 0 and 2*pi")
    return x


def overlap_estimates(a: np.ndarray, b: np.ndarray, kmax: int = 3, adjust: tuple[float, float, float] = (0.8, 1.0, 4.0),
                      n_grid: int = 128, names: tuple[str, str] = ("species A", "species B")) -> dict[str, float]:
    """overlap::overlapEst: Dhat1, Dhat4 and Dhat5 for two samples of times in radians."""
    a, b = _check(a, names[0]), _check(b, names[1])
    bw_a = np.array([bandwidth(a, kmax, names[0])])
    bw_b = np.array([bandwidth(b, kmax, names[1])])
    est = _estimates(a[None], b[None], bw_a, bw_b, adjust, n_grid)[0]
    return dict(zip(NAMES, map(float, est)))


def _quantile_inter(bt: np.ndarray, conf: float) -> np.ndarray:
    """overlap's normally-interpolated percentile limits (quantileInter)."""
    r = len(bt)
    alpha = (1 + np.array([-conf, conf])) / 2
    rk = (r + 1) * alpha
    if not np.all((rk > 1) & (rk < r)):
        raise AnalysisError(f"overlap: {r} bootstrap replicates are too few for a {conf:.0%} interval")
    k = np.trunc(rk).astype(int)
    ts = np.sort(bt)
    lo, hi = ts[k - 1], ts[k]
    if np.all(k == rk):
        return lo
    wanted, too_lo, too_hi = norm.ppf(alpha), norm.ppf(k / (r + 1)), norm.ppf((k + 1) / (r + 1))
    return lo + (wanted - too_lo) / (too_hi - too_lo) * (hi - lo)


def boot_ci(estimate: float, boot: np.ndarray, conf: float = 0.95) -> dict[str, tuple[float, float]]:
    """overlap::bootCI: norm, norm0, basic, basic0 and perc intervals from bootstrap replicates."""
    bt = np.asarray(boot, dtype=float)
    bt = bt[np.isfinite(bt)]
    bias = bt.mean() - estimate
    merr = bt.std(ddof=1) * norm.ppf((1 + conf) / 2)
    perc = _quantile_inter(bt, conf)
    return {
        "norm": (estimate - bias - merr, estimate - bias + merr),
        "norm0": (estimate - merr, estimate + merr),
        "basic": (2 * estimate - perc[1], 2 * estimate - perc[0]),
        "basic0": (perc[0] - bias, perc[1] - bias),
        "perc": (perc[0], perc[1]),
    }


@dataclass
class OverlapResult:
    """Point estimates, bootstrap replicates and the intervals of each estimator."""

    estimates: dict[str, float]
    boot: np.ndarray
    ci: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)
    n: tuple[int, int] = (0, 0)

    def table(self, interval: str = "basic0") -> list[dict[str, float | str]]:
        """One row per estimator: estimate, bootstrap mean and the chosen interval."""
        return [{"estimator": k, "estimate": v, "bootMean": float(np.nanmean(self.boot[:, i])),
                 "lower": float(self.ci[k][interval][0]), "upper": float(self.ci[k][interval][1]), "interval": interval}
                for i, (k, v) in enumerate(self.estimates.items())]


def overlap(a: np.ndarray, b: np.ndarray, n_boot: int = 1000, conf: float = 0.95, smooth: bool = True, kmax: int = 3,
            adjust: tuple[float, float, float] = (0.8, 1.0, 4.0), n_grid: int = 128, seed: int | None = 0,
            names: tuple[str, str] = ("species A", "species B")) -> OverlapResult:
    """Overlap estimates with (smoothed) bootstrap replicates and bootCI intervals for each estimator."""
    est = overlap_estimates(a, b, kmax, adjust, n_grid, names)
    a, b = _check(a, names[0]), _check(b, names[1])
    rng = np.random.default_rng(seed)
    if smooth:
        ra = smoothed_resample(a, n_boot, rng, kmax, 1.0, 512, names[0])
        rb = smoothed_resample(b, n_boot, rng, kmax, 1.0, 512, names[1])
    else:
        ra = rng.choice(a, size=(n_boot, len(a)))
        rb = rng.choice(b, size=(n_boot, len(b)))
    bw_a, bw_b = bandwidths(ra, kmax), bandwidths(rb, kmax)
    ok = np.isfinite(bw_a) & np.isfinite(bw_b)
    boot = np.full((n_boot, 3), np.nan)
    if ok.any():
        boot[ok] = _estimates(ra[ok], rb[ok], bw_a[ok], bw_b[ok], adjust, n_grid)
    if ok.sum() < max(40, n_boot // 2):
        raise AnalysisError(f"overlap: only {ok.sum()} of {n_boot} bootstrap samples gave a bandwidth; too few records?")
    ci = {k: boot_ci(est[k], boot[:, i], conf) for i, k in enumerate(NAMES)}
    return OverlapResult(est, boot, ci, (len(a), len(b)))
