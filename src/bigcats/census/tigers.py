"""The minimum number of different tigers per survey unit from front-pad widths, track locations and dates.

Two tracks must be different tigers when their pad widths differ by more than the measuring tolerance, or when
they lie further apart than a tiger travels in the days between them (plus one, since dates are whole days).
The minimum number of tigers is the fewest groups of mutually compatible tracks: the chromatic number of this
conflict graph, solved exactly as a small integer programme (scipy's HiGHS); each group's mean pad width gives
its size class by the user's thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyproj
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from bigcats.census.errors import CensusError
from bigcats.census.routes import RouteSet

TIGER_SPECIES = ("Panthera tigris", "Panthera tigris altaica")


@dataclass
class TigerResult:
    """Per unit: tracks, measured tracks, minimum tigers, per size class, optimality; and the grouped tracks."""

    units: pd.DataFrame
    tracks: pd.DataFrame

    def to_dict(self) -> dict:
        """The result as plain records for JSON."""
        return {"units": self.units.to_dict(orient="records"), "tracks": self.tracks.to_dict(orient="records")}


def parse_size_classes(text: str) -> list[tuple[str, float]]:
    """Size classes from 'young:0,adult_female:8.5,adult_male:10' (class:minimum pad width in cm, ascending)."""
    try:
        classes = [(name.strip(), float(v)) for name, v in (part.split(":") for part in text.split(",") if part.strip())]
    except ValueError:
        raise CensusError("size classes", f"{text!r} is not of the form name:min_cm,name:min_cm,...") from None
    return check_size_classes(classes)


def check_size_classes(classes: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Size classes sorted by threshold; empty, duplicate or unordered classes are refused."""
    if not classes:
        raise CensusError("size classes", "give at least one class, e.g. young:0,adult_female:8.5,adult_male:10")
    lows = [v for _, v in classes]
    if lows != sorted(lows) or len(set(lows)) != len(lows):
        raise CensusError("size classes", f"thresholds must increase: {classes}")
    return classes


def conflict_matrix(pad_cm: np.ndarray, lon: np.ndarray, lat: np.ndarray, day: np.ndarray,
                    pad_tolerance_cm: float, max_daily_km: float) -> np.ndarray:
    """n x n booleans: True where two tracks cannot belong to the same tiger."""
    geod = pyproj.Geod(ellps="WGS84")
    i, j = np.triu_indices(len(pad_cm), 1)
    _, _, dist = geod.inv(lon[i], lat[i], lon[j], lat[j])
    elapsed = np.abs(day[i] - day[j]) + 1.0
    clash = (np.abs(pad_cm[i] - pad_cm[j]) > pad_tolerance_cm) | (dist / 1000.0 > max_daily_km * elapsed)
    out = np.zeros((len(pad_cm),) * 2, bool)
    out[i[clash], j[clash]] = True
    return out | out.T


def _greedy(conflict: np.ndarray) -> np.ndarray:
    # DSatur-like order by degree; gives an upper bound and a fallback assignment
    n = len(conflict)
    colour = np.full(n, -1)
    for v in np.argsort(-conflict.sum(1), kind="stable"):  # tracks per unit are tens; loop over tracks is fine
        used = set(colour[conflict[v] & (colour >= 0)])
        colour[v] = next(c for c in range(n) if c not in used)
    return colour


def _clique(conflict: np.ndarray) -> list[int]:
    clique: list[int] = []
    for v in np.argsort(-conflict.sum(1), kind="stable"):
        if all(conflict[v, u] for u in clique):
            clique.append(int(v))
    return clique


