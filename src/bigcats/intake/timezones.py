"""Clocks: each deployment's UTC offset, camera clock corrections (camtrapR time-shift table), impossible times."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from bigcats.intake.report import IntakeError, IntakeReport
from bigcats.problems import Problem

# The partners' regions; a name is turned into the fixed offset the region uses today (none observes DST).
REGION_OFFSETS = {"CHN": 480, "RUS-PRIMORYE": 600, "MNG-WEST": 420, "MNG": 480}
EARLIEST_PLAUSIBLE = pd.Timestamp("1990-01-01", tz="UTC")  # a camera reset to 1970/2000 defaults is not a record
LOCAL_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                 "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y/%m/%d %H:%M:%S")
_OFFSET_RE = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
_SHIFT_RE = re.compile(r"^\s*(\d+):(\d+):(\d+)\s+(\d+):(\d+):(\d+)\s*$")


def parse_utc_offset(value: int | str) -> int:
    """A UTC offset in minutes from 600, '+10:00', 'UTC+8', '+0700' or a time-zone name like 'Asia/Vladivostok'."""
    if isinstance(value, (int, np.integer)):
        minutes = int(value)
    else:
        text = str(value).strip()
        if re.fullmatch(r"[+-]?\d+", text) and abs(int(text)) > 14:
            minutes = int(text)
        elif m := _OFFSET_RE.match(text if text[:1] in "+-" or text[:3].upper() in ("UTC", "GMT") else f"+{text}"):
            sign = -1 if m.group(1) == "-" else 1
            minutes = sign * (int(m.group(2)) * 60 + int(m.group(3) or 0))
        else:
            try:
                minutes = int(datetime(2020, 1, 1, tzinfo=ZoneInfo(text)).utcoffset().total_seconds() // 60)
            except (ZoneInfoNotFoundError, ValueError):
                raise IntakeError([Problem("bad-utc-offset", "not a UTC offset (minutes, '+10:00') or a time-zone "
                                           "name ('Asia/Vladivostok')", field="utcOffset", value=text)],
                                  "time zone") from None
    if not -720 <= minutes <= 840:
        raise IntakeError([Problem("bad-utc-offset", "UTC offset outside -12:00..+14:00", field="utcOffset",
                                   value=str(value))], "time zone")
    return minutes


def parse_local_times(text: pd.Series, formats: tuple[str, ...] | str | None = None) -> pd.Series:
    """Parse local clock times (naive) trying each format in turn; what none reads is NaT."""
    formats = (formats,) if isinstance(formats, str) else (formats or LOCAL_FORMATS)
    s = pd.Series(text, dtype="string").str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = out.isna() & s.notna()
        if not todo.any():
            break
        out[todo] = pd.to_datetime(s[todo], format=fmt, errors="coerce")
    return out


def localize(local: pd.Series, utc_offset: int | pd.Series) -> pd.Series:
    """UTC instants (tz-aware) from naive local clock times and their offsets in minutes."""
    offset = pd.to_timedelta(pd.Series(utc_offset, index=local.index) if np.ndim(utc_offset) == 0
                             else pd.Series(utc_offset).astype("float64").to_numpy(), unit="min")
    return (pd.to_datetime(local) - offset).dt.tz_localize("UTC")


def parse_time_shift(shift: str, sign: str, where: str = "time-shift table") -> pd.DateOffset:
    """camtrapR's 'yyyy:mm:dd HH:MM:SS' shift and its '+'/'-' sign as a calendar offset."""
    m = _SHIFT_RE.match(str(shift))
    if not m or str(sign).strip() not in ("+", "-"):
        raise IntakeError([Problem("bad-time-shift", "time shift must be 'yyyy:mm:dd HH:MM:SS' with sign + or -",
                                   file=where, field="timeshift", value=f"{sign}{shift}")], where)
    y, mo, d, h, mi, s = (int(g) for g in m.groups())
    k = -1 if str(sign).strip() == "-" else 1
    return pd.DateOffset(years=k * y, months=k * mo, days=k * d, hours=k * h, minutes=k * mi, seconds=k * s)


