"""What a report covers: a period of time and an area (all, a country side, a partner or a protected area).

Deployments are clipped to the period, so that effort counts only the days inside it; observations outside the
period are dropped. The area is resolved against the survey frames themselves, so a typo is named with the
choices that exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from bigcats.report.errors import ReportError
from bigcats.store.query import SurveyFrames

_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Period:
    """A half-open period [start, end) in UTC, with the text the user gave."""

    start: pd.Timestamp
    end: pd.Timestamp
    text: str

    @property
    def last_day(self) -> pd.Timestamp:
        """The last calendar day inside the period (end is exclusive)."""
        return self.end - pd.Timedelta(days=1)


@dataclass(frozen=True)
class Area:
    """The area of a report: kind is 'all', 'country', 'partner' or 'protectedArea'; code is what matched."""

    kind: str
    code: str
    label: str


def _bound(text: str, end: bool) -> pd.Timestamp:
    """The first instant of a year, month or day (or of the next one, for the end of a period)."""
    if _YEAR.match(text):
        t = pd.Timestamp(f"{text}-01-01", tz="UTC")
        return t + pd.DateOffset(years=1) if end else t
    if _MONTH.match(text):
        t = pd.Timestamp(f"{text}-01", tz="UTC")
        return t + pd.DateOffset(months=1) if end else t
    if _DAY.match(text):
        t = pd.Timestamp(text, tz="UTC")
        return t + pd.Timedelta(days=1) if end else t
    raise ReportError(f"period: {text!r} is not a year (2024), a month (2024-03) or a day (2024-03-15)")


def parse_period(text: str) -> Period:
    """A period from '2024', '2024-03', '2024-03-15' or a range 'FROM/TO' of those (both ends included)."""
    text = (text or "").strip()
    if not text:
        raise ReportError("period: give a year (2024), a month (2024-03), a day, or FROM/TO (2023-11/2024-04)")
    parts = text.split("/")
    if len(parts) > 2:
        raise ReportError(f"period: {text!r} has more than one '/'; write FROM/TO, e.g. 2023-11/2024-04")
    try:
        start = _bound(parts[0].strip(), end=False)
        end = _bound(parts[-1].strip(), end=True)
    except ValueError as exc:
        if isinstance(exc, ReportError):
            raise
        raise ReportError(f"period: {text!r} is not a valid date ({exc})") from None
    if end <= start:
        raise ReportError(f"period: {text!r} ends before it starts")
    return Period(start, end, text)


def resolve_area(deployments: pd.DataFrame, area: str) -> Area:
    """The area a code names among the deployments: 'all', a country (RUS), a partner (LLNP) or a protected area."""
    area = (area or "all").strip()
    if area.lower() == "all":
        return Area("all", "all", "all")
    for kind in ("country", "partner", "protectedArea"):
        if kind in deployments.columns:
            values = set(deployments[kind].dropna().astype(str))
            if area in values:
                return Area(kind, area, area)
            folded = {v.casefold(): v for v in values}
            if area.casefold() in folded:
                return Area(kind, folded[area.casefold()], folded[area.casefold()])
    choices = ["all"]
    for kind in ("country", "partner", "protectedArea"):
        if kind in deployments.columns:
            choices += sorted(deployments[kind].dropna().astype(str).unique())
    raise ReportError(f"area: {area!r} is neither 'all', a country side, a partner nor a protected area of the "
                      f"data; choose one of: {', '.join(choices)}")


def select(frames: SurveyFrames, area: Area, period: Period) -> SurveyFrames:
    """The survey frames inside the area and period, deployments clipped to the period."""
    deps = frames.deployments
    if deps is None or deps.empty:
        raise ReportError("the survey frames hold no deployments: import data first")
    for col in ("deploymentID", "locationID", "deploymentStart", "deploymentEnd", "country"):
        if col not in deps.columns:
            raise ReportError(f"deployments lack the column {col!r}")
    if area.kind != "all":
        deps = deps[deps[area.kind].astype(str) == area.code]
    start = deps["deploymentStart"].clip(lower=period.start)
    end = deps["deploymentEnd"].clip(upper=period.end)
    deps = deps.assign(deploymentStart=start, deploymentEnd=end)[end > start].reset_index(drop=True)
    if deps.empty:
        raise ReportError(f"no camera was working in area {area.code!r} during {period.text!r}")
    keep = set(deps["deploymentID"])
    obs = frames.observations
    if obs is not None and not obs.empty:
        obs = obs[obs["deploymentID"].isin(keep) & (obs["timestamp"] >= period.start)
                  & (obs["timestamp"] < period.end)].reset_index(drop=True)
    outages = frames.outages
    if outages is not None and not outages.empty:
        outages = outages[outages["deploymentID"].isin(keep)].reset_index(drop=True)
    return SurveyFrames(deps, outages, obs)
