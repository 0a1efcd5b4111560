"""Uploads of Camtrap DP packages and image folders (zip), imported in the background with progress."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from sqlalchemy import select

from bigcats.store.models import Partner
from bigcats.web.deps import AppState, Conn, StateDep, UserDep
from bigcats.web.errors import WebError
from bigcats.web.uploads import KINDS, Job, check_archive, new_workdir, safe_extract

router = APIRouter(tags=["uploads"])


@router.post("/uploads", status_code=202)
def upload(file: Annotated[UploadFile, File(description="a zip: Camtrap DP package or image folder")],
           partner: Annotated[str, Form(description="partner code the data belongs to")],
           conn: Conn, caller: UserDep, state: StateDep,
           kind: Annotated[str, Form(description="camtrapdp or images")] = "camtrapdp",
           utc_offset: Annotated[int | None, Form(description="camera clock offset in minutes (images)")] = None
           ) -> dict:
    """Start importing an uploaded zip for a partner (editors and administrators of it); returns the job."""
    if kind not in KINDS:
        raise WebError(f"kind: must be one of {', '.join(KINDS)}, not {kind!r}")
    pid = conn.execute(select(Partner.id).where(Partner.code == partner)).scalar_one_or_none()
    if pid is None or not caller.has_role(pid, "editor"):
        raise WebError(f"partner {partner!r}: you are not an editor or administrator of it", status=403)
    name = Path(file.filename or "upload.zip").name
    workdir = new_workdir()
    archive = workdir / "upload.zip"
    size = 0
    try:
        with open(archive, "wb") as out:
            while chunk := file.file.read(1 << 20):
                size += len(chunk)
                if size > state.max_upload_bytes:
                    raise WebError(f"{name}: larger than the {state.max_upload_bytes} bytes allowed", status=413)
                out.write(chunk)
        check_archive(archive)
    except WebError:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    job = state.jobs.start(caller.user_id, partner, kind, name, archive,
                           lambda j, a: _import(state, j, a, utc_offset))
    return job.to_dict()


def _import(state: AppState, job: Job, archive: Path, utc_offset: int | None) -> dict:
    def progress(stage: str, n: int) -> None:
        job.stage, job.rows = stage, job.rows + n

    if job.kind == "camtrapdp":
        from bigcats.exchange.camtrapdp.importer import import_package

        result = import_package(state.engine, archive, job.partner, progress=progress, source=job.filename)
        state.sensitive.clear()
        state.summary.clear()
        return result.to_dict()
    from bigcats.intake import ingest
    from bigcats.intake.store import store_intake

    folder = safe_extract(archive, archive.parent / "images")
    job.stage = "reading photos"
    frames, report = ingest(folder, job.partner, format="images", utc_offset=utc_offset)
    job.stage = "writing"
    result = store_intake(state.engine, frames, report, job.partner, job.filename, "images")
    state.sensitive.clear()
    state.summary.clear()
    return {"import": result.to_dict(), "intake": report.to_dict() if hasattr(report, "to_dict") else str(report)}


@router.get("/uploads/{job_id}")
def upload_status(job_id: str, caller: UserDep, state: StateDep) -> dict:
    """Progress of an upload and, when done, its intake report."""
    job = state.jobs.get(job_id)
    if job is None or job.user_id != caller.user_id:
        raise WebError(f"upload {job_id}: no such upload of yours", status=404)
    return job.to_dict()
