"""One entry point for every partner source: detect the format, read it, return survey frames and the report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bigcats.intake.camtrapr import read_camtrapr, read_camtrapr_stations
from bigcats.intake.columns import ColumnMap
from bigcats.intake.detect import FORMATS, camtrapr_role, detect_format
from bigcats.intake.frames import OBSERVATION_COLUMNS, SurveyFrames, conform
from bigcats.intake.images import read_image_folder
from bigcats.intake.megadetector import load_json, megadetector_observations
from bigcats.intake.plaintable import read_plain_tables
from bigcats.intake.report import IntakeError, IntakeReport
from bigcats.intake.speciesnet import speciesnet_observations
from bigcats.intake.tables import read_table
from bigcats.intake.timezones import parse_utc_offset
from bigcats.intake.wildinsights import read_wildinsights
from bigcats.problems import Problem
from bigcats.taxonomy import read_label_map

IMAGE_OPTIONS = {"pattern", "species_from", "species_tag", "individual_tag", "count_tag", "station",
                 "sequence_gap_s", "workers", "manifest", "progress", "only_new"}
STATION_OPTIONS = {"crs", "utm_zone", "station_col", "camera_col", "session_col", "country", "protected_area"}


def _need_offset(utc_offset, source) -> int:
    if utc_offset is None:
        raise IntakeError([Problem("missing-utc-offset", "give the UTC offset of the cameras' clocks (e.g. +10:00 "
                                   "Primorye, +08:00 China, +07:00 western Mongolia)", file=str(source),
                                   field="utcOffset")], str(source))
    return parse_utc_offset(utc_offset)


def _camtrapr_files(source: Path, stations, records, time_shifts) -> tuple:
    """The camera, record and time-shift tables: given, or found by their columns next to the source."""
    found = {"stations": stations, "records": records, "timeshift": time_shifts}
    candidates = sorted(source.glob("*.csv")) + sorted(source.glob("*.xlsx")) if source.is_dir() else [source]
    for p in candidates:
        role = camtrapr_role(p)
        if role and found[role] is None:
            found[role] = p
    if found["stations"] is None:
        raise IntakeError([Problem("missing-file", "no camtrapR camera table (Station, Setup_date, Retrieval_date) "
                                   "found; give --stations", file=str(source))], str(source))
    return found["stations"], found["records"], found["timeshift"]


def ingest(source: str | Path, partner: str, format: str | None = None, utc_offset: int | str | None = None,
           stations: str | Path | None = None, records: str | Path | None = None,
           time_shifts: str | Path | None = None, label_map: str | Path | pd.DataFrame | None = None,
           images: str | Path | None = None, threshold: float = 0.2, columns=None,
           **options) -> tuple[SurveyFrames, IntakeReport]:
    """Read a partner's source (format detected when not given) into survey frames and an intake report.

    Image folders skip bad files and list them in the report; tables are all-or-nothing (IntakeError with every
    problem). Options: pattern, crs/utm_zone, species_from, manifest, workers, progress... (see the readers).
    `columns` is a column map (a `ColumnMap`, a dict or a YAML file) for plain tables; giving one means 'table'.
    """
    source = Path(source)
    if columns is not None and not isinstance(columns, ColumnMap):
        columns = ColumnMap.from_dict(columns) if isinstance(columns, dict) else ColumnMap.read(columns)
    fmt = format or ("table" if columns is not None and not (source / "datapackage.json").exists()
                     else detect_format(source))
    if fmt not in FORMATS:
        raise IntakeError([Problem("unknown-format", f"format must be one of {', '.join(FORMATS)}", field="format",
                                   value=fmt)], str(source))
    unknown = set(options) - IMAGE_OPTIONS - STATION_OPTIONS
    if unknown:
        raise IntakeError([Problem("bad-option", f"unknown option(s) {sorted(unknown)}", field="options")], "ingest")
    user_map = label_map if isinstance(label_map, pd.DataFrame) or label_map is None else read_label_map(label_map)
    img_opts = {k: v for k, v in options.items() if k in IMAGE_OPTIONS}
    st_opts = {k: v for k, v in options.items() if k in STATION_OPTIONS}

    if fmt == "camtrapdp":
        from bigcats.intake.camtrapdp import read_camtrapdp  # needs the exchange package; only for this format

        return read_camtrapdp(source, partner)
    if fmt == "table":
        crs = st_opts.get("crs") or (f"UTM {st_opts['utm_zone']}" if st_opts.get("utm_zone") else None)
        return read_plain_tables(source, partner, columns, utc_offset=utc_offset, crs=crs, stations=stations,
                                 records=records, country=st_opts.get("country"), label_map=user_map)
    if fmt == "wildinsights":
        return read_wildinsights(source, partner, _need_offset(utc_offset, source), user_map,
                                 country=st_opts.get("country"))
    if fmt == "camtrapr":
        offset = _need_offset(utc_offset, source)
        st, rec, shift = _camtrapr_files(source, stations, records, time_shifts)
        return read_camtrapr(read_table(st), partner, offset, records=None if rec is None else read_table(rec),
                             time_shifts=None if shift is None else read_table(shift), user_map=user_map, **st_opts)
    if fmt == "images":
        return _images(source, partner, utc_offset, stations, time_shifts, user_map, img_opts, st_opts)
    # AI detector output: the photos it ran on give media, deployments and times; predictions give observations.
    data = load_json(source)
    root = Path(images) if images else source.parent
    try:  # the detector's JSON often sits among the photos: not a skipped file
        img_opts["ignore"] = frozenset({source.resolve().relative_to(root.resolve()).as_posix()})
    except ValueError:
        pass
    frames, report = _images(root, partner, utc_offset, stations, time_shifts, user_map, img_opts, st_opts)
    report.format, report.source = fmt, f"{source} (photos: {root})"
    reader = megadetector_observations if fmt == "megadetector" else speciesnet_observations
    machine = reader(data, frames.media, partner, threshold, report, str(source), user_map)
    loc = frames.deployments.set_index("deploymentID")
    machine["locationID"] = machine["deploymentID"].map(loc["locationID"])
    machine["utcOffset"] = machine["deploymentID"].map(loc["utcOffset"])
    machine["eventID"] = pd.NA
    frames.observations = conform(pd.concat([frames.observations, machine], ignore_index=True), OBSERVATION_COLUMNS)
    report.counts.update(observations=len(frames.observations), machine_observations=len(machine))
    return frames, report


def _images(root: Path, partner: str, utc_offset, stations, time_shifts, user_map, img_opts: dict,
            st_opts: dict) -> tuple[SurveyFrames, IntakeReport]:
    offset = None if utc_offset is None else parse_utc_offset(utc_offset)
    deps = outages = None
    if stations is not None:
        deps, outages = read_camtrapr_stations(read_table(stations), partner, _need_offset(utc_offset, stations),
                                               **st_opts)
    shifts = None if time_shifts is None else read_table(time_shifts)
    frames, report = read_image_folder(root, partner, utc_offset=offset, stations=deps, time_shifts=shifts,
                                       user_map=user_map, **img_opts)
    if frames.media.empty and not img_opts.get("only_new"):
        # Nothing would come in: a refusal (exit 1) that says why, not a quiet success.
        n = report.counts.get("photos", 0)
        why = Problem("nothing-imported", f"no photo could be imported: {len(report.skipped_files)} of "
                      f"{report.counts.get('files', 0)} file(s) skipped" if n else "no JPEG photos found",
                      file=str(root))
        reasons = pd.Series([f["code"] for f in report.skipped_files]).value_counts()
        summary = [Problem(code, f"{k} file(s): " + next(f["message"] for f in report.skipped_files
                                                        if f["code"] == code), file=str(root))
                   for code, k in reasons.items()]
        raise IntakeError([why, *summary, *report.errors.problems[:20]], str(root))
    if outages is not None:
        frames.outages = SurveyFrames.build(outages=outages).outages
    return frames, report


__all__ = ["ingest", "IntakeReport"]
