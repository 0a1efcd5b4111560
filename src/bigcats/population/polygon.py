"""Polygon and transect detectors for SCR (secr's 'polygon', 'polygonX', 'transect', 'transectX').

Search-encounter data: an animal is identified from tracks, scats or hair found anywhere inside a searched area
(polygon) or along a route (transect), and each detection has its own x, y. The model is secr 5.5's: with the
hazard half-normal (HHN, secr's default and, with the other hazard forms, the only functions secr allows here) the
expected number of detections of an animal centred at x in detector k on one occasion is

    h_k(x) = lambda0 * integral over k of exp(-|u - x|^2 / 2 sigma^2) du / H,

where H is the integral over the whole plane (2 pi sigma^2) or along an infinite line (sigma sqrt(2 pi)); each
detection's location u has density proportional to exp(-|u - x|^2 / 2 sigma^2) within its detector. Non-exclusive
detectors ('polygon', 'transect') give Poisson counts per detector and occasion with mean usage x h_k(x); the
exclusive ones ('polygonX', 'transectX') allow one detection per animal and occasion, as competing hazards
(secr's multi-catch form with h_k as the hazards).

secr integrates h_k numerically (repeated Gauss-Kronrod, assuming east-west convex polygons by default); here the
integrals are exact along each polygon edge in y (normal distribution function) and Gauss-Legendre in x, by
Green's theorem, so concave polygons are integrated correctly too, and transect integrals are closed-form. The
derivatives with respect to log sigma are integrated the same way, so the likelihood keeps analytic gradients.

Also here: reading and checking secr's polygon/transect detector files (`polyID x y`, vertices in order) and
capture files with one x y per detection, masks around polygons and transects (secr's trapbuffer), and
simulation of such surveys for truth tests.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from scipy import sparse, special

from bigcats.population.capthist import CaptureHistory
from bigcats.population.errors import PopulationError
from bigcats.population.hazard import caught_terms
from bigcats.population.mask import Mask, buffer_grid

POLYGON_DETECTORS = ("polygon", "polygonX", "transect", "transectX")
AREA_DETECTORS = ("polygon", "polygonX")
EXCLUSIVE_DETECTORS = ("polygonX", "transectX")
# Gauss-Legendre nodes on [0, 1] for each piece of an edge; pieces are at most PIECE sigma long in x and y, where
# the integrand (a normal density times a normal distribution function) is a polynomial to double precision.
_GL_T, _GL_W = np.polynomial.legendre.leggauss(12)
_GL_T, _GL_W = (_GL_T + 1) / 2, _GL_W / 2
PIECE = 1.0


def detectfn_for(detectfn: str | int | None) -> str:
    """The detection function for polygon/transect detectors: secr's default and the one fitted here is the hazard
    half-normal, HHN (code 14); secr refuses the non-hazard forms (HN, EX) for these detectors, and so does bigcats."""
    text = "HHN" if detectfn is None else str(detectfn).strip().upper()
    if text in ("HHN", "14"):
        return "HHN"
    raise PopulationError(f"polygon and transect detectors are fitted with the hazard half-normal detection function "
                          f"(HHN, secr's code 14, its default for them), got {detectfn!r}; secr allows only hazard "
                          "forms (14-19) here")


def is_polygon_detector(detector: str) -> bool:
    """Whether a detector type is one of secr's polygon or transect types."""
    return detector in POLYGON_DETECTORS


# ----------------------------------------------------------------------------------------------------------------
# geometry: checking detector polygons and transects
# ----------------------------------------------------------------------------------------------------------------

