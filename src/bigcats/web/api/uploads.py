"""Uploads of Camtrap DP packages and image folders (zip), imported in the background with progress.

Image folders take the options of `bigcats ingest`: a camtrapR station table, a path pattern, a label map, the
cameras' time zone (`+08:00` or an IANA name such as `Asia/Vladivostok`), the species source and the country
side. An upload that imports nothing is a failure with its reasons; a refused upload leaves nothing behind
(no project, no photos); messages name files inside the upload, never the server's folders.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from sqlalchemy import select

from bigcats.store.models import Partner
from bigcats.web.deps import AppState, Conn, StateDep, UserDep
from bigcats.web.errors import WebError
from bigcats.web.uploads import KINDS, Job, check_archive, new_workdir, safe_extract

router = APIRouter(tags=["uploads"])
TABLE_BYTES = 20 * 1024 * 1024  # a station table or label map is a small CSV/XLSX
SPECIES_FROM = ("auto", "folder", "tag")


def _save(upload: UploadFile, dest: Path, limit: int, what: str) -> Path:
    size = 0
    with open(dest, "wb") as out:
        while chunk := upload.file.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise WebError(f"{what}: larger than the {limit} bytes allowed", status=413)
            out.write(chunk)
    return dest


def _table_name(upload: UploadFile | None, default: str) -> str:
    name = Path((upload.filename if upload else None) or default).name
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".txt", ".tsv", ".xlsx", ".xls"):
        raise WebError(f"{name}: a station table or label map must be CSV or Excel (.csv, .xlsx)")
    return name


@router.post("/uploads", status_code=202)
def upload(file: Annotated[UploadFile, File(description="a zip: Camtrap DP package or image folder")],
           partner: Annotated[str, Form(description="partner code the data belongs to")],
           conn: Conn, caller: UserDep, state: StateDep,
           kind: Annotated[str, Form(description="camtrapdp or images")] = "camtrapdp",
           utc_offset: Annotated[str | None, Form(description="cameras' clock: +08:00, 480 (minutes) or an IANA "
                                                  "time zone such as Asia/Vladivostok (images)")] = None,
           stations: Annotated[UploadFile | None, File(description="camtrapR station table (images)")] = None,
           label_map: Annotated[UploadFile | None, File(description="CSV label,scientificName (images)")] = None,
           pattern: Annotated[str | None, Form(description="path pattern, e.g. {station}/{species}/* (images)")
                              ] = None,
           species_from: Annotated[str, Form(description="auto, folder or tag (images)")] = "auto",
           country: Annotated[str | None, Form(description="ISO3 country side of the stations")] = None,
           utm_zone: Annotated[str | None, Form(description="UTM zone of the station table, e.g. 52N")] = None,
           crs: Annotated[str | None, Form(description="CRS of the station table, e.g. EPSG:32652")] = None,
           ) -> dict:
    """Start importing an uploaded zip for a partner (editors and administrators of it); returns the job."""
    if kind not in KINDS:
        raise WebError(f"kind: must be one of {', '.join(KINDS)}, not {kind!r}")
    if species_from not in SPECIES_FROM:
        raise WebError(f"species_from: must be one of {', '.join(SPECIES_FROM)}, not {species_from!r}")
    pid = conn.execute(select(Partner.id).where(Partner.code == partner)).scalar_one_or_none()
    if pid is None or not caller.has_role(pid, "editor"):
        raise WebError(f"partner {partner!r}: you are not an editor or administrator of it", status=403)
    offset = None
    if utc_offset not in (None, ""):
        from bigcats.intake.timezones import parse_utc_offset

        try:
            offset = parse_utc_offset(utc_offset.strip())
        except ValueError as exc:
            raise WebError(f"time zone: {exc}") from None
    name = Path(file.filename or "upload.zip").name
    workdir = new_workdir()
    archive = workdir / "upload.zip"
    options: dict = {"pattern": pattern or None, "species_from": species_from, "country": country or None,
                     "utm_zone": utm_zone or None, "crs": crs or None}
    try:
        _save(file, archive, state.max_upload_bytes, name)
        check_archive(archive)
        for field, upload_file, default in (("stations", stations, "stations.csv"),
                                            ("label_map", label_map, "labels.csv")):
            if upload_file is not None and upload_file.filename:
                tables = workdir / "tables"
                tables.mkdir(exist_ok=True)
                options[field] = _save(upload_file, tables / _table_name(upload_file, default), TABLE_BYTES,
                                       field)
    except WebError:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    if kind == "camtrapdp" and any(options.get(k) for k in ("stations", "label_map", "pattern")):
        shutil.rmtree(workdir, ignore_errors=True)
        raise WebError("station table, label map and pattern are options of image folders, not of Camtrap DP "
                       "packages (which carry their deployments)")
    job = state.jobs.start(caller.user_id, partner, kind, name, archive,
                           lambda j, a: _import(state, j, a, offset, options))
    return job.to_dict()


# An absolute path of the server (e.g. the importer's temporary package folder): only its last part is kept.
SERVER_PATH = re.compile(r"(?<![\w.:/])/(?:[\w.+@()-]+/)+([\w.+@()-]*)")


def _scrub(value, folders: list[Path]):
    """A report with the server's folders taken out of every string (file names stay, relative)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    for folder in folders:
        for form in {str(folder), str(folder.resolve())}:
            text = text.replace(json.dumps(form + "/")[1:-1], "").replace(json.dumps(form)[1:-1], "")
    text = SERVER_PATH.sub(lambda m: m.group(1), text)
    return json.loads(text)


