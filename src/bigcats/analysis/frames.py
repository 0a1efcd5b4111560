"""Checks and conversions shared by the analyses: required columns, local clock time as integer nanoseconds."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from bigcats.analysis.errors import AnalysisError, listed

NS_PER_DAY = 86_400 * 10**9
NS_PER_MINUTE = 60 * 10**9


def require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise AnalysisError if the frame lacks any of the named columns."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalysisError(f"{name}: missing column(s) {', '.join(missing)} (have: {', '.join(map(str, frame.columns))})")


def utc_ns(values: pd.Series, name: str, ids: pd.Series | None = None) -> np.ndarray:
    """Timestamps as UTC nanoseconds since the epoch; naive or missing values are refused with the rows named."""
    ts = pd.to_datetime(values, errors="coerce", utc=False)
    if not isinstance(ts.dtype, pd.DatetimeTZDtype):
        raise AnalysisError(f"{name}: timestamps must be timezone-aware (Camtrap DP requires an offset), got {ts.dtype}")
    bad = ts.isna().to_numpy()
    if bad.any():
        where = (ids if ids is not None else pd.Series(values.index))[bad]
        raise AnalysisError(f"{name}: missing or unreadable timestamp for {listed(where.tolist())}")
    return ts.dt.tz_convert("UTC").to_numpy(dtype="datetime64[ns]").view("int64")


def offsets_ns(values: pd.Series, name: str, ids: pd.Series | None = None) -> np.ndarray:
    """utcOffset minutes as nanoseconds; a missing offset is refused because local days depend on it."""
    off = pd.to_numeric(values, errors="coerce")
    bad = off.isna().to_numpy()
    if bad.any():
        where = (ids if ids is not None else pd.Series(values.index))[bad]
        raise AnalysisError(f"{name}: missing utcOffset (minutes) for {listed(where.tolist())}")
    return off.to_numpy(dtype="int64") * NS_PER_MINUTE


def day_to_date(days: np.ndarray) -> pd.DatetimeIndex:
    """Integer local day numbers (days since 1970-01-01) as naive dates."""
    return pd.DatetimeIndex(np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[ns]"))


def date_to_day(value: object) -> int:
    """A date-like value as a local day number (days since 1970-01-01)."""
    return int(np.datetime64(pd.Timestamp(value).date(), "D").astype("int64"))
