"""Independent detections: duplicates removed, then a time threshold per station and species (camtrapR rules).

A record starts a new independent event when at least `threshold` has passed since the previous record
("last_record") or since the last record that itself started an event ("last_independent"), within the same
station and species (and any further grouping columns, e.g. deploymentID for camera-level independence).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

from bigcats.analysis.errors import AnalysisError, listed
from bigcats.analysis.frames import require_columns, utc_ns

REFERENCES = ("last_record", "last_independent")


def animal_mask(observations: pd.DataFrame, observation_types: Sequence[str] = ("animal",)) -> np.ndarray:
    """Which observations are of the given types and name a species (blanks, humans and vehicles left out)."""
    require_columns(observations, ("scientificName",), "observations")
    keep = observations["scientificName"].notna().to_numpy()
    if "observationType" in observations.columns:
        keep = keep & observations["observationType"].isin(list(observation_types)).to_numpy()
    return keep


def animal_records(observations: pd.DataFrame, observation_types: Sequence[str] = ("animal",)) -> pd.DataFrame:
    """The observations of the given types that name a species (blanks, humans and vehicles left out)."""
    return observations.loc[animal_mask(observations, observation_types)]


def check_within_deployments(observations: pd.DataFrame, deployments: pd.DataFrame) -> None:
    """Raise AnalysisError for records whose deployment is unknown or whose time is outside that deployment."""
    require_columns(observations, ("observationID", "deploymentID", "timestamp"), "observations")
    require_columns(deployments, ("deploymentID", "deploymentStart", "deploymentEnd"), "deployments")
    oid = observations["observationID"].astype(str)
    pos = pd.Index(deployments["deploymentID"].astype(str)).get_indexer(observations["deploymentID"].astype(str))
    unknown = pos < 0
    if unknown.any():
        raise AnalysisError(
            f"observations: {unknown.sum()} record(s) name a deploymentID that is not among the deployments: "
            f"observationID {listed(oid[unknown].tolist())} (deploymentID "
            f"{listed(observations['deploymentID'][unknown].astype(str).unique().tolist())})"
        )
    t = utc_ns(observations["timestamp"], "observations.timestamp", oid)
    start = utc_ns(deployments["deploymentStart"], "deployments.deploymentStart")[pos]
    end = utc_ns(deployments["deploymentEnd"], "deployments.deploymentEnd")[pos]
    outside = (t < start) | (t > end)
    if outside.any():
        dep = observations["deploymentID"].astype(str)[outside]
        raise AnalysisError(
            f"observations: {outside.sum()} record(s) fall outside their deployment's start and end: "
            f"observationID {listed(oid[outside].tolist())} (deployment {listed(dep.unique().tolist())})"
        )


def _chain_from_heads(head: np.ndarray, nxt: np.ndarray, min_frontier: int = 256) -> np.ndarray:
    """Mark the records reachable from group heads by following 'next independent' pointers."""
    n = len(nxt)
    mark = head.copy()
    frontier = np.flatnonzero(head)
    # All chains advance one event per pass; while many groups are still going, a pass marks many records at once.
    # Once few remain, a bounded number of further (cheap) passes usually finishes them.
    spare = 2000
    while len(frontier) and (len(frontier) >= min_frontier or spare > 0):
        spare -= len(frontier) < min_frontier
        frontier = nxt[frontier]
        frontier = frontier[frontier >= 0]
        mark[frontier] = True
    if len(frontier) == 0:
        return mark
    # A few long chains remain: a breadth-first search from a virtual root (node n) linked to their current ends
    # walks them in one call. Each record has at most one out-edge, so the CSR arrays are written directly.
    has = nxt >= 0
    indptr = np.zeros(n + 2, dtype=np.int64)
    indptr[1:n + 1] = np.cumsum(has)
    indptr[n + 1] = indptr[n] + len(frontier)
    indices = np.concatenate([nxt[has], frontier])
    graph = csr_matrix((np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(n + 1, n + 1))
    reached = breadth_first_order(graph, n, directed=True, return_predecessors=False)
    mark[reached[reached < n]] = True
    return mark


def _group_codes(obs: pd.DataFrame, by: list[str], rows: np.ndarray) -> np.ndarray:
    """One integer per record for its combination of grouping values, ordered as the sorted values are."""
    g = np.zeros(len(rows), dtype=np.int64)
    for c in by:  # loop over the few grouping columns, not records
        codes, uniques = pd.factorize(obs[c].iloc[rows] if len(rows) < len(obs) else obs[c], sort=True)
        g = g * max(len(uniques), 1) + codes
    return g


def _sort_order(g: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Stable order by group, then time (what np.lexsort((t, g)) gives), with one integer sort where possible."""
    if len(t) == 0:
        return np.zeros(0, dtype=np.int64)
    rel = t - t.min()
    # Camera clocks tick in seconds (at most milliseconds): in the coarsest unit that loses nothing, group and
    # time usually fit one int64 key, and one sort of that key is several times faster than lexsort.
    for unit in (10**9, 10**6, 10**3, 1):
        if not (rel % unit).any():
            break
    rel //= unit
    span = int(rel.max()) + 1
    if (int(g.max()) + 1) * span < 2**62:
        return np.argsort(g * span + rel, kind="stable")
    order = np.argsort(t, kind="stable")
    # Group codes are usually few: a 16- or 32-bit stable sort is a radix sort in NumPy.
    small = np.uint16 if g.max() < 2**16 else (np.uint32 if g.max() < 2**32 else np.int64)
    return order[np.argsort(g[order].astype(small), kind="stable")]