def check_geometry(parts: dict[str, np.ndarray], detector: str, source: str = "detectors",
                   lines: dict[str, list[int]] | None = None) -> list[np.ndarray]:
    """Checked vertex arrays, one per detector: polygons closed (as secr's read.traps closes them), simple and not
    overlapping; transects with at least two distinct vertices. Raises PopulationError naming the detector and line."""
    if detector not in POLYGON_DETECTORS:
        raise PopulationError(f"{source}: detector must be one of {', '.join(POLYGON_DETECTORS)}, got {detector!r}")
    area = detector in AREA_DETECTORS
    out, shapes = [], []

    def where(pid: str) -> str:
        ln = (lines or {}).get(pid)
        return f"{source}, line {ln[0]}" if ln else source

    for pid, xy in parts.items():
        xy = np.asarray(xy, float)
        if xy.ndim != 2 or xy.shape[1] != 2 or not np.isfinite(xy).all():
            raise PopulationError(f"{where(pid)}: {detector} {pid}: vertices need finite x and y in metres")
        distinct = np.unique(xy, axis=0)
        if area:
            if len(xy) > 1 and (xy[0] != xy[-1]).any():
                xy = np.vstack([xy, xy[:1]])  # secr's closepoly(): an open ring is closed
            if len(distinct) < 3:
                raise PopulationError(f"{where(pid)}: polygon {pid} has {len(distinct)} distinct vertices; a searched area "
                                      "needs at least 3 (is this a point-detector file? give --detector multi/proximity)")
            geom = shapely.Polygon(xy)
            if not geom.is_valid:
                why = shapely.is_valid_reason(geom)
                raise PopulationError(f"{where(pid)}: polygon {pid} is not a simple polygon ({why}) — its edges cross or "
                                      "touch; give the vertices in order around the boundary, one ring per polygon")
            if geom.area <= 0:
                raise PopulationError(f"{where(pid)}: polygon {pid} has zero area")
        else:
            if len(distinct) < 2:
                raise PopulationError(f"{where(pid)}: transect {pid} needs at least 2 distinct vertices, got "
                                      f"{len(distinct)}")
            keep = np.r_[True, (np.diff(xy, axis=0) != 0).any(1)]  # repeated vertices add nothing
            xy = xy[keep]
            geom = shapely.LineString(xy)
        out.append(xy)
        shapes.append((pid, geom))
    if area and len(shapes) > 1:
        # candidate pairs from a spatial index, so that thousands of searched cells stay quick to check
        geoms = [g for _, g in shapes]
        left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        for i, j in sorted(zip(left.tolist(), right.tolist())):
            if i < j and geoms[i].intersection(geoms[j]).area > 1e-9 * min(geoms[i].area, geoms[j].area):
                pa, pb = shapes[i][0], shapes[j][0]
                raise PopulationError(f"{where(pb)}: polygons {pa} and {pb} overlap; a detection could belong to "
                                      "either — searched areas must not overlap (secr's verify refuses them too)")
    return out


def geometry_shapes(ch: CaptureHistory) -> list:
    """Shapely polygons or lines of a capture history's detectors."""
    area = ch.detector in AREA_DETECTORS
    return [shapely.Polygon(g) if area else shapely.LineString(g) for g in ch.geometry]


def _centre(xy: np.ndarray, area: bool) -> tuple[float, float]:
    geom = shapely.Polygon(xy) if area else shapely.LineString(xy)
    p = geom.point_on_surface() if area else geom.interpolate(0.5, normalized=True)
    return float(p.x), float(p.y)


