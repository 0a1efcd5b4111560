"""Uploads: archives checked before anything is read from them, then imported in the background as a job.

An archive is refused if any member's path would leave the folder it is unpacked into (`../`, absolute paths,
drive letters, links), if it holds too many files, if the files would unpack to more than the size limit, or if
any member is compressed more than a zip bomb's ratio. Progress and the intake report are kept per job.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import traceback
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bigcats.core.archives import ArchiveLimits, check_members, open_archive, safe_unpack
from bigcats.web.errors import WebError

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
MAX_UNPACKED_BYTES = 4 * 1024 * 1024 * 1024
MAX_MEMBERS = 200_000
MAX_RATIO = 200  # text CSV compresses ~10-20x; a 1 GB file of zeros compresses ~1000x
RATIO_FLOOR = 64 * 1024  # below this, a member's ratio says nothing (a small CSV of repeated values)
KINDS = ("camtrapdp", "images")


def _limits(max_unpacked: int, max_members: int, max_ratio: float) -> ArchiveLimits:
    return ArchiveLimits(max_unpacked=max_unpacked, max_members=max_members, max_ratio=max_ratio,
                         ratio_floor=RATIO_FLOOR)


def check_archive(path: str | Path, max_unpacked: int = MAX_UNPACKED_BYTES, max_members: int = MAX_MEMBERS,
                  max_ratio: float = MAX_RATIO) -> list[zipfile.ZipInfo]:
    """The members of a zip archive if it is safe to unpack, else a WebError naming the offending member."""
    name = Path(path).name
    with open_archive(path, name, WebError) as archive:
        return check_members(archive, name, _limits(max_unpacked, max_members, max_ratio), WebError)


def safe_extract(path: str | Path, dest: str | Path, max_unpacked: int = MAX_UNPACKED_BYTES,
                 max_members: int = MAX_MEMBERS, max_ratio: float = MAX_RATIO) -> Path:
    """Unpack a checked archive into dest, counting bytes as they come (headers can lie about sizes)."""
    return safe_unpack(path, dest, _limits(max_unpacked, max_members, max_ratio), error=WebError)


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
