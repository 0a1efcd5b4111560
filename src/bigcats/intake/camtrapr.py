"""camtrapR tables: the camera/station table (set-up, retrieval, problem periods, UTM), record and time-shift tables."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from bigcats.intake.frames import SurveyFrames
from bigcats.intake.report import IntakeError, IntakeReport
from bigcats.intake.stations import match_deployments
from bigcats.intake.timezones import (
    apply_time_shifts,
    deployments_with_issues,
    flag_timestamps,
    localize,
    parse_local_times,
)
from bigcats.problems import Problem
from bigcats.taxonomy import observation_type, resolve_labels

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y")
DATETIME_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
                    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y:%m:%d %H:%M:%S")
_PROBLEM_RE = re.compile(r"^Problem(\d+)_from$", re.IGNORECASE)
COLUMN_ALIASES = {
    "station": ("Station", "station", "Станция", "станция", "站点", "位点", "locationID"),
    "species": ("Species", "species", "Вид", "вид", "物种", "scientificName"),
    "datetime": ("DateTimeOriginal", "datetime", "Дата и время", "Дата/время", "拍摄时间", "时间",
                 "timestamp"),
    "individual": ("Individual", "individual", "Особь", "особь", "个体", "individualID"),
    "camera": ("Camera", "camera", "Камера", "相机", "cameraID"),
    "x": ("utm_x", "x", "X", "easting", "Easting"),
    "y": ("utm_y", "y", "Y", "northing", "Northing"),
    "lon": ("longitude", "lon", "Longitude", "Долгота", "经度"),
    "lat": ("latitude", "lat", "Latitude", "Широта", "纬度"),
    "setup": ("Setup_date", "setup_date", "Дата установки", "安装日期"),
    "retrieval": ("Retrieval_date", "retrieval_date", "Дата снятия", "回收日期"),
}


def find_column(df: pd.DataFrame, role: str, given: str | None = None, required: bool = True,
                file: str | None = None) -> str | None:
    """The column playing a role (station, species...): the one named, else the first known alias present."""
    if given is not None:
        if given not in df.columns:
            raise IntakeError([Problem("missing-column", f"column {given!r} not found; columns are "
                                       f"{list(df.columns)}", file=file, field=given)], file or "table")
        return given
    for name in COLUMN_ALIASES[role]:
        if name in df.columns:
            return name
    if required:
        raise IntakeError([Problem("missing-column", f"no {role} column (tried {', '.join(COLUMN_ALIASES[role])})",
                                   file=file, field=role)], file or "table")
    return None


def parse_crs(crs: str | int | None = None, utm_zone: str | None = None) -> CRS:
    """The coordinates' CRS from an EPSG code ('EPSG:32652', 32652) or a UTM zone ('52N', '47 N', '50S')."""
    try:
        if utm_zone is not None:
            m = re.fullmatch(r"\s*(\d{1,2})\s*([NnSs]?)\s*", str(utm_zone))
            if not m or not 1 <= int(m.group(1)) <= 60:
                raise CRSError(f"bad UTM zone {utm_zone!r}")
            south = m.group(2).upper() == "S"
            return CRS.from_epsg((32700 if south else 32600) + int(m.group(1)))
        return CRS.from_user_input(int(crs) if str(crs).isdigit() else crs)
    except CRSError as exc:
        raise IntakeError([Problem("bad-crs", f"not a coordinate reference system: {exc}", field="crs",
                                   value=str(utm_zone or crs))], "coordinates") from None


def _dates(text: pd.Series, formats=None) -> tuple[pd.Series, pd.Series]:
    """Parsed local times and whether each value was a bare date (no time of day)."""
    text = pd.Series(text, dtype="string").str.strip()
    with_time = parse_local_times(text, DATETIME_FORMATS if formats is None else formats)
    date_only = parse_local_times(text, DATE_FORMATS if formats is None else formats)
    is_date = with_time.isna() & date_only.notna()
    return with_time.fillna(date_only), is_date


