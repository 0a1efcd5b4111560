"""Simulated SCR surveys with known density and detection, to check estimators against the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bigcats.population.capthist import CaptureHistory, make_capthist
from bigcats.population.errors import PopulationError
from bigcats.population.mask import Mask


def grid_traps(nx: int, ny: int, spacing: float, origin: tuple[float, float] = (0.0, 0.0)) -> pd.DataFrame:
    """A rectangular detector grid (trapID, x, y), like secr's make.grid."""
    gx, gy = np.meshgrid(np.arange(nx) * spacing + origin[0], np.arange(ny) * spacing + origin[1])
    return pd.DataFrame({"trapID": [str(i + 1) for i in range(nx * ny)], "x": gx.ravel(), "y": gy.ravel()})


def simulate_centres(rng: np.random.Generator, mask: Mask, density_ha: float) -> np.ndarray:
    """Activity centres: Poisson number with mean D x mask area, uniform over the mask cells."""
    n = rng.poisson(density_ha * mask.area_ha)
    cell = rng.integers(0, len(mask), n)
    return mask.xy[cell] + (rng.random((n, 2)) - 0.5) * mask.spacing


def simulate_capthist(
    rng: np.random.Generator, traps: pd.DataFrame, mask: Mask, density_ha: float, p0: float, sigma: float,
    noccasions: int, detector: str = "proximity", detectfn: str = "HN", usage: np.ndarray | None = None,
) -> tuple[CaptureHistory, dict]:
    """A survey of a simulated population; returns the capture history and the truth (N, centres)."""
    if sigma <= 0 or p0 <= 0 or (detectfn != "HHN" and p0 > 1):
        raise PopulationError(f"simulation: need sigma > 0 and 0 < g0 <= 1 (lambda0 > 0 for HHN), got {p0}, {sigma}")
    centres = simulate_centres(rng, mask, density_ha)
    xy = traps[["x", "y"]].to_numpy(float)
    k = len(xy)
    u = np.ones((k, noccasions)) if usage is None else np.asarray(usage, float)
    d = np.sqrt(((centres[:, None, :] - xy[None]) ** 2).sum(-1))
    shape = np.exp(-d / sigma) if detectfn == "EX" else np.exp(-d**2 / (2 * sigma**2))
    lam = p0 * shape
    if detectfn == "HHN":
        g = -np.expm1(-lam)
    else:
        g = lam
        lam = -np.log1p(-np.minimum(g, 1 - 1e-12))  # hazard for competing risks
    n = len(centres)
    if detector == "multi":
        hz = lam[:, None, :] * u.T[None]  # N x S x K
        tot = hz.sum(-1)
        caught = rng.random((n, noccasions)) < -np.expm1(-tot)
        cum = np.cumsum(hz, -1) / np.where(tot > 0, tot, 1)[..., None]
        which = (rng.random((n, noccasions, 1)) > cum).sum(-1)
        a, s = np.nonzero(caught)
        rec = pd.DataFrame({"animal": a, "occasion": s + 1, "trapID": traps["trapID"].to_numpy()[which[a, s]], "count": 1})
    elif detector == "proximity":
        p = -np.expm1(u.T[None] * np.log1p(-np.minimum(g, 1 - 1e-12))[:, None, :])
        a, s, kk = np.nonzero(rng.random(p.shape) < p)
        rec = pd.DataFrame({"animal": a, "occasion": s + 1, "trapID": traps["trapID"].to_numpy()[kk], "count": 1})
    elif detector == "count":
        mean = (g if detectfn != "HHN" else lam)[:, None, :] * u.T[None]
        y = rng.poisson(mean)
        a, s, kk = np.nonzero(y)
        rec = pd.DataFrame({"animal": a, "occasion": s + 1, "trapID": traps["trapID"].to_numpy()[kk], "count": y[a, s, kk]})
    else:
        raise PopulationError(f"simulation: unknown detector {detector!r}")
    rec["animal"] = "A" + rec["animal"].astype(str).str.zfill(4)
    ch = make_capthist(rec, traps, u, noccasions, detector, source="simulated captures")
    return ch, {"N": n, "D": density_ha, "centres": centres, "p0": p0, "sigma": sigma}
