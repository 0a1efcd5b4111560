"""Home ranges per individual: minimum convex polygons and kernel utilisation distributions (adehabitatHR rules).

MCP: keep the points whose distance to the arithmetic centroid is at most the `percent` quantile (R type 7) of
those distances, and take their convex hull. Kernel: bivariate normal kernel with one bandwidth h, the reference
bandwidth href = sqrt((var x + var y)/2) n^(-1/6), or least-squares cross-validation (LSCV) over a grid of h;
the home range is the smallest set of grid cells holding `percent` of the utilisation volume.
Coordinates are projected metres; areas are in hectares.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import shapely
from scipy.spatial.distance import pdist

from bigcats.population.errors import PopulationError, listed


def _relocations(relocs: pd.DataFrame, min_points: int, what: str) -> pd.DataFrame:
    missing = [c for c in ("individualID", "x", "y") if c not in relocs.columns]
    if missing:
        raise PopulationError(f"{what}: relocations need columns individualID, x, y (missing {', '.join(missing)})")
    xy = relocs[["x", "y"]].apply(pd.to_numeric, errors="coerce")
    bad = xy.isna().any(axis=1) | ~np.isfinite(xy).all(axis=1)
    if bad.any():
        raise PopulationError(f"{what}: x, y not finite numbers at row {listed((np.flatnonzero(bad) + 1).tolist())}")
    frame = pd.DataFrame({"individualID": relocs["individualID"].astype(str), "x": xy["x"], "y": xy["y"]})
    few = frame.groupby("individualID").size()
    few = few[few < min_points]
    if len(few):
        raise PopulationError(f"{what}: at least {min_points} relocations needed per individual; "
                              f"{listed([f'{i} has {n}' for i, n in few.items()])}")
    return frame


def mcp(relocs: pd.DataFrame, percent: float = 95.0) -> pd.DataFrame:
    """Minimum convex polygon per individual: individualID, points, points_used, area_ha, geometry."""
    if not 0 < percent <= 100:
        raise PopulationError(f"MCP: percent must be in (0, 100], got {percent}")
    frame = _relocations(relocs, 5, "MCP")
    g = frame.groupby("individualID", sort=True)
    cx, cy = g["x"].transform("mean"), g["y"].transform("mean")
    dist = np.hypot(frame["x"] - cx, frame["y"] - cy)
    # pandas' quantile is linear interpolation, R's type 7.
    limit = dist.groupby(frame["individualID"]).transform(lambda s: s.quantile(percent / 100))
    kept = frame.loc[dist <= limit]
    pts = shapely.points(kept["x"].to_numpy(), kept["y"].to_numpy())
    hulls = pd.Series(pts).groupby(kept["individualID"].to_numpy()).agg(lambda s: shapely.convex_hull(shapely.multipoints(s.to_numpy())))
    return pd.DataFrame({"individualID": hulls.index, "points": g.size().reindex(hulls.index).to_numpy(),
                         "points_used": kept.groupby("individualID").size().reindex(hulls.index).to_numpy(),
                         "area_ha": shapely.area(hulls.to_numpy()) / 1e4, "geometry": hulls.to_numpy()})


def href(x: np.ndarray, y: np.ndarray) -> float:
    """adehabitatHR's reference bandwidth sqrt(0.5 (var x + var y)) n^(-1/6), sample variances."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    return float(np.sqrt(0.5 * (x.var(ddof=1) + y.var(ddof=1))) * x.size ** (-1 / 6))


def lscv_score(d2: np.ndarray, n: int, h: np.ndarray) -> np.ndarray:
    """LSCV criterion of a bivariate normal kernel at bandwidths h, from the pairwise squared distances."""
    h = np.asarray(h, float)[:, None]
    # integral of fhat² over the plane, minus twice the mean leave-one-out density at the data points.
    int_f2 = (n + 2 * np.sum(np.exp(-d2[None] / (4 * h**2)), axis=1, keepdims=True)) / (n**2 * 4 * np.pi * h**2)
    loo = 2 * np.sum(np.exp(-d2[None] / (2 * h**2)), axis=1, keepdims=True) / (n * (n - 1) * 2 * np.pi * h**2)
    return (int_f2 - 2 * loo).ravel()


