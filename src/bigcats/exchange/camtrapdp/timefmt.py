"""Timestamps as Camtrap DP writes them: ISO 8601 local time with the offset the partner's clock used."""

from __future__ import annotations

import numpy as np
import pandas as pd


def offset_text(minutes: int) -> str:
    """'Z' for UTC, else '+10:00' / '-03:30'."""
    if minutes == 0:
        return "Z"
    sign = "+" if minutes > 0 else "-"
    h, m = divmod(abs(int(minutes)), 60)
    return f"{sign}{h:02d}:{m:02d}"


def format_local(utc: pd.Series, offset_min: pd.Series) -> pd.Series:
    """ISO 8601 local timestamps with their offset, from UTC instants and minutes east of UTC."""
    utc = pd.to_datetime(utc)
    if getattr(utc.dt, "tz", None) is not None:
        utc = utc.dt.tz_convert("UTC").dt.tz_localize(None)
    missing = utc.isna().to_numpy()
    offs = pd.Series(offset_min, index=utc.index).fillna(0).astype(int).to_numpy()
    local = utc.to_numpy(dtype="datetime64[s]") + offs.astype("timedelta64[m]")
    text = np.datetime_as_string(local, unit="s").astype(object)
    suffixes = {o: offset_text(o) for o in np.unique(offs)}
    suffix = pd.Series(offs).map(suffixes).to_numpy(dtype=object)
    out = text + suffix
    out[missing] = ""
    return pd.Series(out, index=utc.index)