def independent_detections(
    observations: pd.DataFrame,
    threshold: str | pd.Timedelta = "30min",
    reference: str = "last_independent",
    by: Sequence[str] = ("locationID", "scientificName"),
    remove_duplicates: bool = True,
    observation_types: Sequence[str] = ("animal",),
) -> pd.DataFrame:
    """The independent records (one per event) with eventRecords, eventCount, deltaTime (s since previous record) added."""
    if reference not in REFERENCES:
        raise AnalysisError(f"independent detections: reference must be one of {REFERENCES}, not {reference!r}")
    try:
        gap = pd.Timedelta(threshold)
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"independent detections: threshold {threshold!r} is not a duration ({exc})") from None
    if gap < pd.Timedelta(0):
        raise AnalysisError(f"independent detections: threshold must not be negative, got {threshold!r}")
    by = list(by)
    require_columns(observations, [*by, "timestamp"], "observations")
    left_out = 0
    if gap < pd.Timedelta(days=1) and "timeUnknown" in observations.columns:
        # Records with a date but no time cannot be placed within a day: left out of minute-scale events.
        unknown = observations["timeUnknown"].fillna(False).astype(bool).to_numpy()
        left_out = int((unknown & animal_mask(observations, observation_types)).sum())
        if unknown.any():
            observations = observations.loc[~unknown]
    # Work on positions and a few columns; the wide frame is copied once, for the kept records only.
    rows = np.flatnonzero(animal_mask(observations, observation_types))
    subset = len(rows) < len(observations)
    pick = (lambda col: observations[col].iloc[rows]) if subset else (lambda col: observations[col])
    ids = pick("observationID") if "observationID" in observations.columns else None
    t = utc_ns(pick("timestamp"), "observations.timestamp", ids)
    nulls = [c for c in by if pick(c).isna().any()]
    if nulls:
        n_bad = int(np.column_stack([pick(c).isna().to_numpy() for c in nulls]).any(axis=1).sum())
        raise AnalysisError(f"observations: missing {', '.join(nulls)} in {n_bad} animal record(s)")
    g = _group_codes(observations, by, rows)
    order = _sort_order(g, t)
    t, g = t[order], g[order]
    if remove_duplicates:
        # Same station, species and time: the same animal in several files (camtrapR removeDuplicateRecords).
        dup = np.zeros(len(t), dtype=bool)
        dup[1:] = (g[1:] == g[:-1]) & (t[1:] == t[:-1])
        if dup.any():
            order, t, g = order[~dup], t[~dup], g[~dup]
    n = len(t)
    head = np.ones(n, dtype=bool)
    head[1:] = g[1:] != g[:-1]
    # camtrapR's convention: the first record of a station and species has a delta time of 0.
    delta = np.zeros(n)
    delta[1:] = np.where(head[1:], 0.0, (t[1:] - t[:-1]) / 1e9)
    step = gap.value
    if reference == "last_record":
        new = head.copy()
        new[1:] |= (t[1:] - t[:-1]) >= step
    else:
        # Next independent record after i: the first one of the same group at least `step` later.
        here, later = _composite_keys(g, t, step)
        nxt = np.searchsorted(here, later, side="left")
        group_end = np.flatnonzero(np.r_[head[1:], True])
        last_in_group = np.repeat(group_end, np.diff(np.r_[0, group_end + 1]))
        nxt = np.where(nxt <= last_in_group, nxt, -1)
        new = _chain_from_heads(head, nxt)
    starts = np.flatnonzero(new)
    out = observations.take(rows[order[starts]])
    out["eventRecords"] = np.diff(np.r_[starts, n])
    if "count" in observations.columns:
        counts = pd.to_numeric(pick("count"), errors="coerce").to_numpy(dtype=float, na_value=np.nan)[order]
        # Events are runs of consecutive records: the largest group size per run, missing counts ignored.
        biggest = np.fmax.reduceat(counts, starts) if n else np.zeros(0)
        whole = not np.isnan(biggest).any() and (biggest == np.round(biggest)).all()
        out["eventCount"] = biggest.astype(np.int64) if whole else biggest
    out["deltaTime"] = delta[starts]
    out.index = pd.RangeIndex(len(out))  # relabel in place: reset_index would copy the wide frame again
    out.attrs["timeUnknownLeftOut"] = left_out
    return out


def _composite_keys(g: np.ndarray, t: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Group-major, time-minor integer keys (milliseconds) for each record and for its time plus `step`."""
    if len(t) == 0:
        return t, t
    # Millisecond resolution keeps the keys in int64 for many groups over decades; sub-millisecond gaps don't matter.
    rel = (t - t.min()) // 10**6
    later = rel + (step + 10**6 - 1) // 10**6
    span = int(later.max()) + 1
    if (int(g.max()) + 1) * span >= 2**63:
        raise AnalysisError("independent detections: too many station-species groups over too long a time span")
    return g * span + rel, g * span + later


def count_events(events: pd.DataFrame, by: Sequence[str] = ("locationID", "scientificName")) -> pd.DataFrame:
    """Number of independent events per group, as a long table with column 'events'."""
    by = list(by)
    require_columns(events, by, "independent events")
    return events.groupby(by, sort=True, as_index=False).size().rename(columns={"size": "events"})
