"""Take in a copy of memory cards: walk the tree, read every photo's metadata on all cores, resumably, into frames."""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from bigcats.intake.frames import SurveyFrames
from bigcats.intake.video import VIDEO_SUFFIXES, read_media_metadata
from bigcats.intake.report import IntakeError, IntakeReport
from bigcats.intake.stations import match_deployments
from bigcats.intake.timezones import (
    EARLIEST_PLAUSIBLE,
    apply_time_shifts,
    flag_timestamps,
    localize,
    parse_local_times,
)
from bigcats.problems import Problem
from bigcats.taxonomy import observation_type, resolve_labels

JPEG_SUFFIXES = {".jpg", ".jpeg", ".jpe"}
PATTERN_FIELDS = {"station", "camera", "species", "individual", "date", "time", "deployment"}
MANIFEST_NAME = ".bigcats-intake.jsonl"
# Dates and times in file names: 2009-04-23 / 20090423 and 00-07-00 / 000700 / 00.07 (digits, any separator).
FIELD_REGEX = {"date": r"\d{4}[-_.:]?\d{2}[-_.:]?\d{2}", "time": r"\d{2}[-_.:]?\d{2}(?:[-_.:]?\d{2})?"}
# Warnings from the metadata reader and how the report words them.
READER_WARNINGS = {
    "truncated-image": "JPEG has no end-of-image marker (truncated copy?); metadata kept",
    "bad-exif": "EXIF block is corrupt; time taken from XMP or the file name if possible",
    "no-exif": "photo has no EXIF block; time taken from XMP or the file name if possible",
    "no-creation-time": "video has no creation_time in its container; time taken from the file name if possible",
    "creation-time-is-utc": "video's creation_time is whole hours away from the time in its name: the name's "
                            "(the camera's clock) is used",
}
_POOL_MIN_FILES = 200  # below this a process pool costs more than it saves


def compile_pattern(pattern: str) -> re.Pattern:
    """A regex for a path pattern like '{station}/{species}/*' or '{station}__{date}__{time}*' (matched at the end)."""
    out = []
    for part in re.split(r"(\{\w+\}|\*\*|\*)", pattern.replace("\\", "/").strip("/")):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            if name not in PATTERN_FIELDS:
                raise IntakeError([Problem("bad-pattern", f"unknown field {{{name}}}; use {sorted(PATTERN_FIELDS)}",
                                           field="pattern", value=pattern)], "path pattern")
            out.append(f"(?P<{name}>{FIELD_REGEX.get(name, '[^/]+?')})")
        elif part == "**":
            out.append(".*")
        elif part == "*":
            out.append("[^/]*")
        else:
            out.append(re.escape(part))
    return re.compile("(?:^|/)" + "".join(out) + "$")


_CAMTRAPR_NAME = re.compile(r"^[^/]+?__(?:[^/]+?__)?\d{4}-\d{2}-\d{2}__\d{2}-\d{2}-\d{2}")


def guess_layout(rels: list[str], partner: str | None = None, user_map: pd.DataFrame | None = None,
                 stations: set[str] | None = None) -> str | None:
    """The path pattern of camtrapR's folder layouts, recognised from the folder names themselves.

    `Station/Species/`, `Station/Camera/Species/`, `Station/Species/Individual/`, `Species/Station/`, plain
    `Station/` folders, and camtrapR's renamed files (`Station__2009-04-21__00-40-00(1).JPG`, with the species
    folder above them). A level is the species level when most of its names are species labels bigcats knows
    (shipped, the partner's or the user's label map); a level of known station names is the station level.
    None when the files do not share one depth or nothing fits.
    """
    if not rels:
        return None
    parts = [r.split("/") for r in rels]
    depth = {len(p) - 1 for p in parts}
    if len(depth) != 1:
        return None
    depth = depth.pop()
    levels = [sorted({p[i] for p in parts}) for i in range(depth)]
    named = all(_CAMTRAPR_NAME.match(p[-1]) for p in parts)

    def species(names: list[str]) -> bool:
        res = resolve_labels(names, partner=partner, user_map=user_map)
        return len(res.mapping) >= max(1, len(names) / 2)

    def station(names: list[str]) -> bool:
        return bool(stations) and set(names) <= set(stations)

    if depth == 0:
        return "{station}__*" if named else None
    if depth == 1:
        if station(levels[0]):
            return "{station}/*"
        if named:  # camtrapR's renamed photos carry the station; the folder above is the species
            return "{species}/{station}__*"
        return None if species(levels[0]) else "{station}/*"
    if depth == 2:
        if species(levels[1]):
            return "{station}/{species}/*"
        if species(levels[0]) and not station(levels[0]):
            return "{species}/{station}/*"
        return "{station}/{camera}/*"
    if depth == 3:
        if species(levels[2]):
            return "{station}/{camera}/{species}/*"
        if species(levels[1]):
            return "{station}/{species}/{individual}/*"
    return None


