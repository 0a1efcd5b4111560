"""A period of time as users write it: '2024', '2024-03', '2024-03-15' or 'FROM/TO' of those, both ends included."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from bigcats.errors import BigcatsError

_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PeriodError(BigcatsError):
    """A period that cannot be read; the message shows how to write one."""

    code = "bad-period"


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
    raise PeriodError(f"period: {text!r} is not a year (2024), a month (2024-03) or a day (2024-03-15)")


def parse_period(text: str) -> Period:
    """A period from '2024', '2024-03', '2024-03-15' or a range 'FROM/TO' of those (both ends included)."""
    text = (text or "").strip()
    if not text:
        raise PeriodError("period: give a year (2024), a month (2024-03), a day, or FROM/TO (2023-11/2024-04)")
    parts = text.split("/")
    if len(parts) > 2:
        raise PeriodError(f"period: {text!r} has more than one '/'; write FROM/TO, e.g. 2023-11/2024-04")
    try:
        start = _bound(parts[0].strip(), end=False)
        end = _bound(parts[-1].strip(), end=True)
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(f"period: {text!r} is not a valid date ({exc})") from None
    if end <= start:
        raise PeriodError(f"period: {text!r} ends before it starts")
    return Period(start, end, text)
