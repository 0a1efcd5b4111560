"""Camera effort in one convention everywhere: trap-nights.

A trap-night is 24 hours of a working camera: the deployment's span from set-up to retrieval, less the periods it
did not work (outages merged, so overlapping outages are not subtracted twice), in days. This is camtrapR's
`cameraOperation` convention with exact times; the CLI, the web and the reports all say "trap-nights" for it.
"""

from __future__ import annotations

import pandas as pd

from bigcats.analysis.effort import trap_nights
from bigcats.core.frames import SurveyFrames

EFFORT_TERM = "trap-nights"
ALL = "all"


def _outages(frames: SurveyFrames) -> pd.DataFrame | None:
    return frames.outages if frames.outages is not None and not frames.outages.empty else None


def effort_per_station(frames: SurveyFrames) -> pd.DataFrame:
    """Trap-nights per station with its country side (locationID, country, trapNights)."""
    from bigcats.survey.sides import require_sides

    require_sides(frames)
    return trap_nights(frames.deployments, _outages(frames), by=("locationID", "country"))


def effort_by_side(frames: SurveyFrames) -> pd.DataFrame:
    """Stations, deployments and trap-nights per country side and for the whole area (country 'all')."""
    per_station = effort_per_station(frames)
    deps = frames.deployments
    rows = []
    for side in [*frames.sides, ALL]:
        d = deps if side == ALL else deps[deps["country"] == side]
        s = per_station if side == ALL else per_station[per_station["country"] == side]
        rows.append({"country": side, "stations": int(d["locationID"].nunique()),
                     "deployments": int(d["deploymentID"].nunique()), "trapNights": float(s["trapNights"].sum())})
    return pd.DataFrame(rows)


def _utc(value) -> pd.Timestamp | None:
    if value is None:
        return None
    t = pd.Timestamp(value)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def effort_by_year(deployments: pd.DataFrame, outages: pd.DataFrame | None = None, start=None,
                   end=None) -> pd.Series:
    """Trap-nights per calendar year (local days), deployments clipped to [start, end) when given."""
    deps = deployments
    lo, hi = _utc(start), _utc(end)
    if not deps.empty and (lo is not None or hi is not None):
        first = deps["deploymentStart"] if lo is None else deps["deploymentStart"].clip(lower=lo)
        last = deps["deploymentEnd"] if hi is None else deps["deploymentEnd"].clip(upper=hi)
        deps = deps.assign(deploymentStart=first, deploymentEnd=last)[(last > first).to_numpy()]
    if deps.empty:
        return pd.Series(dtype=float)
    if outages is not None and len(outages):
        outages = outages[outages["deploymentID"].isin(set(deps["deploymentID"]))]
    table = trap_nights(deps, outages if outages is not None and len(outages) else None, by=("year",))
    return pd.Series(table["trapNights"].to_numpy(float), index=table["year"].astype(int).to_numpy())
