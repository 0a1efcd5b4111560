"""What a report covers: a period of time and an area (all, a country side, a partner or a protected area).

Deployments are clipped to the period, so that effort counts only the days inside it; observations outside the
period are dropped. The area is resolved against the survey frames themselves, so a typo is named with the
choices that exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bigcats.core.frames import SurveyFrames
from bigcats.core.period import Period, parse_period  # noqa: F401  (re-exported: reports take periods)
from bigcats.report.errors import ReportError


@dataclass(frozen=True)
class Area:
    """The area of a report: kind is 'all', 'country', 'partner' or 'protectedArea'; code is what matched."""

    kind: str
    code: str
    label: str


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
    if frames.deployments is None or frames.deployments.empty:
        raise ReportError("the survey frames hold no deployments: import data first")
    kind = {"all": None, "protectedArea": "protected_area"}.get(area.kind, area.kind)
    return frames.select(**({kind: area.code} if kind else {}), period=period)
