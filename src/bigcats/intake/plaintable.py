"""Plain tables from anywhere: a deployments (stations, surveys) table and a records table, any column names.

Reads CSV, TSV or XLSX in any encoding and separator `intake.tables` handles; finds the columns by the user's
column map and by their usual names (`intake.columns`); takes coordinates in any CRS pyproj knows
(`intake.coords`); applies each row's own time zone (an IANA name, with daylight saving on the record's own date,
or a fixed offset); keeps records that have a date but no time, flagged `timeUnknown` (stored as an event lasting
the whole local day; see ARCHITECTURE.md), and names the user's file, row and field in every problem.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from bigcats.intake.columns import SYNONYMS, ColumnMap, fold, resolve
from bigcats.intake.coords import country_codes, split_xy, to_wgs84
from bigcats.intake.frames import SurveyFrames
from bigcats.intake.report import IntakeError, IntakeReport
from bigcats.intake.tables import read_table
from bigcats.intake.timezones import flag_timestamps, parse_local_times, parse_utc_offset
from bigcats.problems import Problem
from bigcats.taxonomy import resolve_labels

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
NO_TIME = {"", "na", "n/a", "nd", "none", "null", "-", "--", "?", "unknown", "desconhecido", "nan"}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y:%m:%d", "%d-%m-%Y")
TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%H.%M.%S", "%H.%M", "%H%M%S")
DAY_END = pd.Timedelta(hours=23, minutes=59, seconds=59)
# Analyses that need a clock time leave date-only records out; those that need a day count them.
NEEDS_TIME = ("activity (diel patterns, overlap)", "independent events at minute scale")
DATE_SUFFICES = ("occupancy by day", "detection histories", "relative abundance (RAI) by day")


def table_files(folder: Path) -> list[Path]:
    """The table files in a folder (not recursing), sorted."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES
                  and not p.name.startswith((".", "~$")))


def _role(headers: list[str]) -> str | None:
    folded = {fold(h) for h in headers}
    has = {t: {f for f, names in SYNONYMS[t].items() if folded & set(names)} for t in SYNONYMS}
    if {"deploymentID", "start", "end"} <= has["deployments"]:
        return "deployments"
    if "scientificName" in has["records"] and ({"date", "datetime"} & has["records"]):
        return "records"
    return None


def sniff(source: Path) -> bool:
    """True for a folder holding a deployments table and a records table by their headers (format 'table')."""
    if not source.is_dir():
        return False
    roles = set()
    for p in table_files(source):
        try:
            roles.add(_role(list(read_table(p).columns)))
        except IntakeError:
            continue
    return {"deployments", "records"} <= roles