def make_polygon_capthist(
    captures: pd.DataFrame, parts: dict[str, np.ndarray], detector: str, usage: np.ndarray | None = None,
    noccasions: int | None = None, covariates: pd.DataFrame | None = None, session: str = "1",
    source: str = "captures", traps_source: str = "detectors", tolerance: float = 0.01,
    lines: np.ndarray | None = None, part_lines: dict[str, list[int]] | None = None, unit: str = "line",
) -> CaptureHistory:
    """A capture history for polygon or transect detectors from detections (animal, occasion, x, y).

    Each detection is assigned to the polygon that contains it (edges count), or to the transect within
    `tolerance` metres (secr's xyontransect uses 0.01 m); a detection outside every detector is an error naming
    its line. Detector ids are sorted as secr's factor(polyID) sorts them.
    """
    geometry = check_geometry(parts, detector, traps_source, part_lines)
    ids = list(parts)
    area = detector in AREA_DETECTORS
    for c in ("animal", "occasion", "x", "y"):
        if c not in captures.columns:
            raise PopulationError(f"{source}: no {c} column — {detector} detections need animal, occasion, x and y")
    line_no = np.asarray(lines) if lines is not None else np.arange(len(captures)) + 1
    xy = captures[["x", "y"]].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    bad = ~np.isfinite(xy).all(1)
    if bad.any():
        raise PopulationError(f"{source}, {unit} {line_no[bad][0]}: x and y of a detection must be numbers (field x/y)")
    occ = pd.to_numeric(captures["occasion"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(occ) | (np.abs(occ) < 1) | (occ != np.round(occ))
    if bad.any():
        raise PopulationError(f"{source}, {unit} {line_no[bad][0]}: occasion must be a whole number from 1 (field occasion)")
    occ_pos = np.abs(occ).astype(int) - 1
    shapes = [shapely.Polygon(g) if area else shapely.LineString(g) for g in geometry]
    pts = shapely.points(xy)
    trap = np.full(len(xy), -1)
    if area:
        for k, geom in enumerate(shapes):
            inside = shapely.covers(geom, pts) & (trap < 0)
            trap[inside] = k
    else:
        dist = np.column_stack([shapely.distance(geom, pts) for geom in shapes]) if len(xy) else np.zeros((0, len(shapes)))
        if len(xy):
            near = dist.argmin(1)
            trap = np.where(dist[np.arange(len(xy)), near] <= tolerance, near, -1)
    if (trap < 0).any():
        i = np.flatnonzero(trap < 0)[0]
        what = "inside no polygon" if area else f"more than {tolerance:g} m from every transect"
        raise PopulationError(f"{source}, {unit} {line_no[i]}: detection of animal {captures['animal'].iloc[i]} at x={xy[i, 0]:g}, "
                              f"y={xy[i, 1]:g} (fields x, y) is {what} of {traps_source} ({len(shapes)} {detector} "
                              f"detector(s)) — check the coordinates and that both files use the same CRS"
                              + ("" if area else "; snap detections to the route first"))
    if usage is None:
        s = int(noccasions or (occ_pos.max() + 1 if len(occ_pos) else 1))
        usage = np.ones((len(ids), s))
    usage = np.asarray(usage, float)
    if usage.shape[0] != len(ids) or (noccasions is not None and usage.shape[1] != noccasions):
        raise PopulationError(f"usage must be detectors x occasions ({len(ids)} x {noccasions or '?'}), got {usage.shape}")
    if len(occ_pos) and occ_pos.max() >= usage.shape[1]:
        i = int(np.argmax(occ_pos))
        raise PopulationError(f"{source}, {unit} {line_no[i]}: occasion {occ_pos[i] + 1} is beyond the {usage.shape[1]} "
                              "occasions of the survey (field occasion)")
    idle = usage[trap, occ_pos] <= 0
    if idle.any():
        i = np.flatnonzero(idle)[0]
        raise PopulationError(f"{source}, {unit} {line_no[i]}: detection in {detector} {ids[trap[i]]} on occasion "
                              f"{occ_pos[i] + 1}, when it was not searched (usage 0)")
    animal_id = captures["animal"].astype(str).to_numpy()
    animals, a_idx = np.unique(animal_id, return_inverse=True)
    if detector in EXCLUSIVE_DETECTORS:
        key = pd.DataFrame({"a": a_idx, "s": occ_pos})
        twice = key.duplicated(keep="first").to_numpy()
        if twice.any():
            i = np.flatnonzero(twice)[0]
            raise PopulationError(f"{source}, {unit} {line_no[i]}: animal {animal_id[i]} detected twice on occasion "
                                  f"{occ_pos[i] + 1}; an exclusive detector ({detector}) allows one detection per "
                                  f"animal and occasion — use detector '{detector[:-1]}'")
    order = np.lexsort((np.arange(len(xy)), trap, occ_pos, a_idx))
    cov = pd.DataFrame(index=range(len(animals)))
    if covariates is not None and len(covariates):
        cov = covariates.drop(columns=["animal"]).set_axis(covariates["animal"].astype(str).to_numpy()) \
            .reindex(animals).reset_index(drop=True)
    centres = np.array([_centre(g, area) for g in geometry])
    traps = pd.DataFrame({"trapID": ids, "x": centres[:, 0], "y": centres[:, 1]})
    return CaptureHistory(traps, usage, a_idx[order], occ_pos[order], trap[order], np.ones(len(order)), animals,
                          detector, cov, str(session), geometry=geometry, detection_xy=xy[order])


# ----------------------------------------------------------------------------------------------------------------
# integrals of the half-normal kernel over polygons and along transects
# ----------------------------------------------------------------------------------------------------------------

def _pieces(p: np.ndarray, q: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Edges p->q split so that no piece is longer than PIECE sigma (start and end points of the pieces)."""
    span = np.abs(q - p).max(1) / sigma
    n = np.maximum(1, np.ceil(span / PIECE)).astype(int)
    edge = np.repeat(np.arange(len(p)), n)
    j = np.concatenate([np.arange(m) for m in n])
    f0, f1 = j / n[edge], (j + 1) / n[edge]
    d = q - p
    return p[edge] + f0[:, None] * d[edge], p[edge] + f1[:, None] * d[edge]


def polygon_integrals(ring: np.ndarray, mask_xy: np.ndarray, sigma: float, deriv: bool = False) -> tuple:
    """A(x) = integral over the polygon of the standard bivariate normal density centred at each mask point with sd
    sigma (the fraction of a half-normal home range inside), and with deriv dA/dlog sigma.

    Green's theorem turns the area integral into a sum over edges of integral phi(a) Phi(b) da in standardised
    coordinates, with Phi exact in y and Gauss-Legendre in x on pieces of at most one sigma; the sign follows the
    ring's orientation, so any simple polygon (convex or not) is integrated exactly to rounding.
    """
    p, q = ring[:-1], ring[1:]
    vertical = p[:, 0] == q[:, 0]
    p, q = p[~vertical], q[~vertical]
    a0, a1 = _pieces(p, q, sigma)
    # nodes along every piece: x and y (J), weights times dx (J)
    xn = (a0[:, None, 0] + _GL_T[None] * (a1 - a0)[:, None, 0]).ravel()
    yn = (a0[:, None, 1] + _GL_T[None] * (a1 - a0)[:, None, 1]).ravel()
    wn = (_GL_W[None] * (a1 - a0)[:, None, 0]).ravel() / sigma
    sign = -1.0 if _signed_area(ring) > 0 else 1.0  # -(closed integral of F dx) for a counter-clockwise ring
    mask_xy = np.asarray(mask_xy, float)
    val = np.zeros(len(mask_xy))
    dval = np.zeros(len(mask_xy)) if deriv else None
    # Mask points in chunks ordered by x, each with only the nodes within 9 sigma of it in x (phi(9) < 1e-18), so
    # that memory stays bounded and a large layout with a small sigma costs what its nearby edges cost.
    order = np.argsort(mask_xy[:, 0], kind="stable")
    chunk = max(1, int(2_000_000 // max(len(xn), 1)))
    for start in range(0, len(order), chunk):
        idx = order[start:start + chunk]
        mx, my = mask_xy[idx, 0], mask_xy[idx, 1]
        near = (xn >= mx[0] - 9 * sigma) & (xn <= mx[-1] + 9 * sigma)
        if not near.any():
            continue
        a = (xn[near][None, :] - mx[:, None]) / sigma
        b = (yn[near][None, :] - my[:, None]) / sigma
        w = wn[near]
        phi_a = np.exp(-0.5 * a * a) / np.sqrt(2 * np.pi)
        big_phi = special.ndtr(b)
        val[idx] = sign * ((phi_a * big_phi) @ w)
        if deriv:
            phi_b = np.exp(-0.5 * b * b) / np.sqrt(2 * np.pi)
            dval[idx] = sign * ((phi_a * ((a * a - 1.0) * big_phi - b * phi_b)) @ w)
    return np.clip(val, 0.0, 1.0), dval


def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def transect_integrals(line: np.ndarray, mask_xy: np.ndarray, sigma: float, deriv: bool = False) -> tuple:
    """A(x) = integral along the transect of the half-normal exp(-r^2/2 sigma^2) / (sigma sqrt(2 pi)), closed-form
    per segment (exp(-delta^2/2) times a difference of normal distribution functions), and dA/dlog sigma."""
    val = np.zeros(len(mask_xy))
    dval = np.zeros(len(mask_xy)) if deriv else None
    for p, q in zip(line[:-1], line[1:]):
        seg = q - p
        length = float(np.hypot(*seg))
        if length == 0:
            continue
        e = seg / length
        rel = mask_xy - p
        t0 = rel @ e
        perp = rel[:, 0] * e[1] - rel[:, 1] * e[0]
        delta2 = (perp / sigma) ** 2
        b1, b2 = -t0 / sigma, (length - t0) / sigma
        # the difference of Phi in its accurate tail
        dphi = np.where(b1 > 0, special.ndtr(-b1) - special.ndtr(-b2), special.ndtr(b2) - special.ndtr(b1))
        g = np.exp(-0.5 * delta2)
        val += g * dphi
        if deriv:
            pdf = lambda z: np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)  # noqa: E731
            dval += g * (delta2 * dphi - b2 * pdf(b2) + b1 * pdf(b1))
    return val, dval


@dataclass
class PolygonData:
    """What a polygon/transect likelihood needs that does not change during a fit."""

    area: bool  # polygons (2-D) or transects (1-D)
    exclusive: bool
    geometry: list[np.ndarray]
    mask_xy: np.ndarray
    usage: np.ndarray  # K x S
    det_count: np.ndarray  # n: detections per animal
    sum_d2: np.ndarray  # n x M: sum over an animal's detections of |u - x|^2
    const: np.ndarray  # n: log usage of each detection, minus log counts! (Poisson)
    caught: np.ndarray  # n x S
    _cache: dict | None = None

    def integrals(self, sigma: float, deriv: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """A (K x M) and dA/dlog sigma for one sigma, remembered for the last sigma asked."""
        key = (float(sigma), deriv)
        if self._cache is not None and self._cache.get("key") in (key, (float(sigma), True)):
            return self._cache["A"], self._cache["dA"]
        fn = polygon_integrals if self.area else transect_integrals
        pairs = [fn(g, self.mask_xy, sigma, deriv) for g in self.geometry]
        big_a = np.array([p[0] for p in pairs])
        d_a = np.array([p[1] for p in pairs]) if deriv else None
        self._cache = {"key": key, "A": big_a, "dA": d_a}
        return big_a, d_a


def prepare(ch: CaptureHistory, mask: Mask) -> PolygonData:
    """Precompute the per-animal sums the likelihood needs from a polygon/transect capture history."""
    if ch.geometry is None or ch.detection_xy is None:
        raise PopulationError(f"{ch.detector} detectors need their polygons/transects and the x, y of every detection")
    n, m = ch.n, len(mask)
    d2 = ((ch.detection_xy[:, None, :] - mask.xy[None, :, :]) ** 2).sum(-1)  # J x M
    agg = sparse.csr_matrix((np.ones(len(ch.animal)), (ch.animal, np.arange(len(ch.animal)))), shape=(n, len(ch.animal)))
    sum_d2 = np.asarray(agg @ d2) if n else np.zeros((0, m))
    const = np.zeros(n)
    np.add.at(const, ch.animal, np.log(ch.usage[ch.trap, ch.occasion]))
    exclusive = ch.detector in EXCLUSIVE_DETECTORS
    if not exclusive:
        cells = pd.DataFrame({"a": ch.animal, "s": ch.occasion, "k": ch.trap}).value_counts()
        np.add.at(const, cells.index.get_level_values("a").to_numpy(), -special.gammaln(cells.to_numpy() + 1.0))
    return PolygonData(ch.detector in AREA_DETECTORS, exclusive, ch.geometry, mask.xy, np.asarray(ch.usage, float),
                       np.bincount(ch.animal, minlength=n).astype(float), sum_d2, const, ch.caught())


def log_norm_constant(area: bool, sigma: float) -> float:
    """log of secr's H: the half-normal integrated over the plane, or along a line, both to 20 sigma as secr does."""
    return float(np.log(2 * np.pi * sigma * sigma) if area else np.log(np.sqrt(2 * np.pi) * sigma))


def logp_pdot(poly: PolygonData, lam0: float, sigma: float, rows: np.ndarray, deriv: bool = False) -> tuple:
    """log Pr(capture history | centre at each mask point) for some animals (rows x M), and p.(x), as _logp_pdot in
    scr.py; with deriv also their derivatives with respect to log lambda0 and log sigma, stacked as (2, ...)."""
    big_a, d_a = poly.integrals(sigma, deriv)
    c_i = poly.det_count[rows, None]
    s_i = poly.sum_d2[rows]
    dims = 2.0 if poly.area else 1.0  # d log H / d log sigma
    loc = c_i * (np.log(lam0) - log_norm_constant(poly.area, sigma)) - s_i / (2 * sigma * sigma) + poly.const[rows, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        if not poly.exclusive:
            base = -lam0 * (poly.usage.sum(1) @ big_a)  # M
            pdot = -np.expm1(base)
            logp = base[None, :] + loc
            if not deriv:
                return logp, pdot
            dbase = np.stack([base, -lam0 * (poly.usage.sum(1) @ d_a)])
            dloc = np.stack([np.broadcast_to(c_i, loc.shape), s_i / (sigma * sigma) - dims * c_i])
            dlogp = dbase[:, None, :] + dloc
            dpdot = -(1.0 - pdot)[None, :] * dbase
            return logp, pdot, dlogp, dpdot
        big_h = lam0 * (big_a.T @ poly.usage)  # M x S: total hazard per occasion
        tot = big_h.sum(1)
        e = np.exp(-tot)
        pdot = -np.expm1(-tot)
        term, small, hs = caught_terms(big_h)
        c = poly.caught[rows]
        logp = c @ term.T - (1.0 - c) @ big_h.T + loc
        if not deriv:
            return logp, pdot
        dterm = np.where(small, -0.5, 1.0 / np.expm1(hs) - 1.0 / hs)
        dh = [big_h, lam0 * (d_a.T @ poly.usage)]
        dloc = [np.broadcast_to(c_i, loc.shape), s_i / (sigma * sigma) - dims * c_i]
        dlogp = np.stack([c @ (dterm * dhk).T - (1.0 - c) @ dhk.T + dl for dhk, dl in zip(dh, dloc)])
        dpdot = np.stack([e * dhk.sum(1) for dhk in dh])
        return logp, pdot, dlogp, dpdot


def rpsv(ch: CaptureHistory) -> float:
    """Root pooled spatial variance of the detection locations (secr's starting sigma), from each detection's x, y."""
    frame = pd.DataFrame({"a": ch.animal, "x": ch.detection_xy[:, 0], "y": ch.detection_xy[:, 1]})
    g = frame.groupby("a")
    n_i = g.size()
    ss = (g["x"].var(ddof=0) * n_i + g["y"].var(ddof=0) * n_i)[n_i > 1]
    df = (n_i[n_i > 1] - 1).sum()
    return float(np.sqrt(ss.sum() / (2 * df))) if df > 0 and ss.sum() > 0 else np.nan


def distance_to_detectors(ch: CaptureHistory, xy: np.ndarray) -> np.ndarray:
    """Distance (m) from each point to the nearest searched polygon (0 inside) or transect, as secr's
    distancetotrap measures it for these detectors (for the mask buffer check)."""
    shapes = shapely.union_all(geometry_shapes(ch))
    return shapely.distance(shapes, shapely.points(np.asarray(xy, float)))


# ----------------------------------------------------------------------------------------------------------------
# masks and simulation
# ----------------------------------------------------------------------------------------------------------------

def make_polygon_mask(geometry: list[np.ndarray], detector: str, buffer: float = 100.0, nx: int = 64,
                      spacing: float | None = None) -> Mask:
    """secr's make.mask(type = "trapbuffer") for polygon/transect detectors: grid cell centres over the vertices'
    bounding box widened by the buffer, kept within `buffer` m of a detector (inside a polygon is distance 0)."""
    grid, spacing = buffer_grid(np.vstack(geometry), buffer, nx, spacing)
    area = detector in AREA_DETECTORS
    shapes = shapely.union_all([shapely.Polygon(g) if area else shapely.LineString(g) for g in geometry])
    keep = shapely.distance(shapes, shapely.points(grid)) <= buffer
    return Mask(grid[keep], float(spacing))


def _draw_in(rng: np.random.Generator, centre: np.ndarray, sigma: float, geom) -> np.ndarray:
    """A location from the half-normal kernel around `centre` truncated to a polygon (rejection) or a line."""
    if isinstance(geom, shapely.Polygon):
        for _ in range(100_000):
            u = centre + rng.normal(0, sigma, 2)
            if shapely.contains_xy(geom, u[0], u[1]):
                return u
        raise PopulationError("simulation: could not place a detection inside a polygon")
    # along a line: inverse CDF over the line's arc length on a fine grid
    s = np.linspace(0, geom.length, 2001)
    pts = shapely.get_coordinates(shapely.line_interpolate_point(geom, s))
    dens = np.exp(-((pts - centre) ** 2).sum(1) / (2 * sigma * sigma))
    cdf = np.cumsum(dens)
    at = np.searchsorted(cdf, rng.random() * cdf[-1])
    p = shapely.line_interpolate_point(geom, s[min(at, len(s) - 1)])
    return np.array([p.x, p.y])


def simulate_polygon_capthist(
    rng: np.random.Generator, parts: dict[str, np.ndarray], detector: str, mask: Mask, density_ha: float,
    lambda0: float, sigma: float, noccasions: int, session: str = "1",
) -> tuple[CaptureHistory, dict]:
    """A search-encounter survey of a simulated population (HHN): Poisson counts per detector and occasion
    ('polygon', 'transect') or one competing-hazard detection per occasion ('polygonX', 'transectX'), each at a
    location drawn from the animal's home range within the detector."""
    from bigcats.population.simulate import simulate_centres

    geometry = check_geometry(parts, detector)
    area = detector in AREA_DETECTORS
    shapes = [shapely.Polygon(g) if area else shapely.LineString(g) for g in geometry]
    centres = simulate_centres(rng, mask, density_ha)
    fn = polygon_integrals if area else transect_integrals
    big_a = np.array([fn(g, centres, sigma)[0] for g in geometry]).T  # N x K
    hk = lambda0 * big_a
    rows = []
    for i in range(len(centres)):
        for s in range(noccasions):
            if detector in EXCLUSIVE_DETECTORS:
                tot = hk[i].sum()
                if rng.random() < -np.expm1(-tot):
                    k = rng.choice(len(geometry), p=hk[i] / tot)
                    rows.append((i, s, k))
            else:
                for k in np.flatnonzero(hk[i] > 0):
                    rows += [(i, s, k)] * int(rng.poisson(hk[i, k]))
    recs = []
    for i, s, k in rows:
        u = _draw_in(rng, centres[i], sigma, shapes[k])
        recs.append({"animal": f"A{i:04d}", "occasion": s + 1, "x": u[0], "y": u[1]})
    frame = pd.DataFrame(recs, columns=["animal", "occasion", "x", "y"])
    ch = make_polygon_capthist(frame, parts, detector, noccasions=noccasions, session=session,
                               source="simulated detections", tolerance=1e-6)
    return ch, {"N": len(centres), "D": density_ha, "centres": centres}


# ----------------------------------------------------------------------------------------------------------------
# secr's text files
# ----------------------------------------------------------------------------------------------------------------

def read_polygon_traps(path: str | Path, detector: str) -> tuple[dict[str, np.ndarray], dict[str, list[int]]]:
    """secr's read.traps(detector = "polygon" | "transect" ...): lines `polyID x y`, vertices in order, a polygon's
    lines together; returns vertex arrays by id (sorted as R's factor levels) and the file lines of each."""
    from bigcats.population.secr_io import _rows

    parts: dict[str, list] = {}
    lines: dict[str, list[int]] = {}
    last = None
    for no, f in _rows(path):
        if len(f) < 3:
            raise PopulationError(f"{path}, line {no}: a {detector} vertex line needs polyID, x and y, got {' '.join(f)!r}")
        if len(f) > 3:
            raise PopulationError(f"{path}, line {no}: extra fields after polyID x y ({' '.join(f[3:])!r}); usage and "
                                  f"covariates are not read for {detector} detectors (secr's read.traps refuses usage "
                                  "for them too)")
        try:
            x, y = float(f[1]), float(f[2])
        except ValueError:
            raise PopulationError(f"{path}, line {no}: x and y of {detector} {f[0]} must be numbers, got {f[1]!r}, "
                                  f"{f[2]!r} (fields x, y)") from None
        pid = f[0]
        if pid in parts and last != pid:
            raise PopulationError(f"{path}, line {no}: vertices of {detector} {pid} are not on consecutive lines (it "
                                  f"started at line {lines[pid][0]}); give each polygon's vertices together, in order")
        parts.setdefault(pid, []).append((x, y))
        lines.setdefault(pid, []).append(no)
        last = pid
    order = sorted(parts)  # R's factor(polyID) sorts the levels
    return {k: np.array(parts[k]) for k in order}, {k: lines[k] for k in order}


def read_polygon_capthist(captures: str | Path, traps: str | Path, detector: str, noccasions: int | None = None,
                          covariate_names: list[str] | None = None, tolerance: float = 0.01) -> dict[str, CaptureHistory]:
    """secr's read.capthist(fmt = "XY") for polygon/transect detectors: `session animal occasion x y [covariates]`."""
    from bigcats.population.secr_io import _rows

    parts, part_lines = read_polygon_traps(traps, detector)
    check_geometry(parts, detector, str(traps), part_lines)
    rows = _rows(captures)
    widths = {len(f) for _, f in rows}
    if len(widths) > 1:
        no = next(no for no, f in rows if len(f) != len(rows[0][1]))
        raise PopulationError(f"{captures}, line {no}: every line needs the same fields (session animal occasion x y "
                              "[covariates])")
    nf = widths.pop()
    if nf < 5:
        raise PopulationError(f"{captures}, line {rows[0][0]}: {detector} detections need session, animal, occasion, x "
                              f"and y (secr's fmt XY), got {nf} fields — a trapID capture file is for point detectors")
    frame = pd.DataFrame([f for _, f in rows], columns=[f"f{j}" for j in range(nf)])
    lines = np.array([no for no, _ in rows])
    names = covariate_names or [f"cov{j + 1}" for j in range(nf - 5)]
    out = {}
    for session, idx in frame.groupby("f0", sort=False).indices.items():
        part = frame.iloc[idx]
        caps = pd.DataFrame({"animal": part["f1"].to_numpy(), "occasion": part["f2"].to_numpy(),
                             "x": part["f3"].to_numpy(), "y": part["f4"].to_numpy()})
        cov = None
        if nf > 5:
            cov = pd.DataFrame({"animal": part["f1"].to_numpy(),
                                **{names[j]: part[f"f{5 + j}"].to_numpy() for j in range(nf - 5)}}).drop_duplicates("animal")
            for c in names[:nf - 5]:
                num = pd.to_numeric(cov[c], errors="coerce")
                if num.notna().all():
                    cov[c] = num
        out[str(session)] = make_polygon_capthist(caps, parts, detector, None, noccasions, cov, str(session),
                                                  str(captures), str(traps), tolerance, lines[idx], part_lines)
    return out


def write_polygon_files(stem: str | Path, ch: CaptureHistory | dict[str, CaptureHistory]) -> tuple[Path, Path]:
    """Write secr's polygon/transect detector file (polyID x y) and XY capture file for a capture history."""
    sessions = ch if isinstance(ch, dict) else {ch.session: ch}
    first = next(iter(sessions.values()))
    stem = Path(stem)
    trap_path, capt_path = stem.parent / f"{stem.name}trap.txt", stem.parent / f"{stem.name}capt.txt"
    lines = ["# polyID x y"]
    for pid, g in zip(first.traps["trapID"], first.geometry):
        lines += [f"{pid} {float(x)!r} {float(y)!r}" for x, y in g]
    trap_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = ["# Session ID Occasion x y"]
    for s, h in sessions.items():
        for a, o, (x, y) in zip(h.animal, h.occasion, h.detection_xy):
            out.append(f"{s} {h.animals[a]} {o + 1} {float(x)!r} {float(y)!r}")
    capt_path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return trap_path, capt_path


def with_detector(ch: CaptureHistory, detector: str) -> CaptureHistory:
    """The same detections read as another polygon/transect type of the same geometry (e.g. polygonX as polygon)."""
    if (ch.detector in AREA_DETECTORS) != (detector in AREA_DETECTORS):
        raise PopulationError(f"cannot read {ch.detector} detections as {detector}: polygons and transects differ")
    return replace(ch, detector=detector)


# ----------------------------------------------------------------------------------------------------------------
# winter census routes as transects
# ----------------------------------------------------------------------------------------------------------------

def transects_from_routes(routes, crs) -> tuple[dict[str, np.ndarray], np.ndarray, list]:
    """Census routes (a census.routes.RouteSet, as read by `read_routes` or kept in the store) as transect
    detectors in a projected CRS: one transect per route (multi-part lines merged, else refused), occasions the
    distinct survey dates, usage 1 where a route was walked on that date and 0 where not."""
    from bigcats.geo.crs import parse_crs

    crs = parse_crs(crs)
    if crs.is_geographic:
        raise PopulationError(f"routes as transects need a projected CRS in metres, got {crs.name}")
    frame = routes.routes.to_crs(crs)
    parts: dict[str, np.ndarray] = {}
    for rid, geom in sorted(zip(frame["route_id"].astype(str), frame.geometry)):
        if geom.geom_type == "MultiLineString":
            geom = shapely.line_merge(geom)
            if geom.geom_type != "LineString":
                raise PopulationError(f"route {rid}: its line has separate pieces; a transect must be one line — "
                                      "split it into routes")
        parts[rid] = shapely.get_coordinates(geom)
    dates = sorted(pd.to_datetime(routes.surveys["date"]).dt.normalize().unique())
    usage = np.zeros((len(parts), len(dates)))
    ids = list(parts)
    for rid, day in zip(routes.surveys["route_id"].astype(str), pd.to_datetime(routes.surveys["date"]).dt.normalize()):
        usage[ids.index(rid), dates.index(day)] = 1.0
    return parts, usage, [pd.Timestamp(d).date() for d in dates]


def route_capthist(detections: pd.DataFrame, routes, crs, detector: str = "transect", tolerance: float = 0.01,
                   source: str = "detections", session: str = "1") -> CaptureHistory:
    """A transect capture history from census routes and identified detections (animal, date, x, y in `crs`):
    each date is the occasion of that survey day; a detection on a day its route was not walked, or off every
    route by more than `tolerance` metres, is an error naming its row."""
    if detector not in ("transect", "transectX"):
        raise PopulationError(f"census routes are transects: detector 'transect' or 'transectX', got {detector!r}")
    parts, usage, dates = transects_from_routes(routes, crs)
    for c in ("animal", "date", "x", "y"):
        if c not in detections.columns:
            raise PopulationError(f"{source}: no {c} column — route detections need animal, date, x and y")
    day = pd.to_datetime(detections["date"], errors="coerce").dt.date
    index = {d: i for i, d in enumerate(dates)}
    occ = day.map(index)
    if occ.isna().any():
        i = int(np.flatnonzero(occ.isna().to_numpy())[0])
        raise PopulationError(f"{source}, row {i + 1}: date {detections['date'].iloc[i]!r} (field date) is not a survey "
                              f"date of any route ({dates[0]} to {dates[-1]}, {len(dates)} days)")
    caps = pd.DataFrame({"animal": detections["animal"].to_numpy(), "occasion": occ.astype(int).to_numpy() + 1,
                         "x": detections["x"].to_numpy(), "y": detections["y"].to_numpy()})
    return make_polygon_capthist(caps, parts, detector, usage, len(dates), None, session, source, "routes", tolerance,
                                 np.arange(len(caps)) + 1, unit="row")


def census_routes_from_store(engine, code: str):
    """The routes and survey days of a census kept in the store (`census_survey.code`) as a census RouteSet."""
    import geopandas as gpd
    from sqlalchemy import select

    from bigcats.census.errors import CensusError
    from bigcats.census.routes import route_set
    from bigcats.store.models_census import CensusRoute, CensusSurvey

    with engine.connect() as conn:
        sid = conn.execute(select(CensusSurvey.id).where(CensusSurvey.code == code)).scalar()
        if sid is None:
            have = conn.execute(select(CensusSurvey.code).order_by(CensusSurvey.code)).scalars().all()
            raise PopulationError(f"no census {code!r} in the store (have: {', '.join(have) or 'none'})")
        rows = conn.execute(select(CensusRoute.code, CensusRoute.unit, CensusRoute.country, CensusRoute.geometry,
                                   CensusRoute.visits).where(CensusRoute.survey_id == sid)).all()
    if not rows:
        raise PopulationError(f"census {code!r} has no routes in the store")
    gdf = gpd.GeoDataFrame({"route_id": [r.code for r in rows], "unit": [r.unit for r in rows],
                            "country": [r.country or "" for r in rows]},
                           geometry=[shapely.from_geojson(r.geometry) for r in rows], crs="EPSG:4326")
    visits = pd.DataFrame([(r.code, v.get("date"), v.get("days_since_snow")) for r in rows for v in (r.visits or [])],
                          columns=["route_id", "date", "days_since_snow"])
    try:
        return route_set(gdf, visits, source=f"census {code}")
    except CensusError as exc:
        raise PopulationError(str(exc)) from None