def _import(state: AppState, job: Job, archive: Path, utc_offset: int | None, options: dict) -> dict:
    def progress(stage: str, n: int) -> None:
        job.stage, job.rows = stage, job.rows + n

    if job.kind == "camtrapdp":
        from bigcats.exchange.camtrapdp.importer import import_package

        result = import_package(state.engine, archive, job.partner, progress=progress, source=job.filename)
        state.sensitive.clear()
        state.summary.clear()
        return _scrub(result.to_dict(), [archive.parent])
    from bigcats.intake import ingest
    from bigcats.intake.store import store_intake
    from bigcats.problems import DataError

    # The photos are kept under the media root (so the pages can show them), else only for the import.
    if state.media_root is not None:
        folder = state.media_root / "uploads" / job.partner / f"{uuid.uuid4().hex[:12]}"
    else:
        folder = archive.parent / "images"
    folders = [folder, archive.parent]
    try:
        safe_extract(archive, folder)
        job.stage = "reading photos"
        kwargs = {k: v for k, v in options.items() if k in ("pattern", "utm_zone", "crs", "country") and v}
        frames, report = ingest(folder, job.partner, format="images", utc_offset=utc_offset,
                                stations=options.get("stations"), label_map=options.get("label_map"),
                                species_from=options["species_from"], **kwargs)
        intake = _scrub(report.to_dict(), folders)
        if frames.media.empty or frames.observations.empty:
            reasons = {}
            for s in intake.get("skipped_files", []):
                reasons.setdefault(s.get("message") or s.get("code"), []).append(s.get("file"))
            lines = [f"{len(v)} file(s): {k} (e.g. {v[0]})" for k, v in sorted(reasons.items(),
                                                                                key=lambda kv: -len(kv[1]))[:8]]
            if not lines:
                lines = [f"{e.get('message')}" for e in intake.get("errors", [])[:8]] or ["no photos in the archive"]
            what = "no photos could be read" if frames.media.empty else "no observations in the photos read"
            raise WebError(f"nothing imported: {what}. " + "; ".join(lines)
                           + ". Check the station table, the path pattern and the label map.")
        job.stage = "writing"
        result = store_intake(state.engine, frames, report, job.partner, job.filename, "images",
                              country=options.get("country"))
        if state.media_root is not None:
            _file_under_root(state, result.project, folder)
    except (WebError, DataError, ValueError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        message = _scrub(str(exc), folders)
        if "'latitude': a value is required" in message and not options.get("stations"):
            message = ("the photos' stations have no coordinates: add the station table (camtrapR: station, "
                       "coordinates, set-up and retrieval dates). " + message)
        raise WebError(message) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    state.sensitive.clear()
    state.summary.clear()
    return _scrub({"import": result.to_dict(), "intake": report.to_dict()}, folders)


def _file_under_root(state: AppState, project: str, folder: Path) -> None:
    """Point the new media rows (paths relative to the uploaded folder) at their place under the media root;
    a folder that added no photo (all already stored) is removed."""
    from sqlalchemy import String, and_, literal, update

    from bigcats.store.models import Deployment, Media, Project

    prefix = folder.relative_to(state.media_root).as_posix() + "/"
    with state.engine.begin() as conn:
        deps = select(Deployment.id).join(Project, Deployment.project_id == Project.id).where(Project.code == project)
        moved = conn.execute(update(Media).where(and_(Media.deployment_id.in_(deps), ~Media.file_path.startswith("/"),
                                                      ~Media.file_path.startswith("uploads/")))
                             .values(file_path=literal(prefix, String) + Media.file_path)).rowcount
    if not moved:
        shutil.rmtree(folder, ignore_errors=True)


@router.get("/uploads/{job_id}")
def upload_status(job_id: str, caller: UserDep, state: StateDep) -> dict:
    """Progress of an upload and, when done, its intake report."""
    job = state.jobs.get(job_id)
    if job is None or job.user_id != caller.user_id:
        raise WebError(f"upload {job_id}: no such upload of yours", status=404)
    return job.to_dict()
