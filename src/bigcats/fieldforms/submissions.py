"""Checked values out of form submissions, and what they mean: deployments and outages from station visits,
census routes, surveys and crossings from track-census routes, incidental records from sign records.

Every problem names the submission (its instance id) and the field; `check` collects them all before anything
is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from bigcats.fieldforms.definitions import (
    INCIDENTAL_SIGN,
    STATION_VISIT,
    THREAT_KINDS,
    TRACK_CENSUS,
    all_forms,
    scientific_name,
)
from bigcats.fieldforms.exports import Submission
from bigcats.problems import Problem

FORMS = {f.form_id: f for f in all_forms()}


@lru_cache(maxsize=None)
def _types(form_id: str) -> dict[str, str]:
    return {r["name"]: r["type"] for r in FORMS[form_id].survey}


@lru_cache(maxsize=None)
def _choices(form_id: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for c in FORMS[form_id].choices:
        out.setdefault(c["list_name"], set()).add(c["name"])
    return out


def parse_datetime(text: str) -> tuple[pd.Timestamp, int] | None:
    """An ODK dateTime ('2026-01-05T10:12:00.000+10:00') as UTC and its offset in minutes; None if unreadable."""
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError):
        return None
    if ts is pd.NaT or ts.tzinfo is None:
        return None
    return ts.tz_convert("UTC"), int(ts.utcoffset().total_seconds() // 60)


def parse_geopoint(text: str) -> tuple[float, float] | None:
    """'lat lon alt acc' as (lat, lon), None if not a position on Earth."""
    parts = text.split()
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not np.isfinite([lat, lon]).all():
        return None
    return lat, lon


@dataclass
class Checked:
    """A submission's fields as typed values, plus its repeats' typed rows."""

    sub: Submission
    values: dict
    repeats: dict[str, list[dict]] = field(default_factory=dict)


def _check_values(sub: Submission, row: dict[str, str], form_id: str, problems: list[Problem],
                  where: str) -> dict:
    types, choices = _types(form_id), _choices(form_id)
    out: dict = {}
    for name, raw in row.items():
        kind = types.get(name)
        if kind is None or raw in ("", None):
            continue
        base = kind.split()[0]

        def bad(message: str) -> None:
            problems.append(Problem("bad-value", f"submission {sub.instance_id}: {message}", file=where,
                                    field=name, value=str(raw)))
        if base == "dateTime":
            v = parse_datetime(raw)
            bad("not a date and time with its UTC offset") if v is None else out.__setitem__(name, v)
        elif base == "date":
            try:
                out[name] = pd.Timestamp(raw[:10]).normalize()
            except ValueError:
                bad("not a date")
        elif base in ("integer", "decimal"):
            try:
                v = float(raw)
            except ValueError:
                bad(f"not a number ({base})")
                continue
            if not np.isfinite(v):
                bad(f"not a finite number ({base})")
                continue
            if base == "integer" and v != int(v):
                bad("not a whole number")
            elif name in ("battery_percent",) and not 0 <= v <= 100:
                bad("not a percentage from 0 to 100")
            elif name == "camera_heading" and not 0 <= v < 360:
                bad("not a heading from 0 to 359 degrees")
            elif name in ("crossing_count", "sign_count") and v < 1:
                bad("must be at least 1")
            elif name in ("days_since_snow", "pad_width_cm", "snow_age_days", "camera_height_cm") and v <= 0:
                bad("must be more than 0")
            elif name == "photos_on_card" and v < 0:
                bad("cannot be negative")
            else:
                out[name] = v
        elif base == "select_one":
            allowed = choices.get(kind.split()[1], set())
            bad(f"not one of the form's choices for {kind.split()[1]}") if raw not in allowed else \
                out.__setitem__(name, raw)
        elif base == "geopoint":
            v = parse_geopoint(raw)
            bad("not a GPS position (lat lon alt accuracy)") if v is None else out.__setitem__(name, v)
        elif base == "geotrace":
            pts = [parse_geopoint(p) for p in raw.split(";") if p.strip()]
            if len(pts) < 2 or any(p is None for p in pts):
                bad("not a GPS track of at least two positions")
            else:
                out[name] = pts
        else:
            out[name] = raw
    return out


def _required(sub: Submission, values: dict, names, problems: list[Problem], where: str) -> None:
    for name in names:
        if name not in values:
            problems.append(Problem("missing-value", f"submission {sub.instance_id}: required answer is missing "
                                    "or unreadable", file=where, field=name))


def check(subs: list[Submission]) -> tuple[list[Checked], list[Problem]]:
    """Typed submissions and every problem, each named by submission id and field."""
    checked, problems = [], []
    seen: dict[str, str] = {}
    for sub in subs:
        where = sub.where
        if sub.form_id not in FORMS:
            problems.append(Problem("unknown-form", f"submission {sub.instance_id}: not a bigcats form "
                                    f"({sub.form_id or 'unrecognised fields'})", file=where, field="form_id"))
            continue
        if sub.instance_id in seen and seen[sub.instance_id] != where:
            problems.append(Problem("duplicate-submission", f"submission {sub.instance_id} appears twice",
                                    file=where, field="instanceID"))
            continue
        seen[sub.instance_id] = where
        n_before = len(problems)
        values = _check_values(sub, sub.fields, sub.form_id, problems, where)
        c = Checked(sub, values)
        if sub.form_id == STATION_VISIT:
            _required(sub, values, ("station", "camera_id", "visit_type", "visit_time"), problems, where)
            if values.get("visit_type") == "setup":
                _required(sub, values, ("location",), problems, where)
            if values.get("camera_working") == "no":
                _required(sub, values, ("failure_start",), problems, where)
                start, end = values.get("failure_start"), values.get("failure_end") or values.get("visit_time")
                if start and end and start[0] > end[0]:
                    problems.append(Problem("bad-period", f"submission {sub.instance_id}: the camera cannot have "
                                            "failed after the visit or after it worked again", file=where,
                                            field="failure_start", value=str(sub.fields.get("failure_start"))))
        elif sub.form_id == TRACK_CENSUS:
            _required(sub, values, ("route_id", "unit", "country", "survey_date", "days_since_snow", "track"),
                      problems, where)
            for i, row in enumerate(sub.repeats.get("crossing", []), start=1):
                rwhere = f"{where}, crossing {i}"
                rv = _check_values(sub, row, TRACK_CENSUS, problems, rwhere)
                _required(sub, rv, ("crossing_species", "crossing_count"), problems, rwhere)
                c.repeats.setdefault("crossing", []).append(rv)
        elif sub.form_id == INCIDENTAL_SIGN:
            _required(sub, values, ("sign_time", "sign_location", "sign_kind"), problems, where)
            if values.get("sign_kind") not in THREAT_KINDS | {"other", None}:
                _required(sub, values, ("sign_species",), problems, where)
        if len(problems) == n_before:
            checked.append(c)
    return checked, problems


def station_frames(visits: list[Checked], partner: str, country: str | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """Deployments (set-up to retrieval of one camera at one station) and outages (reported failures).

    A set-up without a retrieval yet is an open deployment: listed, not written, until its retrieval arrives.
    """
    deps, outages, open_ = [], [], []
    by_camera: dict[tuple[str, str], list[Checked]] = {}
    for v in visits:
        by_camera.setdefault((v.values["station"], v.values["camera_id"]), []).append(v)
    for (station, camera), vs in sorted(by_camera.items()):
        vs.sort(key=lambda v: v.values["visit_time"][0])
        current = None
        windows = []
        for v in vs:
            kind = v.values["visit_type"]
            if kind == "setup":
                if current is not None:
                    open_.append({"station": station, "camera": camera, "setup": str(current.values["visit_time"][0]),
                                  "note": "set up again before a retrieval was recorded"})
                current = v
            elif kind == "retrieval" and current is not None:
                windows.append((current, v))
                current = None
        if current is not None:
            open_.append({"station": station, "camera": camera, "setup": str(current.values["visit_time"][0]),
                          "instance_id": current.sub.instance_id})
        for setup, retrieval in windows:
            start, offset = setup.values["visit_time"]
            end = retrieval.values["visit_time"][0]
            lat, lon = setup.values["location"]
            dep_id = f"{station}_{camera}_{(start + pd.Timedelta(minutes=offset)):%Y%m%d}"
            deps.append({"deploymentID": dep_id, "locationID": station, "locationName": station,
                         "latitude": lat, "longitude": lon, "deploymentStart": start, "deploymentEnd": end,
                         "cameraID": camera, "utcOffset": offset, "country": country, "partner": partner})
            for v in vs:
                t = v.values["visit_time"][0]
                if v.values.get("camera_working") == "no" and start <= t <= end:
                    f_start = max(v.values["failure_start"][0], start)
                    f_end = (v.values.get("failure_end") or v.values["visit_time"])[0]
                    if f_end > f_start:
                        outages.append({"deploymentID": dep_id, "start": f_start, "end": min(f_end, end),
                                        "reason": f"{v.values.get('failure_cause', 'other')} (form "
                                                  f"{v.sub.instance_id})"})
    return pd.DataFrame(deps), pd.DataFrame(outages), open_


def census_frames(routes: list[Checked]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Route lines (route_id, unit, country, wkt lon/lat), surveys and crossings in the census module's columns."""
    lines, surveys, crossings = {}, [], []
    for r in sorted(routes, key=lambda r: (r.values["route_id"], r.values["survey_date"])):
        v = r.values
        rid = v["route_id"]
        if rid not in lines:
            lines[rid] = {"route_id": rid, "unit": v["unit"], "country": v["country"],
                          "coords": [(lon, lat) for lat, lon in v["track"]]}
        surveys.append({"route_id": rid, "date": v["survey_date"], "days_since_snow": v["days_since_snow"],
                        "instance_id": r.sub.instance_id})
        for c in r.repeats.get("crossing", []):
            lat, lon = c.get("crossing_point", (np.nan, np.nan))
            crossings.append({"route_id": rid, "date": v["survey_date"],
                              "species": scientific_name(c["crossing_species"]), "count": int(c["crossing_count"]),
                              "track_age_days": c.get("snow_age_days", np.nan),
                              "pad_width_cm": c.get("pad_width_cm", np.nan), "direction": c.get("direction"),
                              "longitude": lon, "latitude": lat})
    return (pd.DataFrame(list(lines.values())), pd.DataFrame(surveys),
            pd.DataFrame(crossings, columns=["route_id", "date", "species", "count", "track_age_days",
                                             "pad_width_cm", "direction", "longitude", "latitude"]))


def incidental_rows(signs: list[Checked]) -> list[dict]:
    """Incidental records (one per sign submission) in the incidental_record table's terms."""
    out = []
    for s in signs:
        v = s.values
        ts, off = v["sign_time"]
        lat, lon = v["sign_location"]
        out.append({"source_id": s.sub.instance_id, "timestamp_utc": ts.tz_localize(None).to_pydatetime(),
                    "utc_offset": off, "latitude": lat, "longitude": lon,
                    "scientific_name": scientific_name(v["sign_species"]) if "sign_species" in v else None,
                    "kind": v["sign_kind"], "threat": v["sign_kind"] in THREAT_KINDS,
                    "count": int(v.get("sign_count", 1)), "category": f"form:{v['sign_kind']}",
                    "attributes": {"notes": v.get("notes"), "attachments": s.sub.attachments}})
    return out