def _find_tables(source: Path, cmap: ColumnMap | None, stations: Path | None,
                 records: Path | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The deployments and records tables: named in the map or the options, else found by their headers."""
    found: dict[str, pd.DataFrame] = {}
    for role, given in (("deployments", stations), ("records", records)):
        named = (cmap.tables.get(role, {}).get("file") if cmap else None)
        path = given or (source / named if named and source.is_dir() else Path(named) if named else None)
        if path is not None:
            found[role] = read_table(path, sheet=(cmap.tables.get(role, {}).get("sheet") if cmap else None))
    if source.is_file() and "records" not in found:
        found["records"] = read_table(source)
    if len(found) < 2 and source.is_dir():
        spare = []
        for p in table_files(source):
            df = read_table(p)
            role = _role(list(df.columns))
            if role and role not in found:
                found[role] = df
            elif not role:
                spare.append(df)
        missing = [r for r in ("deployments", "records") if r not in found]
        if len(missing) == 1 and len(spare) == 1:
            found[missing[0]] = spare[0]  # the one other table; its columns are checked against the map next
    missing = [r for r in ("deployments", "records") if r not in found]
    if missing:
        raise IntakeError([Problem("missing-file", f"no {' or '.join(missing)} table found (give --stations / "
                                   "--records, or `file:` in the column map)", file=str(source))], str(source))
    return found["deployments"], found["records"]


def _get(df: pd.DataFrame, cols: dict, fld: str) -> pd.Series | None:
    kind, what = cols.get(fld, (None, None))
    if kind == "column":
        return df[what]
    if kind == "value":
        return pd.Series(what, index=df.index, dtype="string")
    return None


def _label(cols: dict, fld: str) -> str:
    kind, what = cols.get(fld, (None, fld))
    return what if kind == "column" else fld


def _parse(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    return parse_local_times(text, formats)


def _local_times(df: pd.DataFrame, cols: dict, file: str, lines: pd.Series, problems: list[Problem],
                 date_fld: str, time_fld: str | None, dt_fld: str | None) -> tuple[pd.Series, pd.Series]:
    """Local clock times and a mask of rows whose time is unknown (date only; the time is then 00:00)."""
    local = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    unknown = pd.Series(False, index=df.index)
    dt_text = _get(df, cols, dt_fld) if dt_fld else None
    date_text = _get(df, cols, date_fld)
    time_text = _get(df, cols, time_fld) if time_fld else None
    if date_text is None and dt_text is not None:
        full = _parse(dt_text, tuple(f"{d} {t}" for d in DATE_FORMATS for t in TIME_FORMATS)
                      + tuple(f"{d}T{t}" for d in DATE_FORMATS[:1] for t in TIME_FORMATS))
        day = _parse(dt_text, DATE_FORMATS)
        local = full.fillna(day)
        unknown = full.isna() & day.notna()
        bad = local.isna()
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem("bad-datetime", "not a date and time", file=file, row=int(lines.iloc[i]),
                                    field=_label(cols, dt_fld), value=None if pd.isna(dt_text.iloc[i])
                                    else str(dt_text.iloc[i])))
        return local, unknown
    if date_text is None:
        problems.append(Problem("missing-column", "no date column (or date and time column)", file=file,
                                field=date_fld))
        return local, unknown
    day = _parse(date_text, DATE_FORMATS)
    for i in np.flatnonzero(day.isna().to_numpy()):
        problems.append(Problem("bad-date", "not a date (e.g. 2018-10-20 or 20/10/2018)", file=file,
                                row=int(lines.iloc[i]), field=_label(cols, date_fld),
                                value=None if pd.isna(date_text.iloc[i]) else str(date_text.iloc[i])))
    if time_text is None:
        return day, day.notna()
    t = pd.Series(time_text, dtype="string").str.strip()
    none = t.isna() | t.str.casefold().isin(NO_TIME)
    clock = _parse(t.where(~none), TIME_FORMATS)
    for i in np.flatnonzero((clock.isna() & ~none).to_numpy()):
        problems.append(Problem("bad-time", "not a time of day (e.g. 20:14:00); leave it empty or NA if unknown",
                                file=file, row=int(lines.iloc[i]), field=_label(cols, time_fld),
                                value=str(t.iloc[i])))
    since_midnight = (clock - clock.dt.normalize()).fillna(pd.Timedelta(0))
    return day + since_midnight, none & day.notna()


def zone_offsets(local: pd.Series, zones: pd.Series, file: str, lines: pd.Series, field: str,
                 problems: list[Problem], warnings: list[Problem]) -> pd.Series:
    """Minutes east of UTC of each row's clock at its own local time: IANA zones with their daylight saving on
    that date (via zoneinfo), or fixed offsets ('+10:00', '-03', 'UTC+8', minutes)."""
    out = pd.Series(np.nan, index=local.index)
    for zone, idx in zones.groupby(zones, sort=False).groups.items():
        when = local.loc[idx]
        try:
            tz = ZoneInfo(str(zone)) if "/" in str(zone) or str(zone).upper() == "UTC" else None
        except (ZoneInfoNotFoundError, ValueError):
            tz = None
        if tz is None:
            try:
                out.loc[idx] = parse_utc_offset(str(zone))
            except IntakeError:
                problems.append(Problem("bad-time-zone", f"not a time-zone name (e.g. America/Sao_Paulo) or a UTC "
                                        f"offset ({len(idx)} row(s))", file=file, row=int(lines.loc[idx[0]]),
                                        field=field, value=str(zone)))
            continue
        ok = when.notna()
        w = when[ok]
        strict = w.dt.tz_localize(str(zone), ambiguous="NaT", nonexistent="NaT")
        loose = w.dt.tz_localize(str(zone), ambiguous=np.ones(len(w), dtype=bool), nonexistent="shift_forward")
        for i in np.flatnonzero(strict.isna().to_numpy()):
            warnings.append(Problem("ambiguous-local-time", f"this local time does not exist or occurs twice in "
                                    f"{zone} (daylight saving change); read as {loose.iloc[i]}", file=file,
                                    row=int(lines.loc[w.index[i]]), field=field, value=str(w.iloc[i])))
        off = (loose.dt.tz_localize(None) - loose.dt.tz_convert("UTC").dt.tz_localize(None)).dt.total_seconds() // 60
        out.loc[w.index] = off.to_numpy()
    return out


def _row_ids(frame: pd.DataFrame, cols: list[str], prefix: str) -> pd.Series:
    """Stable IDs from a row's content (and its rank among identical rows), so re-reading a file adds nothing."""
    parts = [frame[c].astype("string").fillna("") for c in cols]
    text = parts[0].str.cat(parts[1:], sep="\x1f") if len(parts) > 1 else parts[0]  # row-wise agg is 200x slower
    rank = text.groupby(text).cumcount().astype(str)
    return pd.Series([prefix + hashlib.sha1(s.encode()).hexdigest()[:16] for s in (text + "\x1f" + rank)],
                     index=frame.index, dtype="string")


def read_plain_tables(source: str | Path, partner: str, columns: ColumnMap | None = None,
                      utc_offset: str | int | None = None, crs: str | None = None,
                      stations: str | Path | None = None, records: str | Path | None = None,
                      country: str | None = None,
                      label_map: pd.DataFrame | None = None) -> tuple[SurveyFrames, IntakeReport]:
    """Survey frames from a deployments table and a records table (a folder, or files given), with a report.

    All-or-nothing: every problem (file, row, field) is collected and the tables refused together. `utc_offset`
    and `crs` apply where the tables give none.
    """
    source = Path(source)
    deps_raw, recs_raw = _find_tables(source, columns, Path(stations) if stations else None,
                                      Path(records) if records else None)
    dfile, rfile = deps_raw.attrs["file"], recs_raw.attrs["file"]
    report = IntakeReport(source=str(source), format="table", partner=partner)
    dcols = resolve("deployments", list(deps_raw.columns), columns, dfile)
    rcols = resolve("records", list(recs_raw.columns), columns, rfile)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    dlines = pd.Series(deps_raw.attrs["lines"], index=deps_raw.index)
    rlines = pd.Series(recs_raw.attrs["lines"], index=recs_raw.index)
    deps_raw.attrs, recs_raw.attrs = {}, {}  # kept above; pandas would copy them into every derived frame

    # --- deployments -------------------------------------------------------------------------------------------
    dep = pd.DataFrame(index=deps_raw.index)
    dep["deploymentID"] = _get(deps_raw, dcols, "deploymentID")
    loc = _get(deps_raw, dcols, "locationID")
    dep["locationID"] = loc.fillna(dep["deploymentID"]) if loc is not None else dep["deploymentID"]
    for fld in ("locationName", "cameraID", "cameraModel", "country", "protectedArea"):
        value = _get(deps_raw, dcols, fld)
        if value is not None:
            dep[fld] = value
    for i in np.flatnonzero(dep["deploymentID"].isna().to_numpy()):
        problems.append(Problem("missing-value", "empty", file=dfile, row=int(dlines.iloc[i]),
                                field=_label(dcols, "deploymentID")))
    dup = dep["deploymentID"].duplicated(keep="first") & dep["deploymentID"].notna()
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append(Problem("duplicate-id", "this deployment ID is already used on an earlier row", file=dfile,
                                row=int(dlines.iloc[i]), field=_label(dcols, "deploymentID"),
                                value=str(dep["deploymentID"].iloc[i])))
    start, start_day = _local_times(deps_raw, dcols, dfile, dlines, problems, "start", None, None)
    end, end_day = _local_times(deps_raw, dcols, dfile, dlines, problems, "end", None, None)
    end = end.where(~end_day, end + DAY_END)  # a date-only end is the end of that day
    zone_col = _get(deps_raw, dcols, "timezone")
    zone_field = _label(dcols, "timezone")
    if zone_col is None:
        if utc_offset is None:
            raise IntakeError([Problem("missing-utc-offset", "the tables give no time zone: give --utc-offset "
                                       "(e.g. America/Sao_Paulo, +10:00) or a timezone column in the column map",
                                       file=dfile, field="timezone")], dfile)
        zone_col = pd.Series(str(utc_offset), index=deps_raw.index, dtype="string")
    dep_zone = zone_col.fillna(str(utc_offset) if utc_offset is not None else "")
    # A deployment keeps one clock offset: the one at its start (noon, so that a date-only start is no DST gap).
    dep["utcOffset"] = zone_offsets(start.dt.normalize() + pd.Timedelta(hours=12), dep_zone, dfile, dlines,
                                    zone_field, problems, warnings)
    bad_order = (end < start).fillna(False)
    for i in np.flatnonzero(bad_order.to_numpy()):
        problems.append(Problem("deployment-dates", "the deployment ends before it starts", file=dfile,
                                row=int(dlines.iloc[i]), field=_label(dcols, "end")))
    # Coordinates: latitude/longitude, x/y, or one "x y" column; in the CRS of the row, the map, or WGS84.
    if "latitude" in dcols and "longitude" in dcols:
        x, y, fields = _get(deps_raw, dcols, "longitude"), _get(deps_raw, dcols, "latitude"), ("longitude",
                                                                                             "latitude")
    elif "x" in dcols and "y" in dcols:
        x, y, fields = _get(deps_raw, dcols, "x"), _get(deps_raw, dcols, "y"), ("x", "y")
    elif "xy" in dcols:
        x, y = split_xy(_get(deps_raw, dcols, "xy"))
        fields = ("xy", "xy")
    else:
        raise IntakeError([Problem("missing-column", "no coordinates: name latitude/longitude, x/y or xy columns "
                                   "in the column map", file=dfile, field="latitude")], dfile)
    crs_col = _get(deps_raw, dcols, "crs")
    default_crs = crs or ("EPSG:4326" if fields[0] == "longitude" else None)
    crs_text = (crs_col.fillna(default_crs or "") if crs_col is not None
                else pd.Series(default_crs or "", index=deps_raw.index, dtype="string"))
    lon, lat, coord_problems = to_wgs84(x, y, crs_text, dfile, list(dlines),
                                        (_label(dcols, fields[0]), _label(dcols, fields[1]),
                                         _label(dcols, "crs") if crs_col is not None else "crs"))
    problems += coord_problems
    dep["longitude"], dep["latitude"] = lon, lat
    dep["deploymentStart"] = start - pd.to_timedelta(dep["utcOffset"].fillna(0), unit="min")
    dep["deploymentEnd"] = end - pd.to_timedelta(dep["utcOffset"].fillna(0), unit="min")
    dep["partner"] = partner
    if "country" in dep:
        code = country_codes(dep["country"])
        for i in np.flatnonzero((code.isna() & dep["country"].notna()).to_numpy()):
            problems.append(Problem("unknown-country", "not a country name or ISO code bigcats knows", file=dfile,
                                    row=int(dlines.iloc[i]), field=_label(dcols, "country"),
                                    value=str(dep["country"].iloc[i])))
        dep["country"] = code
    if country:
        dep["country"] = dep["country"].fillna(country) if "country" in dep else country

    # --- records -----------------------------------------------------------------------------------------------
    # Rows naming only a station (a left join of stations and records: a station with no detection) are not
    # records: left out, listed in the report.
    own = [c for f, (k, c) in rcols.items() if k == "column" and f not in ("deploymentID", "locationID")]
    blank = recs_raw[own].apply(lambda s: s.isna() | s.str.strip().str.casefold().isin(NO_TIME)).all(axis=1) \
        if own else pd.Series(False, index=recs_raw.index)
    if blank.any():
        report.warn(Problem("not-a-record", f"{int(blank.sum())} row(s) name a station but no species, date or "
                            "time: not records (a station without detections?); left out", file=rfile,
                            value=_ranges(rlines[blank].astype(int).tolist())))
        recs_raw, rlines = recs_raw[~blank], rlines[~blank]
    rec = pd.DataFrame(index=recs_raw.index)
    dep_key = dep.dropna(subset=["deploymentID"]).drop_duplicates("deploymentID").set_index("deploymentID")
    rdep = _get(recs_raw, rcols, "deploymentID")
    rloc = _get(recs_raw, rcols, "locationID")
    # One date-and-time column wins over separate ones unless the map names the date.
    use_dt = "datetime" in rcols and not (columns and "date" in columns.tables.get("records", {}))
    local, unknown = _local_times(recs_raw, {k: v for k, v in rcols.items() if not (use_dt and k == "date")},
                                  rfile, rlines, problems, "date", "time" if "time" in rcols else None,
                                  "datetime" if "datetime" in rcols else None)
    if rdep is None and rloc is not None:
        # Records by station only: the deployment at that station whose window holds the record's day.
        cand = pd.DataFrame({"_row": recs_raw.index, "locationID": rloc, "day": local.dt.normalize()}).merge(
            dep.reset_index(drop=True)[["deploymentID", "locationID", "deploymentStart", "deploymentEnd",
                                        "utcOffset"]], on="locationID", how="left")
        start_local = cand["deploymentStart"] + pd.to_timedelta(cand["utcOffset"].fillna(0), unit="min")
        end_local = cand["deploymentEnd"] + pd.to_timedelta(cand["utcOffset"].fillna(0), unit="min")
        cand["_in"] = (cand["day"] >= start_local.dt.normalize()) & (cand["day"] <= end_local)
        best = cand.sort_values(["_row", "_in"], ascending=[True, False]).drop_duplicates("_row").set_index("_row")
        rdep = best["deploymentID"].reindex(recs_raw.index).astype("string")
        dep_field = _label(rcols, "locationID")
    elif rdep is None:
        raise IntakeError([Problem("missing-column", "the records table has no deployment or station column; name "
                                   "deploymentID or locationID in the column map (section records)", file=rfile,
                                   field="deploymentID")], rfile)
    else:
        dep_field = _label(rcols, "deploymentID")
    known = rdep.isin(dep_key.index)
    for i in np.flatnonzero((~known).to_numpy()):
        problems.append(Problem("unknown-deployment", f"no such deployment in {Path(dfile).name}", file=rfile,
                                row=int(rlines.iloc[i]), field=dep_field,
                                value=None if pd.isna(rdep.iloc[i]) else str(rdep.iloc[i])))
    rec["deploymentID"] = rdep
    rec["locationID"] = rdep.map(dep_key["locationID"])
    names = _get(recs_raw, rcols, "scientificName").str.replace(r"\s+", " ", regex=True).str.strip()
    for i in np.flatnonzero(names.isna().to_numpy()):
        problems.append(Problem("missing-value", "no species name", file=rfile, row=int(rlines.iloc[i]),
                                field=_label(rcols, "scientificName")))
    # Scientific names come in as they are (new taxa are added, with a note); other labels ('PBE', 'onça',
    # 'leopard cat') go through the label maps, and one that matches nothing is refused with suggestions.
    looks_scientific = names.str.fullmatch(r"[A-Z][a-z-]+( [a-z-]+\.?){0,2}").fillna(False)  # incl. "Mazama sp."
    labels = names[~looks_scientific & names.notna()]
    if len(labels):
        res = resolve_labels(labels.unique(), partner=partner, user_map=label_map)
        names = names.where(looks_scientific, names.map(res.as_dict()))
        missing = labels[~labels.isin(res.as_dict())]
        first = {lab: int(rlines.loc[missing.index[missing.eq(lab)][0]]) for lab in missing.unique()}
        for p in res.problems(file=rfile, field=_label(rcols, "scientificName")):
            problems.append(replace(p, row=first.get(p.value)))
    rec["scientificName"] = names
    rec["observationType"] = "animal"
    for fld in ("individualID", "sex", "lifeStage"):
        value = _get(recs_raw, rcols, fld)
        if value is not None:
            rec[fld] = value
    if "comments" in rcols:
        rec["observationComments"] = _get(recs_raw, rcols, "comments")
    count = _get(recs_raw, rcols, "count")
    if count is not None:
        n = pd.to_numeric(count, errors="coerce")
        for i in np.flatnonzero(((n.isna() & count.notna()) | (n < 1) | (n % 1 != 0)).fillna(False).to_numpy()):
            problems.append(Problem("bad-count", "not a whole number of animals >= 1", file=rfile,
                                    row=int(rlines.iloc[i]), field=_label(rcols, "count"), value=str(count.iloc[i])))
        rec["count"] = n
    rzone = _get(recs_raw, rcols, "timezone")
    zones = rzone.fillna(rdep.map(dep_zone.set_axis(dep["deploymentID"]).groupby(level=0).first())) \
        if rzone is not None else rdep.map(dep_zone.set_axis(dep["deploymentID"]).groupby(level=0).first())
    # Each record's offset on its own date (and hour): daylight saving comes and goes within a survey.
    when = local.where(~unknown, local + pd.Timedelta(hours=12))
    rec["utcOffset"] = zone_offsets(when, zones.fillna(""), rfile, rlines, _label(rcols, "timezone"), problems,
                                    warnings)
    rec["timestamp"] = (local - pd.to_timedelta(rec["utcOffset"].fillna(0), unit="min")).dt.tz_localize("UTC")
    rec["timeUnknown"] = unknown.astype(bool)
    given_id = _get(recs_raw, rcols, "observationID")
    # Without the partner's own IDs: from what the record says (not how the file spells it), so the same data as
    # CSV, TSV or XLSX gets the same IDs and a re-import adds nothing.
    key = pd.DataFrame({"d": rdep, "s": names, "t": local.dt.strftime("%Y-%m-%dT%H:%M:%S"),
                        "u": unknown.astype(str), **{f: _get(recs_raw, rcols, f) for f in
                                                     ("count", "individualID", "sex", "lifeStage") if f in rcols}})
    rec["observationID"] = given_id if given_id is not None else _row_ids(key, list(key.columns), "r")
    if problems:
        raise IntakeError(problems, f"{dfile} + {rfile}")

    # --- flags and report --------------------------------------------------------------------------------------
    dep_frame = dep.assign(deploymentStart=dep["deploymentStart"].dt.tz_localize("UTC"),
                           deploymentEnd=dep["deploymentEnd"].dt.tz_localize("UTC"))
    rec["_file"], rec["_row"] = rfile, rlines
    timed = rec[~rec["timeUnknown"]]
    flag_timestamps(timed, dep_frame, report, file_col="_file", row_col="_row")
    # A date-only record is outside only if its whole day is.
    day = rec[rec["timeUnknown"]]
    win = day[["deploymentID"]].join(dep_frame.set_index("deploymentID")[["deploymentStart", "deploymentEnd"]],
                                     on="deploymentID")
    out_day = ((day["timestamp"] + DAY_END < win["deploymentStart"]) | (day["timestamp"] > win["deploymentEnd"]))
    for i in np.flatnonzero(out_day.to_numpy()):
        report.warn(Problem("timestamp-outside-deployment", "record date is outside its deployment; kept and "
                            "flagged", file=rfile, row=int(day["_row"].iloc[i]), field=_label(rcols, "date"),
                            value=str((day["timestamp"].iloc[i] + pd.Timedelta(minutes=int(
                                day["utcOffset"].iloc[i]))).date())))
    for w in warnings:
        report.warn(w)
    n_unknown = int(rec["timeUnknown"].sum())
    if n_unknown:
        rows = rec.loc[rec["timeUnknown"], "_row"].astype(int).tolist()
        report.warn(Problem("time-unknown", f"{n_unknown} record(s) have a date but no time: kept and flagged "
                            f"(nothing invented); counted in {', '.join(DATE_SUFFICES)}; left out of "
                            f"{', '.join(NEEDS_TIME)}", file=rfile, field=_label(rcols, "time"),
                            value=_ranges(rows)))
    report.counts["records_time_unknown"] = n_unknown
    report.time_unknown = {"count": n_unknown, "file": rfile,
                           "rows": rec.loc[rec["timeUnknown"], "_row"].astype(int).tolist(),
                           "counted_in": list(DATE_SUFFICES), "left_out_of": list(NEEDS_TIME)}
    from bigcats.taxonomy import species_table

    shipped = set(species_table()["scientificName"])
    new_taxa = sorted(set(rec["scientificName"].dropna()) - shipped)
    if new_taxa:
        report.warn(Problem("new-taxa", f"{len(new_taxa)} species are not in the shipped list and will be added "
                            "to the species table with their scientific name only (`bigcats species add` gives "
                            "them names and sensitivity)", file=rfile, field=_label(rcols, "scientificName"),
                            value=", ".join(new_taxa)))
    report.new_taxa = new_taxa
    frames = SurveyFrames.build(deployments=dep_frame.reset_index(drop=True),
                                observations=rec.drop(columns=["_file", "_row"]).reset_index(drop=True))
    frames.observations["timeUnknown"] = rec["timeUnknown"].to_numpy()
    frames.provenance = {
        "deployments": pd.DataFrame({"file": dfile, "row": dlines.to_numpy(),
                                     "id": dep["deploymentID"].to_numpy()}),
        "observations": pd.DataFrame({"file": rfile, "row": rlines.to_numpy(),
                                      "id": rec["observationID"].to_numpy()}),
    }
    report.finish(**frames.counts(), records_time_unknown=n_unknown)
    return frames, report


def _ranges(rows: list[int]) -> str:
    """Row numbers as compact ranges: '350-352, 4401'."""
    if not rows:
        return ""
    parts, first, prev = [], rows[0], rows[0]
    for r in rows[1:] + [None]:
        if r is not None and r == prev + 1:
            prev = r
            continue
        parts.append(str(first) if first == prev else f"{first}-{prev}")
        if r is not None:
            first = prev = r
    return "rows " + ", ".join(parts)


__all__ = ["read_plain_tables", "sniff", "table_files", "zone_offsets"]
