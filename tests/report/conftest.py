"""One simulated survey in a database, one status report built from it, rendered in four languages (module-wide)."""

from __future__ import annotations

import shutil

import pytest

from bigcats.demo.pipeline import run_demo
from bigcats.report import build_status, load_inputs, render
from bigcats.store.db import open_store

TIGER = "Panthera tigris altaica"


def _tools() -> None:
    for tool in ("pdftotext", "pdftoppm", "pdffonts"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: scripts/system-deps.sh installs poppler-utils")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> dict:
    """The demo's simulated survey imported into its own SQLite database."""
    out = tmp_path_factory.mktemp("reportdemo")
    result = run_demo(out, seed=1, quick=True)  # every step, on the 100-station survey
    return {"out": out, "engine": open_store(str(out / "bigcats-demo.db")), "summary": result.summary}


@pytest.fixture(scope="session")
def inputs(demo_db):
    """What a report reads from the store."""
    return load_inputs(demo_db["engine"])


@pytest.fixture(scope="session")
def status(inputs):
    """The tiger's status report numbers for the whole area in 2024 (few bootstrap replicates: tests, not results)."""
    return build_status(inputs, TIGER, "all", "2024", n_boot=100)


@pytest.fixture(scope="session")
def rendered(status, tmp_path_factory) -> dict:
    """The status report in en, ru, zh and mn, and the public brochure in en and zh, as HTML and PDF."""
    _tools()
    out = tmp_path_factory.mktemp("reports")
    done = {}
    for lang in ("en", "ru", "zh", "mn"):
        done[("status", lang)] = render(status, lang, out, kind="status")
    for lang in ("en", "zh"):
        done[("brochure", lang)] = render(status, lang, out, kind="brochure")
    return done
