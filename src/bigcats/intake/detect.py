"""Guess a source's format from what it holds, so users need not say."""

from __future__ import annotations

import json
from pathlib import Path

from bigcats.intake.formats import FORMATS
from bigcats.intake.images import JPEG_SUFFIXES
from bigcats.intake.video import VIDEO_SUFFIXES
from bigcats.intake.report import IntakeError
from bigcats.intake.tables import read_table
from bigcats.problems import Problem



def _header(path: Path) -> set[str]:
    try:
        return set(read_table(path).columns)
    except IntakeError:
        return set()


def camtrapr_role(path: Path) -> str | None:
    """'stations', 'records' or 'timeshift' for a camtrapR-style table, else None."""
    cols = {c.lower() for c in _header(path)}
    if {"setup_date", "retrieval_date"} <= cols:
        return "stations"
    if "timeshift" in cols:
        return "timeshift"
    if {"station", "species", "datetimeoriginal"} <= cols:
        return "records"
    return None


def detect_format(source: str | Path) -> str:
    """One of FORMATS for a folder, JSON, CSV/XLSX or zip; refuses with a hint when it cannot tell."""
    src = Path(source)
    if not src.exists():
        raise IntakeError([Problem("missing-file", "no such file or folder", file=str(src))], str(src))
    if src.is_dir():
        if (src / "datapackage.json").exists():
            return "camtrapdp"
        if any(src.glob("*images*.csv")) and any(src.glob("*deployments*.csv")):
            return "wildinsights"
        if any(camtrapr_role(p) for p in sorted(src.glob("*.csv")) + sorted(src.glob("*.xlsx"))):
            return "camtrapr"
        from bigcats.intake.plaintable import sniff  # a deployments table and a records table, any names

        if sniff(src):
            return "table"
        for p in src.rglob("*"):
            if p.suffix.lower() in JPEG_SUFFIXES or p.suffix.lower() in VIDEO_SUFFIXES:
                return "images"  # photos and videos: media of a card
    else:
        suffix = src.suffix.lower()
        if suffix == ".zip":
            return "camtrapdp"
        if suffix == ".json":
            try:
                data = json.loads(src.read_text(encoding="utf-8-sig"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                data = {}
            if isinstance(data, dict):
                if "detection_categories" in data and "images" in data:
                    return "megadetector"
                if "predictions" in data:
                    return "speciesnet"
                if "resources" in data:
                    return "camtrapdp"
        if suffix in (".csv", ".xlsx", ".txt", ".tsv") and camtrapr_role(src):
            return "camtrapr"
    raise IntakeError([Problem("unknown-format", f"cannot tell the format; give --format ({', '.join(FORMATS)})",
                               file=str(src))], str(src))
