"""Shared fixtures: databases on SQLite and on the private PostgreSQL server, and the shared data folder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-data folder beside the repository."""
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not present beside the repository")
    return SHARED_DATA


def _pg_url() -> str | None:
    return os.environ.get("BIGCATS_TEST_PG_URL")


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """A new, empty database: an SQLite file in folder, or a new database on the test PostgreSQL server."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'bigcats-{uuid.uuid4().hex[:8]}.db'}"
        return
    base = _pg_url()
    if not base:
        if os.environ.get("CI"):
            pytest.fail("BIGCATS_TEST_PG_URL is not set in CI: scripts/test.sh must start PostgreSQL")
        pytest.skip("PostgreSQL not started (run the suite through scripts/test.sh)")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def new_database():
    """The `fresh_database(backend, folder)` context manager, for fixtures that need more than one database."""
    return fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    """A fresh, empty database URL: an SQLite file, or a new schema-less database on the test PostgreSQL server."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A fresh SQLite database URL (for tests that need only the laptop default)."""
    return f"sqlite:///{tmp_path / 'bigcats.db'}"


@contextmanager
def serve_in_thread(app) -> Iterator[str]:
    """An ASGI app served by uvicorn on a free loopback port, in a thread; yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def serve_app():
    """The `serve_in_thread(app)` context manager, for tests that drive a live server."""
    return serve_in_thread


# --- Missing services are loud -------------------------------------------------------------------------------------
# A test that cannot run because PostgreSQL, Chromium or the PDF engine is missing is a skip on a user's machine,
# listed in a warning at the end of the run; in CI (CI=true) it is a failure with the reason, so that a suite whose
# services did not start never passes in silence.
SERVICES = {
    "PostgreSQL": ("postgresql", "bigcats_test_pg_url"),
    "Chromium": ("chromium", "playwright"),
    "PDF engine (Pango/WeasyPrint)": ("pango", "weasyprint", "pdf engine"),
    "poppler-utils": ("poppler", "pdffonts", "pdftoppm"),
}


def missing_service(reason: str) -> str | None:
    """The service a skip reason says is missing, or None for an ordinary skip."""
    text = reason.lower()
    for service, words in SERVICES.items():
        if any(word in text for word in words):
            return service
    return None


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or not _in_ci() or getattr(report, "wasxfail", None) is not None:
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    service = missing_service(reason)
    if service:
        report.outcome = "failed"
        report.longrepr = f"CI=true and {service} is missing, so this test could not run: {reason}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    counts: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        service = missing_service(reason)
        if service:
            counts[service] = counts.get(service, 0) + 1
    if counts:
        listed = ", ".join(f"{service}: {n} tests" for service, n in sorted(counts.items()))
        terminalreporter.write_sep("!", "WARNING: services missing, tests skipped", yellow=True, bold=True)
        terminalreporter.write_line(f"Skipped because a service is missing ({listed}). Run `bash scripts/test.sh` "
                                    "as root (or with sudo) so that scripts/system-deps.sh and scripts/postgres.sh "
                                    "can install and start them; with CI=true these are failures.", yellow=True)
