"""Circular von Mises kernel densities and their bandwidth, as the R package overlap computes them.

The bandwidth is the kernel's concentration (larger = smoother-less), from Ridout & Linkie (2009) / Taylor (2008):
fit a von Mises concentration from the first `kmax` trigonometric moments, keep the largest, and plug it into
Taylor's rule. Everything works on a batch of samples at once (rows), so bootstraps need no Python loop per replicate.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import ive

from bigcats.analysis.errors import AnalysisError

TWO_PI = 2 * np.pi
KAPPA_LO, KAPPA_HI = 1e-4, 345.0
R_UNIROOT_TOL = np.finfo(float).eps ** 0.25  # R's uniroot default; overlap's printed bandwidths depend on it


def _bessel_ratio(k: int, kappa: np.ndarray) -> np.ndarray:
    """I_k(kappa) / I_0(kappa), computed with scaled Bessel functions to avoid overflow."""
    return ive(k, kappa) / ive(0, kappa)


def _trig_moment(x: np.ndarray, k: int) -> np.ndarray:
    """Length of the k-th trigonometric moment about the circular mean, per row."""
    mean = np.arctan2(np.sin(x).sum(axis=-1), np.cos(x).sum(axis=-1))[..., None]
    d = k * (x - mean)
    return np.hypot(np.sin(d).mean(axis=-1), np.cos(d).mean(axis=-1))


def _solve_kappa(k: int, target: np.ndarray) -> np.ndarray:
    """Root of I_k/I_0(kappa) = target on [1e-4, 345] per element (0 where there is no sign change, as overlap)."""
    lo = np.full(target.shape, KAPPA_LO)
    hi = np.full(target.shape, KAPPA_HI)
    f_lo = _bessel_ratio(k, lo) - target
    f_hi = _bessel_ratio(k, hi) - target
    ok = f_lo * f_hi <= 0
    # The ratio increases with kappa: bisect on log(kappa), 80 halvings reach double precision.
    llo, lhi = np.log(lo), np.log(hi)
    for _ in range(80):  # fixed iterations of vector arithmetic, not a loop over records
        mid = 0.5 * (llo + lhi)
        above = _bessel_ratio(k, np.exp(mid)) - target > 0
        lhi = np.where(above, mid, lhi)
        llo = np.where(above, llo, mid)
    return np.where(ok, np.exp(0.5 * (llo + lhi)), 0.0)


def _solve_kappa_r(k: int, target: float) -> float:
    """The same root found as R's uniroot finds it (Brent, tolerance 1.22e-4), to agree with overlap's digits."""
    f = lambda kappa: float(_bessel_ratio(k, np.asarray(kappa)) - target)  # noqa: E731
    if f(KAPPA_LO) * f(KAPPA_HI) > 0:
        return 0.0
    return float(brentq(f, KAPPA_LO, KAPPA_HI, xtol=R_UNIROOT_TOL, rtol=4 * np.finfo(float).eps))


def _taylor_rule(kappa: np.ndarray, n: int) -> np.ndarray:
    """Taylor (2008) bandwidth from the fitted concentration; NaN where no concentration was found."""
    kappa = np.asarray(kappa, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        # besselI(2k, 2) / besselI(k, 0)^2 with scaled functions: the exp factors cancel exactly.
        ratio = ive(2, 2 * kappa) / ive(0, kappa) ** 2
        bw = (3 * n * kappa**2 * ratio / (4 * np.sqrt(np.pi))) ** 0.4
    return np.where(kappa > 0, bw, np.nan)


def bandwidths(x: np.ndarray, kmax: int = 3) -> np.ndarray:
    """overlap::getBandWidth for each row of x (radians), roots solved exactly; NaN where none is found."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    # The k-th moment's length about the circular mean equals that of the raw moment: rotation keeps lengths.
    lengths = np.abs(_moments(x, kmax, 1 << 16))
    kappa = np.max([_solve_kappa(k, lengths[:, k - 1]) for k in range(1, kmax + 1)], axis=0)
    return _taylor_rule(kappa, x.shape[-1])


def bandwidth(x: np.ndarray, kmax: int = 3, what: str = "sample") -> float:
    """overlap::getBandWidth for one sample of times in radians; refuses samples too small or featureless."""
    x = np.asarray(x, dtype=float).ravel()
    if len(x) < 2:
        raise AnalysisError(f"activity: {what} has {len(x)} record(s); a kernel density needs at least 2")
    if not np.isfinite(x).all():
        raise AnalysisError(f"activity: {what} has missing or infinite times")
    kappa = max(_solve_kappa_r(k, float(_trig_moment(x[None, :], k)[0])) for k in range(1, kmax + 1))
    bw = float(_taylor_rule(np.asarray(kappa), len(x)))
    if not np.isfinite(bw):
        raise AnalysisError(f"activity: cannot choose a bandwidth for {what} (times too spread out or too few)")
    return float(bw)


FOURIER_TOL = 1e-15  # Fourier terms whose weight I_j/I_0 falls below this change densities by less than 1e-14


