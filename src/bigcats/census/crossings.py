"""Track crossings from field sheets (CSV/XLSX) or a form: route, species, count, track age, and for tigers the
front-pad width, direction and location. Every row is checked before anything is returned."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bigcats.census.errors import CensusError
from bigcats.census.routes import RouteSet
from bigcats.census.tables import read_table

CROSSING_COLUMNS = ["row", "route_id", "date", "species", "count", "track_age_days", "pad_width_cm", "direction",
                    "longitude", "latitude"]
REQUIRED = ["route_id", "species", "count"]


def read_crossings(
    source: str | Path | pd.DataFrame,
    routes: RouteSet,
    sheet: str | int | None = None,
    fields: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Crossings checked against the route set; `row` is the sheet line (header = 1) for later messages.

    A crossing on a route (or a route and date) that was not surveyed, a negative or fractional count, a track
    older than nothing or a pad width that is not positive is refused with its row named.
    """
    frame, name = read_table(source, sheet)
    frame = frame.rename(columns={v: k for k, v in (fields or {}).items()})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise CensusError(name, f"missing column(s) {', '.join(missing)}; a crossing sheet needs at least {', '.join(REQUIRED)}")
    n = len(frame)
    line = np.arange(n) + 2
    out = pd.DataFrame({"row": line})
    out["route_id"] = frame["route_id"].astype(str).str.strip().to_numpy()
    out["species"] = frame["species"].astype(str).str.strip().to_numpy()
    problems: list[str] = []

    def number(col: str, required: bool, positive: bool, integer: bool = False) -> np.ndarray:
        if col not in frame.columns:
            return np.full(n, np.nan)
        raw = frame[col]
        val = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        given = raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
        bad = (given & np.isnan(val)) | (required & ~given)
        bad |= ~np.isnan(val) & ((val <= 0) if positive else (val < 0))
        if integer:
            bad |= ~np.isnan(val) & (np.mod(val, 1) != 0)
        kind = "a whole number >= 0" if integer else ("a positive number" if positive else "a number >= 0")
        problems.extend(f"row {line[i]}, route {out['route_id'].iloc[i]!r}, field '{col}': {str(raw.iloc[i])!r} is not {kind}"
                        for i in np.flatnonzero(bad))
        return val

    out["count"] = number("count", True, False, integer=True)
    out["track_age_days"] = number("track_age_days", False, False)
    out["pad_width_cm"] = number("pad_width_cm", False, True)
    for col in ("longitude", "latitude"):
        out[col] = pd.to_numeric(frame[col], errors="coerce").to_numpy(float) if col in frame.columns else np.nan
    out["direction"] = frame["direction"].astype("string").str.strip().to_numpy() if "direction" in frame.columns else pd.NA
    for col, lim in (("longitude", 180), ("latitude", 90)):
        if col in frame.columns:
            v = out[col].to_numpy()
            bad = (frame[col].notna().to_numpy() & np.isnan(v)) | (np.abs(v) > lim)
            problems.extend(f"row {line[i]}, field '{col}': {str(frame[col].iloc[i])!r} is not a WGS84 {col}" for i in np.flatnonzero(bad))
    blank = (out["species"] == "") | frame["species"].isna().to_numpy()
    problems.extend(f"row {line[i]}, field 'species': empty" for i in np.flatnonzero(blank))

    # route and survey date: a crossing must belong to a survey that exists
    known = out["route_id"].isin(routes.routes["route_id"]).to_numpy()
    problems.extend(f"row {line[i]}, field 'route_id': route {out['route_id'].iloc[i]!r} does not exist in the routes"
                    for i in np.flatnonzero(~known))
    surveys = routes.surveys
    if "date" in frame.columns:
        date = pd.to_datetime(frame["date"], errors="coerce").dt.normalize()
        problems.extend(f"row {line[i]}, field 'date': {str(frame['date'].iloc[i])!r} is not a date"
                        for i in np.flatnonzero((date.isna() & frame["date"].notna()).to_numpy()))
    else:
        date = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    per_route = surveys.groupby("route_id")["date"].agg(["count", "first"])
    no_date = date.isna().to_numpy() & known
    single = out["route_id"].map(per_route["count"]).to_numpy() == 1
    problems.extend(f"row {line[i]}: route {out['route_id'].iloc[i]!r} was surveyed on several dates; give the date"
                    for i in np.flatnonzero(no_date & ~single))
    date = date.where(~(no_date & single), out["route_id"].map(per_route["first"]).to_numpy())
    out["date"] = pd.to_datetime(date).to_numpy()
    pairs = pd.MultiIndex.from_frame(out[["route_id", "date"]])
    surveyed = pairs.isin(pd.MultiIndex.from_frame(surveys[["route_id", "date"]].astype({"date": out["date"].dtype})))
    has_date = ~pd.isna(out["date"]).to_numpy()
    problems.extend(f"row {line[i]}: route {out['route_id'].iloc[i]!r} has no survey on {pd.Timestamp(out['date'].iloc[i]).date()}"
                    for i in np.flatnonzero(known & has_date & ~surveyed))
    if problems:
        raise CensusError(f"{name}: crossings refused, nothing was imported", problems)
    out["count"] = out["count"].astype(int)
    return out[CROSSING_COLUMNS]
