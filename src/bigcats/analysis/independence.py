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


def animal_records(observations: pd.DataFrame, observation_types: Sequence[str] = ("animal",)) -> pd.DataFrame:
    """The observations of the given types that name a species (blanks, humans and vehicles left out)."""
    require_columns(observations, ("scientificName",), "observations")
    keep = observations["scientificName"].notna().to_numpy()
    if "observationType" in observations.columns:
        keep = keep & observations["observationType"].isin(list(observation_types)).to_numpy()
    return observations.loc[keep]


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


def _chain_from_heads(head: np.ndarray, nxt: np.ndarray) -> np.ndarray:
    """Mark the records reachable from group heads by following 'next independent' pointers."""
    n = len(nxt)
    has = nxt >= 0
    # Node n is a virtual root linked to every group head; one breadth-first search walks all chains at once.
    rows = np.concatenate([np.flatnonzero(has), np.full(head.sum(), n)])
    cols = np.concatenate([nxt[has], np.flatnonzero(head)])
    graph = csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n + 1, n + 1))
    reached = breadth_first_order(graph, n, directed=True, return_predecessors=False)
    mark = np.zeros(n + 1, dtype=bool)
    mark[reached] = True
    return mark[:n]


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
    obs = animal_records(observations, observation_types)
    ids = obs["observationID"].astype(str) if "observationID" in obs else None
    t = utc_ns(obs["timestamp"], "observations.timestamp", ids)
    nulls = [c for c in by if obs[c].isna().any()]
    if nulls:
        raise AnalysisError(f"observations: missing {', '.join(nulls)} in {obs[nulls].isna().any(axis=1).sum()} animal record(s)")
    codes = [pd.factorize(obs[c], sort=True)[0] for c in by]
    order = np.lexsort((t, *reversed(codes)))
    t = t[order]
    g = np.zeros(len(t), dtype=np.int64)
    for c in codes:  # loop over the few grouping columns, not records
        g = g * (c.max() + 1) + c[order]
    if remove_duplicates:
        # Same station, species and second: the same animal in several files (camtrapR removeDuplicateRecords).
        dup = np.zeros(len(t), dtype=bool)
        dup[1:] = (g[1:] == g[:-1]) & (t[1:] == t[:-1])
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
    event = np.cumsum(new) - 1
    out = obs.iloc[order[new]].copy()
    out["eventRecords"] = np.bincount(event, minlength=int(new.sum()))
    if "count" in obs.columns:
        counts = pd.to_numeric(obs["count"], errors="coerce").to_numpy()[order]
        out["eventCount"] = pd.Series(counts).groupby(event).max().to_numpy()
    out["deltaTime"] = delta[new]
    return out.reset_index(drop=True)


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