def fourier_terms(kappa: float) -> int:
    """Number of Fourier terms of a von Mises kernel of concentration kappa that matter (I_j/I_0 >= FOURIER_TOL)."""
    # I_j/I_0(kappa) ~ exp(-j^2 / (2 kappa)): 40 e-folds is far past double precision.
    jmax = int(np.ceil(np.sqrt(80.0 * max(float(kappa), 1.0)))) + 8
    ratio = ive(np.arange(1, jmax + 1), float(kappa)) / ive(0, float(kappa))
    below = np.flatnonzero(ratio < FOURIER_TOL)
    return max(1, int(below[0])) if len(below) else jmax


def _moments(x: np.ndarray, terms: int, chunk: int) -> np.ndarray:
    """Trigonometric moments mean(exp(i j x)) for j = 1..terms of each row of x."""
    out = np.empty((x.shape[0], terms), dtype=complex)
    rows = max(1, chunk // max(1, x.shape[1]))
    for a in range(0, x.shape[0], rows):  # cache-sized blocks of replicates
        z = np.exp(1j * x[a:a + rows])
        w = z.copy()
        for j in range(terms):  # one pass per Fourier term (tens), not per record
            out[a:a + rows, j] = w.mean(axis=1)
            w *= z
    return out


def _density_fourier(x: np.ndarray, pts: np.ndarray, kap: np.ndarray, terms: int, chunk: int) -> np.ndarray:
    """Kernel density from its Fourier series: 1/(2 pi) * (1 + 2 sum_j I_j/I_0(kappa) Re(conj(m_j) exp(i j t)))."""
    j = np.arange(1, terms + 1)
    coef = ive(j[None, :], kap[:, None]) / ive(0, kap)[:, None] * np.conj(_moments(x, terms, max(chunk // 32, 4096)))
    if pts.ndim == 1:
        series = (coef @ np.exp(1j * np.outer(j, pts))).real
    else:
        # Points differ per row: sum the series term by term on each row's own points.
        u = np.exp(1j * pts)
        w = u.copy()
        acc = np.zeros(pts.shape, dtype=complex)
        for k in range(terms):  # one pass per Fourier term
            acc += coef[:, k, None] * w
            w *= u
        series = acc.real
    return np.maximum((1.0 + 2.0 * series) / TWO_PI, 0.0)


def density(x: np.ndarray, points: np.ndarray, kappa: np.ndarray | float, chunk: int = 2_000_000) -> np.ndarray:
    """Von Mises kernel density of each row of x at `points` (same rows, or one shared vector)."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    pts = np.asarray(points, dtype=float)
    kap = np.broadcast_to(np.asarray(kappa, dtype=float).reshape(-1), (x.shape[0],))
    n_points = pts.shape[-1]
    if x.shape[0] and x.shape[1] and np.isfinite(kap).all() and (kap > 0).all():
        terms = fourier_terms(float(kap.max()))
        # The series needs `terms` complex products per record instead of one exp and cos per record and point:
        # far cheaper whenever there are more points than a few tens of terms, and equal to rounding error.
        if terms <= 4 * n_points:
            shared = pts.ndim == 1 or pts.shape[0] == 1
            p = pts.reshape(-1) if shared else np.broadcast_to(pts, (x.shape[0], n_points))
            return _density_fourier(x, p, kap, terms, chunk)
    pts2 = np.broadcast_to(np.atleast_2d(pts), (x.shape[0], n_points))
    out = np.empty(pts2.shape)
    rows = max(1, chunk // max(1, x.shape[1] * pts2.shape[1]))
    for a in range(0, x.shape[0], rows):  # memory-bounded blocks of replicates
        b = slice(a, a + rows)
        k = kap[b][:, None, None]
        dens = np.exp(k * (np.cos(pts2[b][:, :, None] - x[b][:, None, :]) - 1)).mean(axis=2)
        out[b] = dens / (TWO_PI * ive(0, kap[b]))[:, None]
    return out


def interpolate(grid_values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation of densities on the regular grid 0..2*pi (R's approx), at times in [0, 2*pi]."""
    n = grid_values.shape[1]
    pos = np.clip(at / TWO_PI * (n - 1), 0, n - 1)
    i = np.minimum(np.floor(pos).astype(int), n - 2)
    w = pos - i
    left = np.take_along_axis(grid_values, i, axis=1)
    right = np.take_along_axis(grid_values, i + 1, axis=1)
    return left + w * (right - left)


def smoothed_resample(x: np.ndarray, n_boot: int, rng: np.random.Generator, kmax: int = 3, adjust: float = 1.0,
                      n_grid: int = 512, what: str = "sample") -> np.ndarray:
    """overlap::resample(smooth=TRUE): n_boot samples (rows) drawn from the fitted kernel density on a grid."""
    bw = bandwidth(x, kmax, what)
    grid = np.linspace(0, TWO_PI, n_grid)
    dens = density(x, grid, bw / adjust)[0][:-1]  # first and last grid points are both midnight
    return rng.choice(grid[:-1], size=(n_boot, len(np.ravel(x))), p=dens / dens.sum())