def walk_files(root: Path) -> tuple[list[str], list[str]]:
    """Photos and videos, and other files, under root (relative POSIX paths, sorted); hidden files are left out."""
    jpegs, others = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            suffix = Path(name).suffix.lower()
            (jpegs if suffix in JPEG_SUFFIXES or suffix in VIDEO_SUFFIXES else others).append(rel)
    return jpegs, others


def _load_manifest(path: Path | None) -> dict[str, dict]:
    if path is None or not path.exists():
        return {}
    cached = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # the last line of an interrupted run may be cut short
            cached[rec["rel"]] = rec
    return cached


def scan_images(root: str | Path, workers: int | None = None, manifest: str | Path | None = None,
                progress: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """Read the metadata of every JPEG under root on all cores; reuse and extend a manifest so re-runs are cheap.

    Returns one row per JPEG (column 'rel' is the path relative to root, 'cached' says it came from the manifest)
    and the list of other (non-JPEG) files found.
    """
    root = Path(root)
    if not root.is_dir():
        raise IntakeError([Problem("missing-folder", "no such folder", file=str(root))], str(root))
    jpegs, others = walk_files(root)
    manifest = Path(manifest) if manifest else None
    cached = _load_manifest(manifest)
    records, todo = [], []
    for rel in jpegs:
        rec = cached.get(rel)
        if rec is not None:
            try:
                st = os.stat(root / rel)
            except OSError:
                rec = None
            else:
                rec = rec if (rec.get("size"), rec.get("mtime_ns")) == (st.st_size, st.st_mtime_ns) else None
        if rec is None:
            todo.append(rel)
        else:
            records.append({**rec, "cached": True})
    fresh = _read_all([str(root / rel) for rel in todo], workers, progress)
    out = open(manifest, "a", encoding="utf-8") if manifest else None  # noqa: SIM115 - written as results arrive
    if out is not None and manifest.stat().st_size and not manifest.read_bytes()[-1:] == b"\n":
        out.write("\n")  # an interrupted run left half a line: start clean
    try:
        for rel, rec in zip(todo, fresh):
            rec["rel"] = rel
            rec.pop("path", None)
            if out is not None:
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            records.append({**rec, "cached": False})
    finally:
        if out is not None:
            out.close()
    meta = pd.DataFrame(records)
    if len(meta):
        meta = meta.sort_values("rel", ignore_index=True)
    return meta, others


def _read_all(paths: list[str], workers: int | None, progress: bool):
    """Yield metadata records in order, read in a process pool when there are many files."""
    workers = workers or os.cpu_count() or 1
    if len(paths) < _POOL_MIN_FILES or workers == 1:
        results = map(read_media_metadata, paths)
        yield from _with_progress(results, len(paths), progress)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, min(256, len(paths) // (workers * 8)))
        yield from _with_progress(pool.map(read_media_metadata, paths, chunksize=chunk), len(paths), progress)


def _with_progress(results, total: int, progress: bool):
    if not progress or total == 0:
        yield from results
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("reading photos"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True) as bar:
        task = bar.add_task("read", total=total)
        for rec in results:
            bar.advance(task)
            yield rec


def _tags(meta: pd.DataFrame) -> pd.DataFrame:
    """Hierarchical tags as a long table (row = index into meta, key = top level lower-cased, value = last level)."""
    tags = meta["hierarchicalSubject"].explode().dropna()
    tags = tags[tags.astype(str).str.contains("|", regex=False)].astype("string")
    parts = tags.str.split("|")
    return pd.DataFrame({"row": tags.index, "key": parts.str[0].str.strip().str.lower(),
                         "value": parts.str[-1].str.strip()}).reset_index(drop=True)


def sequences(deployment: pd.Series, timestamp: pd.Series, gap_s: float) -> pd.Series:
    """Sequence (event) number of each photo: a new one starts when the gap to the previous photo exceeds gap_s."""
    secs = (timestamp - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()
    codes = pd.factorize(deployment)[0]
    order = np.lexsort((secs, codes))
    dep = codes[order]
    ts = secs[order]
    new = np.ones(len(order), dtype=bool)
    if len(order) > 1:
        new[1:] = (dep[1:] != dep[:-1]) | ((ts[1:] - ts[:-1]) > gap_s)
    seq = np.empty(len(order), dtype=np.int64)
    seq[order] = np.cumsum(new)
    return pd.Series(seq, index=deployment.index)


def read_image_folder(root: str | Path, partner: str, pattern: str | None = None, utc_offset: int | None = None,
                      stations: pd.DataFrame | None = None, time_shifts: pd.DataFrame | None = None,
                      species_from: str = "auto", species_tag: str = "species", individual_tag: str = "individual",
                      count_tag: str = "count", station: str | None = None, user_map: pd.DataFrame | None = None,
                      sequence_gap_s: float = 60.0, workers: int | None = None, manifest: str | Path | None = None,
                      progress: bool = False, only_new: bool = False,
                      ignore: frozenset[str] = frozenset()) -> tuple[SurveyFrames, IntakeReport]:
    """Survey frames from a folder of photos; bad files are skipped and listed in the report, the rest comes in.

    Station, camera, species, individual, date and time come from `pattern` (path tail) or the photos' XMP tags
    ('Species|Leopard Cat', 'individual|2'); `stations` (deployments frame, e.g. from a camtrapR camera table)
    gives coordinates, windows and offsets; without it one deployment per station/camera spans its photos.
    """
    root = Path(root)
    report = IntakeReport(source=str(root), format="images", partner=partner)
    if species_from not in ("auto", "folder", "tag"):
        raise IntakeError([Problem("bad-option", "species_from must be 'auto', 'folder' or 'tag'",
                                   field="species_from", value=species_from)], "options")
    if utc_offset is None and (stations is None or "utcOffset" not in stations or stations["utcOffset"].isna().any()):
        raise IntakeError([Problem("missing-utc-offset", "give the deployments' UTC offset (e.g. --utc-offset +10:00 "
                                   "for Primorye, +08:00 for China, +07:00 for western Mongolia)",
                                   file=str(root), field="utcOffset")], str(root))
    meta, others = scan_images(root, workers=workers, manifest=manifest, progress=progress)
    for rel in (o for o in others if o not in ignore):
        report.skip(rel, Problem("unsupported-file", "not a JPEG photo or a video (MP4, MOV, AVI); not read",
                                 file=rel))
    n_files = len(meta)
    n_cached = int(meta["cached"].sum()) if n_files else 0
    if n_files == 0:
        report.finish(files=0, media=0, observations=0, skipped=len(report.skipped_files))
        return SurveyFrames(), report
    meta = _defaults(meta)
    meta = _skip(meta, meta["error_code"].notna(), report, None, meta["error"])
    for code, message in READER_WARNINGS.items():
        flagged = meta["warnings"].map(lambda w, c=code: c in w)  # lists per file, from the reader
        for rel in meta.loc[flagged, "rel"]:
            report.warn(Problem(code, message, file=rel))

    # Station, camera, species... from the path, by the user's pattern or camtrapR's layouts recognised.
    if not pattern and station is None:
        pattern = guess_layout(meta["rel"].tolist(), partner, user_map,
                               None if stations is None else set(stations["locationID"].astype(str)))
        if pattern:
            report.warn(Problem("layout-recognised", f"folder layout read as {pattern!r} (give --pattern to "
                                "say otherwise)", file=str(root), field="pattern", value=pattern))
    if pattern:
        fields = meta["rel"].str.extract(compile_pattern(pattern))
        meta = _skip(meta, fields.isna().all(axis=1).to_numpy(), report, "pattern-mismatch",
                     f"path does not match the pattern {pattern!r}")
        fields = fields.loc[meta.index]
        for col in fields.columns:
            meta[col] = fields[col]
    for col in ("station", "camera", "species", "individual", "date", "time", "deployment"):
        if col not in meta.columns:
            meta[col] = pd.Series(pd.NA, index=meta.index, dtype="string")
    if station is not None:
        meta["station"] = meta["station"].fillna(station)
    meta = _skip(meta, meta["station"].isna().to_numpy(), report, "no-station",
                 "no station: give a pattern with {station} or a station name")
    meta["camera"] = meta["camera"].fillna(meta["BodySerialNumber"])

    # Local clock time: EXIF, else XMP, else the file name.
    local = parse_local_times(meta["DateTimeOriginal"], ("%Y:%m:%d %H:%M:%S",))
    local = local.fillna(parse_local_times(meta["xmpDateTimeOriginal"].str.slice(0, 19),
                                           ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")))
    digits = meta["time"].str.replace(r"\D", "", regex=True).str.ljust(6, "0")
    named = meta["date"].str.replace(r"\D", "", regex=True) + " " + digits
    local = local.fillna(parse_local_times(named, ("%Y%m%d %H%M%S",)))
    sub = pd.to_numeric(meta["SubSecTimeOriginal"].str.slice(0, 3).str.ljust(3, "0"), errors="coerce").fillna(0)
    meta["local"] = local + pd.to_timedelta(sub, unit="ms")
    meta = _skip(meta, meta["local"].isna().to_numpy(), report, "missing-timestamp",
                 "no capture time: no EXIF DateTimeOriginal, XMP date or date/time in the file name")
    meta["locationID"] = meta["station"].astype("string")
    meta["cameraID"] = meta["camera"].astype("string")
    if time_shifts is not None and len(time_shifts):
        meta = apply_time_shifts(meta, time_shifts, report, file=time_shifts.attrs.get("file", "time-shift table"))

    deployments, meta = _deployments(meta, partner, utc_offset, stations, report)
    meta["timestamp"] = localize(meta["local"], meta["utcOffset"])
    flagged = flag_timestamps(meta, deployments, report, file_col="rel", what="photo")
    if stations is None:
        deployments = _span(deployments, meta[~flagged])
    issues = meta.loc[flagged, "deploymentID"].unique()
    deployments["timestampIssues"] = deployments["deploymentID"].isin(issues)

    media, meta = _media(meta, report, sequence_gap_s)
    observations, individuals = _observations(meta, partner, species_from, species_tag, individual_tag, count_tag,
                                              user_map, report, str(root))
    if only_new:
        new_media = media["mediaID"].isin(meta.loc[~meta["cached"], "mediaID"])
        media = media[new_media]
        observations = observations[observations["mediaID"].isin(media["mediaID"])]
    frames = SurveyFrames.build(deployments=deployments, media=media, observations=observations,
                                individuals=individuals)
    report.finish(files=n_files + len(others), photos=n_files, read=n_files - n_cached,
                  reused_from_manifest=n_cached, media=len(frames.media),
                  observations=len(frames.observations), deployments=len(frames.deployments),
                  skipped=len(report.skipped_files))
    return frames, report


def _defaults(meta: pd.DataFrame) -> pd.DataFrame:
    cols = ("error_code", "error", "Make", "Model", "DateTimeOriginal", "SubSecTimeOriginal", "OffsetTimeOriginal",
            "BodySerialNumber", "xmpDateTimeOriginal", "sha256")
    for col in cols:
        meta[col] = (meta[col] if col in meta.columns else pd.Series(pd.NA, index=meta.index)).astype("string")
    for col in ("hierarchicalSubject", "subject", "warnings"):
        if col not in meta.columns:
            meta[col] = None
        meta[col] = meta[col].map(lambda v: v if isinstance(v, list) else [])  # per-file lists from JSON
    meta["rel"] = meta["rel"].astype("string")
    return meta


def _skip(meta: pd.DataFrame, mask, report: IntakeReport, code: str | None, message) -> pd.DataFrame:
    """Drop masked files, listing each in the report with the reason."""
    mask = np.asarray(mask, dtype=bool)
    msgs = message[mask] if isinstance(message, pd.Series) else [message] * int(mask.sum())
    codes = meta.loc[mask, "error_code"] if code is None else [code] * int(mask.sum())
    for rel, c, m in zip(meta.loc[mask, "rel"], codes, msgs):
        report.skip(rel, Problem(c, m, file=rel))
    return meta[~mask]


def _deployments(meta: pd.DataFrame, partner: str, utc_offset: int | None, stations: pd.DataFrame | None,
                 report: IntakeReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attach each photo to its deployment (from the station table, else one per station and camera)."""
    if stations is None:
        key = meta["locationID"].astype(str) + np.where(meta["cameraID"].notna(),
                                                        "_" + meta["cameraID"].fillna("").astype(str), "")
        meta = meta.assign(deploymentID=key, utcOffset=int(utc_offset))
        deps = (meta.groupby("deploymentID", sort=True)
                .agg(locationID=("locationID", "first"), cameraID=("cameraID", "first"),
                     cameraModel=("Model", "first"))
                .reset_index())
        deps["locationName"] = deps["locationID"]
        deps["utcOffset"] = int(utc_offset)
        deps["partner"] = partner
        for rel in deps["locationID"]:
            report.warn(Problem("no-coordinates", "no station table given: deployment has no coordinates and spans "
                                "its photos; give the camera table for coordinates and set-up dates",
                                value=str(rel)))
        return deps, meta
    st = stations.copy()
    if utc_offset is not None:
        st["utcOffset"] = st["utcOffset"].fillna(utc_offset) if "utcOffset" in st else utc_offset
    known = meta["locationID"].isin(st["locationID"]).to_numpy()
    meta = _skip(meta, ~known, report, "unknown-station", "station is not in the station table")
    matched = match_deployments(meta, st)
    meta = meta.assign(deploymentID=matched["deploymentID"], utcOffset=matched["utcOffset"])
    return st, meta


def _span(deployments: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Deployment windows from the first and last plausible photo (no station table)."""
    win = (meta.groupby("deploymentID")["timestamp"].agg(["min", "max"])
           .rename(columns={"min": "deploymentStart", "max": "deploymentEnd"}).reset_index())
    win["deploymentID"] = win["deploymentID"].astype(deployments["deploymentID"].dtype)
    return deployments.drop(columns=["deploymentStart", "deploymentEnd"], errors="ignore").merge(
        win, on="deploymentID", how="left")


def _media(meta: pd.DataFrame, report: IntakeReport, gap_s: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One media row per distinct file content (SHA-256); copies are reported and folded into the first."""
    meta = meta.assign(mediaID=meta["sha256"].str.slice(0, 24))
    dup = meta.duplicated("sha256", keep="first")
    first = meta[~dup].set_index("sha256")["rel"]
    for rel, sha in zip(meta.loc[dup, "rel"], meta.loc[dup, "sha256"]):
        report.warn(Problem("duplicate-file", f"same content as {first[sha]}; stored once", file=rel))
    m = meta[~dup]
    exif = m[["Make", "Model", "BodySerialNumber", "DateTimeOriginal", "OffsetTimeOriginal"]].astype(object)
    exif = exif.assign(hierarchicalSubject=m["hierarchicalSubject"], subject=m["subject"])
    for col, key in (("duration_s", "bigcats:durationSeconds"), ("thumbnail", "bigcats:thumbnail")):
        if col in m.columns:  # videos: their length and the representative frame's file
            exif[key] = m[col].astype(object).where(m[col].notna(), None)
    mediatype = m["mediatype"].fillna("image/jpeg") if "mediatype" in m.columns else "image/jpeg"
    media = pd.DataFrame({
        "mediaID": m["mediaID"], "deploymentID": m["deploymentID"], "captureMethod": "activityDetection",
        "timestamp": m["timestamp"], "filePath": m["rel"], "fileName": m["rel"].str.rsplit("/", n=1).str[-1],
        "fileMediatype": mediatype, "sha256": m["sha256"],
        "exifData": [json.dumps({k: v for k, v in r.items() if v is not None and v is not pd.NA and v != []},
                                ensure_ascii=False) for r in exif.to_dict("records")],
    })
    seq = sequences(media["deploymentID"], media["timestamp"], gap_s)
    event = media["deploymentID"] + ":" + seq.astype(str).str.zfill(6)
    meta["eventID"] = meta["mediaID"].map(dict(zip(media["mediaID"], event)))
    return media.reset_index(drop=True), meta


def _observations(meta: pd.DataFrame, partner: str, species_from: str, species_tag: str, individual_tag: str,
                  count_tag: str, user_map, report: IntakeReport, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Media-level observations: one per file and species label (copies in several species folders all count)."""
    tags = _tags(meta)
    tag_species = tags[tags["key"].eq(species_tag.lower())][["row", "value"]].rename(columns={"value": "label"})
    use_tags = species_from == "tag" or (species_from == "auto" and len(tag_species) > 0)
    if use_tags:
        sp = tag_species
    else:
        folder = meta["species"].dropna()
        sp = pd.DataFrame({"row": folder.index, "label": folder.values})
    ind = tags[tags["key"].eq(individual_tag.lower())][["row", "value"]].rename(columns={"value": "code"})
    ind = pd.concat([ind, pd.DataFrame({"row": meta["individual"].dropna().index,
                                        "code": meta["individual"].dropna().values})], ignore_index=True)
    n_species = sp.groupby("row").size()
    ambiguous = ind["row"].map(n_species).fillna(0).gt(1)
    for rel in meta.loc[ind.loc[ambiguous, "row"].unique(), "rel"]:
        report.warn(Problem("ambiguous-individual", "several species and individuals tagged on one photo; "
                            "individual not assigned", file=rel))
    obs = sp.merge(ind[~ambiguous].drop_duplicates(), on="row", how="left")
    counts = tags[tags["key"].eq(count_tag.lower())].drop_duplicates("row").set_index("row")["value"]
    obs["count"] = pd.to_numeric(obs["row"].map(counts), errors="coerce")
    m = meta.loc[obs["row"]]
    obs = obs.assign(mediaID=m["mediaID"].to_numpy(), deploymentID=m["deploymentID"].to_numpy(),
                     locationID=m["locationID"].to_numpy(), eventID=m["eventID"].to_numpy(),
                     timestamp=m["timestamp"].to_numpy(), utcOffset=m["utcOffset"].to_numpy(),
                     rel=m["rel"].to_numpy())
    # The same photo copied into two folders of the same species is one observation.
    obs = obs.drop_duplicates(["mediaID", "label", "code"]).reset_index(drop=True)
    res = resolve_labels(obs["label"], partner=partner, user_map=user_map)
    for p in res.problems(file=source, field="species"):
        report.warn(p)
    n_by_label = obs["label"].value_counts()
    report.unmatched_labels += [{"label": lab, "suggestions": s, "records": int(n_by_label.get(lab, 0))}
                                for lab, s in zip(res.unmatched["label"], res.unmatched["suggestions"])]
    typed = observation_type(obs["label"].map(res.as_dict()))
    obs["scientificName"] = typed["scientificName"].to_numpy()
    obs["observationType"] = typed["observationType"].to_numpy()
    obs["individualID"] = obs["code"]
    obs["classificationMethod"] = "human"
    obs["observationTags"] = "label:" + obs["label"].astype(str)
    obs["observationID"] = obs["mediaID"] + ":" + obs.groupby("mediaID").cumcount().add(1).astype(str)
    with_ind = obs[obs["individualID"].notna() & obs["scientificName"].notna()]
    individuals = (with_ind[["individualID", "scientificName"]].drop_duplicates()
                   .assign(partner=partner, partnerCode=lambda d: d["individualID"]))
    return obs, individuals


__all__ = ["MANIFEST_NAME", "EARLIEST_PLAUSIBLE", "compile_pattern", "read_image_folder", "scan_images",
           "sequences", "walk_files"]
