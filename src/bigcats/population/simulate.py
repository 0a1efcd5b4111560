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


def simulate_centres(rng: np.random.Generator, mask: Mask, density_ha: float | np.ndarray) -> np.ndarray:
    """Activity centres: a Poisson number in each mask cell with mean D(x) x cell area, uniform within the cell."""
    dens = np.broadcast_to(np.asarray(density_ha, float), (len(mask),))
    counts = rng.poisson(dens * mask.cell_area_ha)
    cell = np.repeat(np.arange(len(mask)), counts)
    return mask.xy[cell] + (rng.random((cell.size, 2)) - 0.5) * mask.spacing


def simulate_capthist(
    rng: np.random.Generator, traps: pd.DataFrame, mask: Mask, density_ha: float | np.ndarray,
    p0: float | tuple[float, ...], sigma: float | tuple[float, ...], noccasions: int, detector: str = "proximity",
    detectfn: str = "HN", usage: np.ndarray | None = None, pmix: tuple[float, ...] | None = None,
    session: str = "1",
) -> tuple[CaptureHistory, dict]:
    """A survey of a simulated population; returns the capture history and the truth (N, centres, classes).

    density_ha may be a surface (one value per mask point); p0 and sigma may be one per latent class, with each
    animal's class drawn with probabilities pmix (secr's h2 finite mixture).
    """
    p0s, sigmas = np.atleast_1d(np.asarray(p0, float)), np.atleast_1d(np.asarray(sigma, float))
    if (sigmas <= 0).any() or (p0s <= 0).any() or (detectfn != "HHN" and (p0s > 1).any()):
        raise PopulationError(f"simulation: need sigma > 0 and 0 < g0 <= 1 (lambda0 > 0 for HHN), got {p0}, {sigma}")
    ncls = max(p0s.size, sigmas.size)
    weights = np.full(ncls, 1.0 / ncls) if pmix is None else np.asarray(pmix, float)
    if weights.size != ncls or not np.isclose(weights.sum(), 1.0):
        raise PopulationError(f"simulation: pmix must give one probability per class summing to 1, got {pmix}")
    centres = simulate_centres(rng, mask, density_ha)
    cls = rng.choice(ncls, size=len(centres), p=weights)
    p0_i = np.broadcast_to(p0s, (ncls,))[cls][:, None]
    sig_i = np.broadcast_to(sigmas, (ncls,))[cls][:, None]
    xy = traps[["x", "y"]].to_numpy(float)
    k = len(xy)
    u = np.ones((k, noccasions)) if usage is None else np.asarray(usage, float)
    d = np.sqrt(((centres[:, None, :] - xy[None]) ** 2).sum(-1))
    shape = np.exp(-d / sig_i) if detectfn == "EX" else np.exp(-d**2 / (2 * sig_i**2))
    lam = p0_i * shape
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
        # secr's count model: Poisson with the hazard as mean (-log(1 - g) for HN and EX)
        mean = lam[:, None, :] * u.T[None]
        y = rng.poisson(mean)
        a, s, kk = np.nonzero(y)
        rec = pd.DataFrame({"animal": a, "occasion": s + 1, "trapID": traps["trapID"].to_numpy()[kk], "count": y[a, s, kk]})
    else:
        raise PopulationError(f"simulation: unknown detector {detector!r}")
    rec["animal"] = "A" + rec["animal"].astype(str).str.zfill(4)
    ch = make_capthist(rec, traps, u, noccasions, detector, session=session, source="simulated captures")
    return ch, {"N": n, "D": density_ha, "centres": centres, "p0": p0, "sigma": sigma, "class": cls}