def read_camtrapr_stations(table: pd.DataFrame, partner: str, utc_offset: int, crs: str | int | None = None,
                           utm_zone: str | None = None, station_col: str | None = None,
                           camera_col: str | None = None, session_col: str | None = "session",
                           date_formats: tuple[str, ...] | None = None, country: str | None = None,
                           protected_area: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deployments and outages from a camtrapR camera-trap table; all-or-nothing, every bad row listed.

    A bare set-up or retrieval date counts from/to noon local time, and a problem period covers its first to its
    last day inclusive: camtrapR's convention (set-up and retrieval days are half days), as plain intervals.
    """
    file = table.attrs.get("file", "camera table")
    lines = pd.Series(table.attrs.get("lines", range(2, len(table) + 2)), index=table.index)
    problems: list[Problem] = []
    st_col = find_column(table, "station", station_col, file=file)
    cam_col = find_column(table, "camera", camera_col, required=False, file=file)
    setup_col = find_column(table, "setup", file=file)
    retr_col = find_column(table, "retrieval", file=file)
    sess = session_col if session_col in table.columns else None

    lon_col, lat_col = find_column(table, "lon", required=False), find_column(table, "lat", required=False)
    if lon_col and lat_col and crs is None and utm_zone is None:
        lon = pd.to_numeric(table[lon_col], errors="coerce")
        lat = pd.to_numeric(table[lat_col], errors="coerce")
        bad_xy = lon.isna() | lat.isna() | ~lon.between(-180, 180) | ~lat.between(-90, 90)
        xy_cols = (lon_col, lat_col)
    else:
        x_col, y_col = find_column(table, "x", file=file), find_column(table, "y", file=file)
        if crs is None and utm_zone is None:
            raise IntakeError([Problem("missing-crs", f"coordinates {x_col}/{y_col} are projected: give the UTM zone "
                                       "(e.g. --utm-zone 52N) or the EPSG code (--crs EPSG:32652)", file=file,
                                       field=x_col)], file)
        x = pd.to_numeric(table[x_col], errors="coerce")
        y = pd.to_numeric(table[y_col], errors="coerce")
        to_wgs = Transformer.from_crs(parse_crs(crs, utm_zone), 4326, always_xy=True)
        lon_v, lat_v = to_wgs.transform(x.to_numpy(dtype=float), y.to_numpy(dtype=float))
        lon, lat = pd.Series(lon_v, index=table.index), pd.Series(lat_v, index=table.index)
        bad_xy = x.isna() | y.isna() | ~np.isfinite(lon) | ~np.isfinite(lat)
        xy_cols = (x_col, y_col)
    for i in table.index[bad_xy]:
        problems.append(Problem("bad-coordinates", "missing or invalid coordinates", file=file, row=int(lines[i]),
                                field=xy_cols[0], value=f"{table.at[i, xy_cols[0]]}, {table.at[i, xy_cols[1]]}"))

    start, start_is_date = _dates(table[setup_col], date_formats)
    end, end_is_date = _dates(table[retr_col], date_formats)
    start = start + pd.to_timedelta(np.where(start_is_date, 12, 0), unit="h")
    end = end + pd.to_timedelta(np.where(end_is_date, 12, 0), unit="h")
    for col, values in ((setup_col, start), (retr_col, end)):
        for i in table.index[values.isna()]:
            problems.append(Problem("bad-date", f"not a date ({' or '.join(DATE_FORMATS)})", file=file,
                                    row=int(lines[i]), field=col, value=str(table.at[i, col])))
    backwards = start.notna() & end.notna() & (end <= start)
    for i in table.index[backwards]:
        problems.append(Problem("deployment-ends-before-start", "retrieval is not after set-up", file=file,
                                row=int(lines[i]), field=retr_col,
                                value=f"{table.at[i, setup_col]} → {table.at[i, retr_col]}"))

    station = table[st_col].astype("string")
    for i in table.index[station.isna()]:
        problems.append(Problem("missing-station", "station name is empty", file=file, row=int(lines[i]),
                                field=st_col))
    dep_id = station.copy()
    if cam_col:
        dep_id = dep_id + table[cam_col].fillna("").astype("string").radd("_").where(table[cam_col].notna(), "")
    if sess:
        dep_id = dep_id + "_" + table[sess].astype("string").str.replace(r"\.0$", "", regex=True)
    dups = dep_id.duplicated(keep=False) & dep_id.notna()
    for i in table.index[dups]:
        problems.append(Problem("duplicate-deployment", "station (camera, session) appears twice", file=file,
                                row=int(lines[i]), field=st_col, value=str(dep_id[i])))

    deployments = pd.DataFrame({
        "deploymentID": dep_id, "locationID": station, "locationName": station, "latitude": lat, "longitude": lon,
        "deploymentStart": localize(start, utc_offset), "deploymentEnd": localize(end, utc_offset),
        "cameraID": table[cam_col] if cam_col else pd.NA, "utcOffset": utc_offset, "country": country,
        "protectedArea": protected_area, "partner": partner,
    })

    outages = []
    for col in table.columns:
        m = _PROBLEM_RE.match(col)
        if not m:
            continue
        to_col = next((c for c in table.columns if c.lower() == f"problem{m.group(1)}_to"), None)
        if to_col is None:
            problems.append(Problem("missing-column", f"{col} has no matching Problem{m.group(1)}_to column",
                                    file=file, field=col))
            continue
        given = table[col].notna() | table[to_col].notna()
        p_from, from_is_date = _dates(table[col], date_formats)
        p_to, to_is_date = _dates(table[to_col], date_formats)
        p_to = p_to + pd.to_timedelta(np.where(to_is_date, 1, 0), unit="D")  # through the end of the last day
        for c, values in ((col, p_from), (to_col, p_to)):
            for i in table.index[given & values.isna()]:
                problems.append(Problem("bad-date", "problem period date missing or unreadable", file=file,
                                        row=int(lines[i]), field=c, value=str(table.at[i, c])))
        ok = given & p_from.notna() & p_to.notna()
        for i in table.index[ok & (p_to <= p_from)]:
            problems.append(Problem("outage-ends-before-start", "problem period ends before it starts", file=file,
                                    row=int(lines[i]), field=to_col))
        o = pd.DataFrame({"deploymentID": dep_id[ok], "start": localize(p_from[ok], utc_offset),
                          "end": localize(p_to[ok], utc_offset), "reason": f"camtrapR {col[:-5]}"})
        outages.append(o)
    if problems:
        raise IntakeError(problems, file)
    outages = pd.concat(outages, ignore_index=True) if outages else pd.DataFrame(columns=["deploymentID", "start",
                                                                                         "end", "reason"])
    # A problem period running past retrieval only means "until the camera was collected".
    win = deployments.set_index("deploymentID")
    outages["start"] = np.maximum(outages["start"], outages["deploymentID"].map(win["deploymentStart"]))
    outages["end"] = np.minimum(outages["end"], outages["deploymentID"].map(win["deploymentEnd"]))
    outages = outages[outages["end"] > outages["start"]]
    return deployments.reset_index(drop=True), outages.reset_index(drop=True)


def read_camtrapr_records(records: pd.DataFrame, deployments: pd.DataFrame, partner: str,
                          time_shifts: pd.DataFrame | None = None, user_map: pd.DataFrame | None = None,
                          report: IntakeReport | None = None, station_col: str | None = None,
                          species_col: str | None = None, datetime_col: str | None = None,
                          individual_col: str | None = None, camera_col: str | None = None,
                          datetime_formats: tuple[str, ...] | None = None) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                                    pd.DataFrame]:
    """Observations, media and individuals from a camtrapR record table; all-or-nothing, every bad row listed."""
    file = records.attrs.get("file", "record table")
    report = report or IntakeReport(source=file, format="camtrapr", partner=partner)
    lines = pd.Series(records.attrs.get("lines", range(2, len(records) + 2)), index=records.index)
    st_col = find_column(records, "station", station_col, file=file)
    sp_col = find_column(records, "species", species_col, file=file)
    dt_col = find_column(records, "datetime", datetime_col, file=file)
    ind_col = find_column(records, "individual", individual_col, required=False, file=file)
    cam_col = find_column(records, "camera", camera_col, required=False, file=file)
    problems: list[Problem] = []
    df = pd.DataFrame({"locationID": records[st_col].astype("string"), "label": records[sp_col],
                       "local": parse_local_times(records[dt_col], datetime_formats),
                       "cameraID": records[cam_col] if cam_col else pd.NA, "line": lines})
    for i in df.index[df["local"].isna()]:
        problems.append(Problem("bad-timestamp", "missing or unreadable date/time", file=file, row=int(lines[i]),
                                field=dt_col, value=None if pd.isna(records.at[i, dt_col]) else
                                str(records.at[i, dt_col])))
    unknown = ~df["locationID"].isin(deployments["locationID"])
    for i in df.index[unknown]:
        problems.append(Problem("unknown-station", "station is not in the camera table", file=file,
                                row=int(lines[i]), field=st_col, value=str(df.at[i, "locationID"])))
    for i in df.index[df["label"].isna()]:
        problems.append(Problem("missing-species", "species is empty", file=file, row=int(lines[i]), field=sp_col))
    res = resolve_labels(df["label"], partner=partner, user_map=user_map)
    problems += res.problems(file=file, field=sp_col)
    if problems:
        raise IntakeError(problems, file)
    if time_shifts is not None and len(time_shifts):
        df = apply_time_shifts(df, time_shifts, report, file=time_shifts.attrs.get("file", "time-shift table"))
    matched = match_deployments(df, deployments)
    df["deploymentID"] = matched["deploymentID"]
    df["utcOffset"] = matched["utcOffset"]
    df["timestamp"] = localize(df["local"], df["utcOffset"])
    flag_timestamps(df.assign(file=file), deployments, report, file_col="file", row_col="line")
    typed = observation_type(df["label"].map(res.as_dict()))
    obs = pd.DataFrame({
        "observationID": f"{partner}:" + df["deploymentID"] + ":" + lines.astype(str),
        "deploymentID": df["deploymentID"], "locationID": df["locationID"], "timestamp": df["timestamp"],
        "utcOffset": df["utcOffset"], "scientificName": typed["scientificName"].to_numpy(),
        "observationType": typed["observationType"].to_numpy(),
        "individualID": records[ind_col] if ind_col else pd.NA, "classificationMethod": "human",
        "observationTags": "label:" + df["label"].astype(str),
        "observationComments": df.get("timestampCorrection", pd.Series(pd.NA, index=df.index))
        .map(lambda s: None if pd.isna(s) else f"clock corrected by {s}"),
    })
    media = pd.DataFrame(columns=["mediaID"])
    if "FileName" in records.columns:
        path = records["Directory"].fillna("") + "/" + records["FileName"] if "Directory" in records else \
            records["FileName"]
        media = pd.DataFrame({"mediaID": obs["observationID"], "deploymentID": obs["deploymentID"],
                              "captureMethod": "activityDetection", "timestamp": obs["timestamp"],
                              "filePath": path, "fileName": records["FileName"], "fileMediatype": "image/jpeg"})
        obs["mediaID"] = media["mediaID"]
    with_ind = obs[obs["individualID"].notna() & obs["scientificName"].notna()]
    individuals = (with_ind[["individualID", "scientificName"]].drop_duplicates()
                   .assign(partner=partner, partnerCode=lambda d: d["individualID"]))
    return obs, media, individuals


def read_camtrapr(stations: pd.DataFrame, partner: str, utc_offset: int, records: pd.DataFrame | None = None,
                  time_shifts: pd.DataFrame | None = None, user_map: pd.DataFrame | None = None,
                  **station_options) -> tuple[SurveyFrames, IntakeReport]:
    """Survey frames from camtrapR tables: camera table, optional record and time-shift tables."""
    report = IntakeReport(source=stations.attrs.get("file", "camera table"), format="camtrapr", partner=partner)
    deployments, outages = read_camtrapr_stations(stations, partner, utc_offset, **station_options)
    obs = media = individuals = None
    if records is not None:
        obs, media, individuals = read_camtrapr_records(records, deployments, partner, time_shifts, user_map, report)
        deployments["timestampIssues"] = deployments_with_issues(obs, deployments)
    frames = SurveyFrames.build(deployments=deployments, outages=outages, media=media, observations=obs,
                                individuals=individuals)
    report.finish(**frames.counts())
    return frames, report