def min_colouring(conflict: np.ndarray, time_limit_s: float = 20.0) -> tuple[np.ndarray, bool]:
    """Fewest groups with no conflict inside a group, as group labels 0..k-1, and whether proven optimal."""
    n = len(conflict)
    if n == 0:
        return np.zeros(0, int), True
    greedy = _greedy(conflict)
    K = int(greedy.max()) + 1
    clique = _clique(conflict)
    if K == len(clique):
        return greedy, True
    # variables: x[i, c] (n*K) then y[c] (K); minimise sum y
    nx = n * K
    xi = lambda i, c: i * K + c  # noqa: E731
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0
    for i in range(n):  # each track in exactly one group
        rows += [r] * K; cols += [xi(i, c) for c in range(K)]; vals += [1.0] * K; lo.append(1); hi.append(1); r += 1
    ei, ej = np.nonzero(np.triu(conflict, 1))
    for c in range(K):  # conflicting tracks never share a group; a used group switches y on
        m = len(ei)
        rr = r + np.arange(m)
        rows += list(np.repeat(rr, 3)); cols += list(np.column_stack([ei * K + c, ej * K + c, np.full(m, nx + c)]).ravel())
        vals += [1.0, 1.0, -1.0] * m; lo += [-np.inf] * m; hi += [0.0] * m; r += m
        rr = r + np.arange(n)
        rows += list(np.repeat(rr, 2)); cols += list(np.column_stack([np.arange(n) * K + c, np.full(n, nx + c)]).ravel())
        vals += [1.0, -1.0] * n; lo += [-np.inf] * n; hi += [0.0] * n; r += n
    for c in range(K - 1):  # groups used in order, to cut symmetric solutions
        rows += [r, r]; cols += [nx + c + 1, nx + c]; vals += [1.0, -1.0]; lo.append(-np.inf); hi.append(0.0); r += 1
    A = coo_array((vals, (rows, cols)), shape=(r, nx + K)).tocsr()
    lb = np.zeros(nx + K)
    for c, v in enumerate(clique):  # pin the clique to the first groups
        lb[xi(v, c)] = 1.0
    cost = np.r_[np.zeros(nx), np.ones(K)]
    res = milp(cost, integrality=np.ones(nx + K), bounds=Bounds(lb, np.ones(nx + K)),
               constraints=LinearConstraint(A, lo, hi), options={"time_limit": time_limit_s})
    if res.x is None:
        return greedy, False
    x = res.x[:nx].reshape(n, K).argmax(1)
    _, labels = np.unique(x, return_inverse=True)
    return labels, res.status == 0


def minimum_tigers(
    routes: RouteSet,
    crossings: pd.DataFrame,
    pad_tolerance_cm: float,
    max_daily_km: float,
    size_classes: list[tuple[str, float]],
    species: tuple[str, ...] = TIGER_SPECIES,
) -> TigerResult:
    """Minimum number of different tigers per unit and their size classes, from the tiger rows of the crossings.

    Tracks without a pad width or location cannot be told apart: they count as at least one tiger in a unit with
    no measured track, and are reported in the 'unmeasured' column.
    """
    if pad_tolerance_cm < 0 or max_daily_km <= 0:
        raise CensusError("settings", "pad width tolerance must be >= 0 cm and maximum daily travel > 0 km")
    size_classes = check_size_classes(size_classes)
    t = crossings[crossings["species"].isin(species)].merge(routes.routes[["route_id", "unit", "country"]], on="route_id")
    t = t.assign(track_date=t["date"] - pd.to_timedelta(t["track_age_days"].fillna(0), unit="D"))
    measured = t["pad_width_cm"].notna() & t["longitude"].notna() & t["latitude"].notna()
    day = (t["track_date"] - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy() / 86400.0
    t = t.assign(measured=measured.to_numpy(), day=day, animal=pd.NA, size_class=pd.NA)
    lows = np.array([v for _, v in size_classes])
    names = np.array([n for n, _ in size_classes], dtype=object)
    unit_rows, track_frames = [], []
    all_units = routes.routes.drop_duplicates("unit")[["unit", "country"]]
    for unit, country in all_units.itertuples(index=False):  # a loop over survey units
        g = t[(t["unit"] == unit)]
        m = g[g["measured"]]
        conflict = conflict_matrix(m["pad_width_cm"].to_numpy(float), m["longitude"].to_numpy(float), m["latitude"].to_numpy(float),
                                   m["day"].to_numpy(float), pad_tolerance_cm, max_daily_km)
        labels, optimal = min_colouring(conflict)
        k = int(labels.max()) + 1 if len(labels) else 0
        mean_pad = np.bincount(labels, weights=m["pad_width_cm"].to_numpy(float), minlength=k) / np.maximum(np.bincount(labels, minlength=k), 1)
        cls_idx = np.searchsorted(lows, mean_pad, side="right") - 1
        below = cls_idx < 0
        if below.any():
            raise CensusError("size classes", f"unit {unit!r}: pad width {mean_pad[below].min():.1f} cm is below the smallest class threshold {lows[0]}")
        cls = names[cls_idx]
        unmeasured = int((~g["measured"]).sum())
        rec = {"unit": unit, "country": country, "tracks": int(len(g)), "measured": int(len(m)), "unmeasured": unmeasured,
               "min_tigers": max(k, 1 if unmeasured else 0), "optimal": bool(optimal)}
        rec.update({f"n_{n}": int((cls == n).sum()) for n in names})
        unit_rows.append(rec)
        if len(m):
            track_frames.append(m.assign(animal=[f"{unit}-T{a + 1}" for a in labels], size_class=cls[labels]))
    tracks = (pd.concat(track_frames, ignore_index=True) if track_frames else t.iloc[:0])
    tracks = tracks[["row", "unit", "route_id", "track_date", "pad_width_cm", "longitude", "latitude", "direction", "animal", "size_class"]]
    units = pd.DataFrame(unit_rows)
    return TigerResult(units, tracks.reset_index(drop=True))