def apply_time_shifts(frame: pd.DataFrame, shifts: pd.DataFrame, report: IntakeReport, time_col: str = "local",
                      station_col: str = "locationID", camera_col: str = "cameraID",
                      file: str = "time-shift table") -> pd.DataFrame:
    """Correct wrong camera clocks per station (and camera, where given), recording each correction in the report.

    The original local time is kept in column 'timestampOriginal' and the applied shift in 'timestampCorrection'.
    """
    out = frame.copy()
    out["timestampOriginal"] = out[time_col]
    if "timestampCorrection" not in out.columns:
        out["timestampCorrection"] = pd.Series(pd.NA, index=out.index, dtype="string")
    lines = shifts.attrs.get("lines", list(range(2, len(shifts) + 2)))
    for line, row in zip(lines, shifts.itertuples(index=False)):  # a handful of cameras, not records
        rec = row._asdict()
        station = _first(rec, "Station", "station")
        camera = _first(rec, "camera", "Camera")
        offset = parse_time_shift(rec.get("timeshift"), rec.get("sign"), f"{file} row {line}")
        mask = out[station_col].eq(station).fillna(False)
        if camera is not None and camera_col in out.columns:
            mask &= out[camera_col].eq(camera).fillna(False)
        if not mask.any():
            report.warn(Problem("unused-time-shift", "no record matches this station/camera", file=file, row=line,
                                value=str(station)))
        out.loc[mask, time_col] = out.loc[mask, time_col] + offset
        text = f"{rec.get('sign')}{rec.get('timeshift')}"
        out.loc[mask, "timestampCorrection"] = text
        report.corrections.append({"station": station, "camera": camera,
                                   "shift": text, "records": int(mask.sum()), "file": file, "row": line})
    return out


def _first(rec: dict, *names: str):
    for name in names:
        value = rec.get(name)
        if value is not None and not pd.isna(value):
            return value
    return None


def timestamp_flags(frame: pd.DataFrame, deployments: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Masks of impossible times (before 1990, in the future) and of times outside their deployment's window."""
    ts = frame["timestamp"]
    deps = deployments.reindex(columns=["deploymentID", "deploymentStart", "deploymentEnd"])
    deps["deploymentStart"] = pd.to_datetime(deps["deploymentStart"], utc=True)
    deps["deploymentEnd"] = pd.to_datetime(deps["deploymentEnd"], utc=True)
    win = frame[["deploymentID"]].merge(deps, on="deploymentID", how="left").set_index(frame.index)
    now = pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
    impossible = ((ts < EARLIEST_PLAUSIBLE) | (ts > now)).fillna(False)
    outside = (~impossible & ((ts < win["deploymentStart"]) | (ts > win["deploymentEnd"]))).fillna(False)
    return impossible.astype(bool), outside.astype(bool)


def deployments_with_issues(frame: pd.DataFrame, deployments: pd.DataFrame) -> pd.Series:
    """Camtrap DP timestampIssues: whether any record of the deployment has an impossible or outside time."""
    impossible, outside = timestamp_flags(frame, deployments)
    bad = frame.loc[impossible | outside, "deploymentID"].unique()
    return deployments["deploymentID"].isin(bad)


def flag_timestamps(frame: pd.DataFrame, deployments: pd.DataFrame, report: IntakeReport, file_col: str | None = None,
                    row_col: str | None = None, what: str = "record") -> pd.Series:
    """Report impossible times and times outside their deployment (kept, flagged); returns the flag mask."""
    impossible, outside = timestamp_flags(frame, deployments)
    ts = frame["timestamp"]
    checks = ((impossible, "impossible-timestamp", f"{what} time is impossible (camera clock reset?)"),
              (outside, "timestamp-outside-deployment", f"{what} time is outside its deployment"))
    for mask, code, message in checks:
        for i in np.flatnonzero(mask.to_numpy()):
            local = ts.iloc[i] + pd.Timedelta(minutes=int(frame["utcOffset"].iloc[i]))
            report.warn(Problem(code, message + "; kept and flagged",
                                file=None if file_col is None else str(frame[file_col].iloc[i]),
                                row=None if row_col is None else int(frame[row_col].iloc[i]),
                                field="timestamp", value=f"{local:%Y-%m-%d %H:%M:%S} local"))
    return impossible | outside
