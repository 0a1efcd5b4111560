"""Uploads: archives checked before anything is read from them, then imported in the background as a job.

An archive is refused if any member's path would leave the folder it is unpacked into (`../`, absolute paths,
drive letters, links), if it holds too many files, if the files would unpack to more than the size limit, or if
any member is compressed more than a zip bomb's ratio. Progress and the intake report are kept per job.
"""

from __future__ import annotations

import shutil
import stat
import tempfile
import threading
import traceback
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

from bigcats.web.errors import WebError

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
MAX_UNPACKED_BYTES = 4 * 1024 * 1024 * 1024
MAX_MEMBERS = 200_000
MAX_RATIO = 200  # text CSV compresses ~10-20x; a 1 GB file of zeros compresses ~1000x
RATIO_FLOOR = 64 * 1024  # below this, a member's ratio says nothing (a small CSV of repeated values)
KINDS = ("camtrapdp", "images")


def check_archive(path: str | Path, max_unpacked: int = MAX_UNPACKED_BYTES, max_members: int = MAX_MEMBERS,
                  max_ratio: float = MAX_RATIO) -> list[zipfile.ZipInfo]:
    """The members of a zip archive if it is safe to unpack, else a WebError naming the offending member."""
    name = Path(path).name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise WebError(f"{name}: not a zip archive ({exc})") from exc
    with archive:
        members = archive.infolist()
        if len(members) > max_members:
            raise WebError(f"{name}: {len(members)} files in the archive, more than the {max_members} allowed",
                           status=413)
        total = packed = 0
        for info in members:
            member = info.filename
            parts = PurePosixPath(member.replace("\\", "/")).parts
            if member.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                raise WebError(f"{name}: member {member!r} would be written outside the upload folder")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise WebError(f"{name}: member {member!r} is a symbolic link, which uploads may not hold")
            total += info.file_size
            if total > max_unpacked:
                raise WebError(f"{name}: unpacks to more than {max_unpacked} bytes (stopped at {member!r})",
                               status=413)
            packed += info.compress_size
            # Per member from 64 KiB up, and over the whole archive: many small members each under a per-member
            # threshold must not add up to a bomb.
            if info.file_size > RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
                raise WebError(f"{name}: member {member!r} is compressed {info.file_size // max(info.compress_size, 1)}"
                               f"x, a zip bomb's ratio (limit {max_ratio}x)", status=413)
            if total > RATIO_FLOOR and total > max_ratio * max(packed, 1):
                raise WebError(f"{name}: the archive's members are compressed {total // max(packed, 1)}x together "
                               f"(by {member!r}), a zip bomb's ratio (limit {max_ratio}x)", status=413)
    return members


def safe_extract(path: str | Path, dest: str | Path, **limits) -> Path:
    """Unpack a checked archive into dest, counting bytes as they come (headers can lie about sizes)."""
    members = check_archive(path, **limits)
    cap = limits.get("max_unpacked", MAX_UNPACKED_BYTES)
    dest = Path(dest).resolve()
    written = 0
    with zipfile.ZipFile(path) as archive:
        for info in members:
            target = (dest / info.filename).resolve()
            if not target.is_relative_to(dest):
                raise WebError(f"{Path(path).name}: member {info.filename!r} would be written outside the folder")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > cap:
                        raise WebError(f"{Path(path).name}: unpacks to more than {cap} bytes", status=413)
                    out.write(chunk)
    return dest


@dataclass
class Job:
    """One upload being imported: who sent it, where it stands and, at the end, the intake report."""

    id: str
    user_id: int
    partner: str
    kind: str
    filename: str
    status: str = "queued"  # queued, running, done, failed
    stage: str = ""
    rows: int = 0
    report: dict | None = None
    error: str | None = None
    workdir: Path | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """The job as JSON for the progress bar and the intake report."""
        return {"id": self.id, "partner": self.partner, "kind": self.kind, "filename": self.filename,
                "status": self.status, "stage": self.stage, "rows": self.rows, "report": self.report,
                "error": self.error}


class Jobs:
    """Upload jobs of this server process, each imported on its own thread (one import at a time)."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._import_lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        """A job by id."""
        return self._jobs.get(job_id)

    def start(self, user_id: int, partner: str, kind: str, filename: str, archive: Path,
              work: Callable[[Job, Path], dict]) -> Job:
        """Queue an import of a checked archive; `work(job, archive)` returns the intake report."""
        job = Job(uuid.uuid4().hex, user_id, partner, kind, filename, workdir=archive.parent)
        with self._lock:
            self._jobs[job.id] = job
        threading.Thread(target=self._run, args=(job, archive, work), daemon=True, name=f"upload-{job.id}").start()
        return job

    def _run(self, job: Job, archive: Path, work: Callable[[Job, Path], dict]) -> None:
        with self._import_lock:
            job.status = "running"
            try:
                job.report = work(job, archive)
                job.status = "done"
            except ValueError as exc:  # DataError, IntakeError, WebError: the partner's data, told plainly
                job.status, job.error = "failed", str(exc)
            except Exception as exc:  # noqa: BLE001 - a job thread must record any failure, not die silently
                # The exception's text can name the server's folders: the log has it, the user gets a reference.
                job.status, job.error = "failed", f"internal error ({type(exc).__name__}); the server's log has the details"
                traceback.print_exc()
            finally:
                if job.workdir is not None:
                    shutil.rmtree(job.workdir, ignore_errors=True)


def new_workdir() -> Path:
    """A private temporary folder for one upload."""
    return Path(tempfile.mkdtemp(prefix="bigcats-upload-"))