def lscv_bandwidth(x: np.ndarray, y: np.ndarray, hlim: tuple[float, float] = (0.1, 1.5), steps: int = 100) -> tuple[float, bool]:
    """LSCV bandwidth over h in hlim x href (adehabitatHR's grid); also whether the minimum is inside the grid."""
    xy = np.column_stack([x, y])
    d2 = pdist(xy, "sqeuclidean")
    ref = href(x, y)
    hs = np.linspace(hlim[0] * ref, hlim[1] * ref, steps)
    score = lscv_score(d2, len(xy), hs)
    best = int(np.argmin(score))
    return float(hs[best]), 0 < best < steps - 1


def kernel_home_range(
    relocs: pd.DataFrame, percent: float = 95.0, h: str | float = "href", grid: int = 60, extent: float = 1.0,
) -> pd.DataFrame:
    """Kernel home range per individual: individualID, h, converged, area_ha, cells (the isopleth's cell centres)."""
    if not 0 < percent < 100:
        raise PopulationError(f"kernel home range: percent must be in (0, 100), got {percent}")
    frame = _relocations(relocs, 5, "kernel home range")
    rows = []
    for ind, part in frame.groupby("individualID", sort=True):
        x, y = part["x"].to_numpy(), part["y"].to_numpy()
        converged = True
        if h == "href":
            bw = href(x, y)
        elif h in ("LSCV", "lscv"):
            bw, converged = lscv_bandwidth(x, y)
            if not converged:
                warnings.warn(f"LSCV bandwidth for {ind} is at the end of its search range (did not converge)", stacklevel=2)
        else:
            bw = float(h)
        if not bw > 0:
            raise PopulationError(f"kernel home range: bandwidth for {ind} is {bw}; its relocations may all coincide")
        rx, ry = np.ptp(x), np.ptp(y)
        half = max(rx, ry) * (0.5 + extent) + 3 * bw
        cell = 2 * half / grid
        gx = (x.min() + x.max()) / 2 - half + cell * (np.arange(grid) + 0.5)
        gy = (y.min() + y.max()) / 2 - half + cell * (np.arange(grid) + 0.5)
        gxx, gyy = np.meshgrid(gx, gy)
        d2 = (gxx.ravel()[:, None] - x[None]) ** 2 + (gyy.ravel()[:, None] - y[None]) ** 2
        ud = np.exp(-d2 / (2 * bw**2)).sum(1) / (len(x) * 2 * np.pi * bw**2)
        order = np.argsort(ud)[::-1]
        vol = np.cumsum(ud[order]) / ud.sum()
        inside = order[: int(np.searchsorted(vol, percent / 100) + 1)]
        rows.append({"individualID": ind, "h": bw, "converged": converged, "area_ha": inside.size * cell**2 / 1e4,
                     "cell_m": cell, "cells": np.column_stack([gxx.ravel()[inside], gyy.ravel()[inside]])})
    return pd.DataFrame(rows)


def country_share(home_ranges: pd.DataFrame, countries: dict[str, shapely.Geometry]) -> pd.DataFrame:
    """Share of each home range (MCP polygons or kernel cells) in each country polygon: one column per country."""
    out = pd.DataFrame({"individualID": home_ranges["individualID"].to_numpy()})
    for name, poly in countries.items():
        if "geometry" in home_ranges.columns:
            geoms = home_ranges["geometry"].to_numpy()
            area = shapely.area(geoms)
            share = np.where(area > 0, shapely.area(shapely.intersection(geoms, poly)) / np.where(area > 0, area, 1), np.nan)
        else:
            share = np.array([shapely.contains_xy(poly, c[:, 0], c[:, 1]).mean() for c in home_ranges["cells"]])
        out[f"share_{name}"] = share
    return out


def residents(frame: pd.DataFrame, min_detections: int = 5, min_stations: int = 3,
              what: str = "cat") -> tuple[pd.DataFrame, list[str]]:
    """The detections of individuals seen often enough for a home range (at least `min_detections` records at
    `min_stations` distinct stations), and the individuals left out; refused when none qualifies."""
    g = frame.groupby("individualID")
    enough = (g.size() >= min_detections) & (g["locationID"].nunique() >= min_stations)
    skipped = sorted(map(str, enough.index[~enough]))
    if not enough.any():
        raise PopulationError(f"no {what} was detected {min_detections} times at {min_stations} stations "
                              f"or more ({len(skipped)} individuals have fewer)")
    return frame[frame["individualID"].isin(enough.index[enough])], skipped
