"""Camera-trap effort: active intervals, the camera-operation matrix and trap-nights (camtrapR conventions).

A camera's effort on a local calendar day is the fraction of that day it was deployed and working. With set-up and
retrieval recorded at noon this gives camtrapR's `cameraOperation` values: 0.5 on set-up and retrieval days, 1 in
between, 0 on days inside a problem period, and NA (here NaN) on days the camera was not deployed at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bigcats.analysis.errors import AnalysisError, listed
from bigcats.analysis.frames import NS_PER_DAY, day_to_date, offsets_ns, require_columns, utc_ns

DEPLOYMENT_COLUMNS = ("deploymentID", "locationID", "deploymentStart", "deploymentEnd", "utcOffset")
OUTAGE_COLUMNS = ("deploymentID", "start", "end")


def _deployment_arrays(deployments: pd.DataFrame) -> pd.DataFrame:
    """Deployments with local start/end in integer nanoseconds, validated."""
    require_columns(deployments, DEPLOYMENT_COLUMNS, "deployments")
    ids = deployments["deploymentID"].astype(str)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise AnalysisError(f"deployments: duplicate deploymentID {listed(dup.unique().tolist())}")
    if deployments["locationID"].isna().any():
        raise AnalysisError(f"deployments: missing locationID for deployment {listed(ids[deployments['locationID'].isna()].tolist())}")
    off = offsets_ns(deployments["utcOffset"], "deployments", ids)
    start = utc_ns(deployments["deploymentStart"], "deployments.deploymentStart", ids) + off
    end = utc_ns(deployments["deploymentEnd"], "deployments.deploymentEnd", ids) + off
    empty = end <= start
    if empty.any():
        raise AnalysisError(
            f"deployments: deploymentEnd is not after deploymentStart, so no effort, for deployment {listed(ids[empty].tolist())}"
        )
    return pd.DataFrame({
        "deploymentID": ids.to_numpy(), "locationID": deployments["locationID"].astype(str).to_numpy(),
        "start": start, "end": end, "offset": off,
    })


def _merge_intervals(group: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of overlapping intervals within each group (group codes are integers)."""
    if len(group) == 0:
        return group, start, end
    order = np.lexsort((start, group))
    g, s, e = group[order], start[order], end[order]
    reach = pd.Series(e).groupby(g).cummax().to_numpy()
    new = np.ones(len(g), dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (s[1:] > reach[:-1])
    first = np.flatnonzero(new)
    return g[first], s[first], np.maximum.reduceat(e, first)


def active_intervals(deployments: pd.DataFrame, outages: pd.DataFrame | None = None) -> pd.DataFrame:
    """Intervals each deployment was working, in local nanoseconds: deployment minus its (merged) outages."""
    dep = _deployment_arrays(deployments)
    n = len(dep)
    code = np.arange(n)
    if outages is not None and len(outages):
        require_columns(outages, OUTAGE_COLUMNS, "outages")
        oid = outages["deploymentID"].astype(str)
        pos = pd.Index(dep["deploymentID"]).get_indexer(oid)
        unknown = pos < 0
        if unknown.any():
            raise AnalysisError(f"outages: deploymentID not among the deployments: {listed(oid[unknown].unique().tolist())}")
        off = dep["offset"].to_numpy()[pos]
        os_ = utc_ns(outages["start"], "outages.start", oid) + off
        oe = utc_ns(outages["end"], "outages.end", oid) + off
        if (oe < os_).any():
            raise AnalysisError(f"outages: end before start for deployment {listed(oid[oe < os_].unique().tolist())}")
        # Outages are clipped to their deployment: a problem period may run past retrieval, as in camtrapR tables.
        os_ = np.maximum(os_, dep["start"].to_numpy()[pos])
        oe = np.minimum(oe, dep["end"].to_numpy()[pos])
        keep = oe > os_
        g, s, e = _merge_intervals(pos[keep], os_[keep], oe[keep])
        # Working pieces: starts are {deployment start, outage ends}, ends are {outage starts, deployment end};
        # outages are disjoint and inside the deployment, so sorting each side and pairing by rank gives the pieces.
        gs = np.concatenate([code, g])
        ge = np.concatenate([g, code])
        starts = np.concatenate([dep["start"].to_numpy(), e])
        ends = np.concatenate([s, dep["end"].to_numpy()])
        o1 = np.lexsort((starts, gs))
        o2 = np.lexsort((ends, ge))
        gi, ps, pe = gs[o1], starts[o1], ends[o2]
        piece = pe > ps
        gi, ps, pe = gi[piece], ps[piece], pe[piece]
    else:
        gi, ps, pe = code, dep["start"].to_numpy(), dep["end"].to_numpy()
    return pd.DataFrame({
        "deploymentID": dep["deploymentID"].to_numpy()[gi], "locationID": dep["locationID"].to_numpy()[gi],
        "start": ps, "end": pe,
    })


def _daily(unit: np.ndarray, start: np.ndarray, end: np.ndarray) -> pd.DataFrame:
    """Fraction of each local day covered by each interval, summed per unit and day."""
    first = start // NS_PER_DAY
    last = (end - 1) // NS_PER_DAY
    n = (last - first + 1).astype("int64")
    rep = np.repeat(np.arange(len(unit)), n)
    offsets = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    day = first[rep] + offsets
    lo = np.maximum(start[rep], day * NS_PER_DAY)
    hi = np.minimum(end[rep], (day + 1) * NS_PER_DAY)
    frame = pd.DataFrame({"unit": unit[rep], "day": day, "effort": (hi - lo) / NS_PER_DAY})
    return frame.groupby(["unit", "day"], sort=True, as_index=False)["effort"].sum()


def daily_effort(
    deployments: pd.DataFrame, outages: pd.DataFrame | None = None, by: str = "locationID",
    cameras_independent: bool = True,
) -> pd.DataFrame:
    """Long table unit, date, effort (0..n cameras) for every local day a unit had a camera deployed."""
    if by not in ("locationID", "deploymentID"):
        raise AnalysisError(f"daily effort: by must be 'locationID' or 'deploymentID', not {by!r}")
    dep = _deployment_arrays(deployments)
    act = active_intervals(deployments, outages)
    units = pd.Index(pd.unique(dep[by]))
    du = units.get_indexer(dep[by])
    au = units.get_indexer(act[by])
    a_start, a_end = act["start"].to_numpy(), act["end"].to_numpy()
    if by == "locationID" and not cameras_independent:
        # A station counts once however many cameras watch it: effort is the union of working periods.
        au, a_start, a_end = _merge_intervals(au, a_start, a_end)
    deployed = _daily(du, dep["start"].to_numpy(), dep["end"].to_numpy())
    working = _daily(au, a_start, a_end)
    out = deployed[["unit", "day"]].merge(working, on=["unit", "day"], how="left")
    out["effort"] = out["effort"].fillna(0.0)
    return pd.DataFrame({by: units.to_numpy()[out["unit"].to_numpy()], "day": out["day"].to_numpy(),
                         "date": day_to_date(out["day"].to_numpy()), "effort": out["effort"].to_numpy()})


def camera_operation(
    deployments: pd.DataFrame, outages: pd.DataFrame | None = None, by: str = "locationID",
    cameras_independent: bool = True,
) -> pd.DataFrame:
    """Camera-operation matrix (units x local dates): effort per day, 0 when broken, NaN when not deployed."""
    long = daily_effort(deployments, outages, by=by, cameras_independent=cameras_independent)
    days = np.arange(long["day"].min(), long["day"].max() + 1)
    wide = long.pivot(index=by, columns="day", values="effort").reindex(columns=days)
    wide.columns = day_to_date(days)
    wide.columns.name = "date"
    return wide


def trap_nights(
    deployments: pd.DataFrame, outages: pd.DataFrame | None = None, by: Sequence[str] = ("deploymentID",),
) -> pd.DataFrame:
    """Active trap-nights (days of working camera) per group of deployment columns, 'year' and 'month' allowed."""
    by = list(by)
    calendar = [c for c in by if c in ("year", "month")]
    attrs = [c for c in by if c not in calendar]
    missing = [c for c in attrs if c not in deployments.columns]
    if missing:
        raise AnalysisError(f"trap-nights: grouping column(s) {', '.join(missing)} not in deployments")
    info = deployments.assign(deploymentID=deployments["deploymentID"].astype(str)).set_index("deploymentID")
    if calendar:
        long = daily_effort(deployments, outages, by="deploymentID")
        dates = long["date"]
        if "year" in calendar:
            long["year"] = dates.dt.year.to_numpy()
        if "month" in calendar:
            long["month"] = dates.dt.month.to_numpy()
        base = long.rename(columns={"effort": "trapNights"})
    else:
        act = active_intervals(deployments, outages)
        base = pd.DataFrame({"deploymentID": act["deploymentID"],
                             "trapNights": (act["end"] - act["start"]) / NS_PER_DAY})
        # A deployment fully inside an outage still belongs in the table, with zero effort.
        allids = pd.DataFrame({"deploymentID": info.index.to_numpy(), "trapNights": 0.0})
        base = pd.concat([base, allids], ignore_index=True)
    extra = [c for c in attrs if c != "deploymentID"]
    if extra:
        base = base.join(info[extra], on="deploymentID")
    if not by:
        return pd.DataFrame({"trapNights": [float(base["trapNights"].sum())]})
    nulls = [c for c in extra if base[c].isna().any()]
    if nulls:
        raise AnalysisError(f"trap-nights: grouping column(s) {', '.join(nulls)} have missing values in deployments")
    return base.groupby(by, sort=True, as_index=False)["trapNights"].sum()
