"""`bigcats report`: a species' status report (or public brochure) for an area and period, in en/ru/zh/mn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bigcats.cli.common import DbOption, JsonOption, emit, fail
from bigcats.report.errors import ReportError


def report(
    species: Annotated[str, typer.Option("--species", help="Scientific or common name, e.g. 'Panthera tigris altaica' or 'Amur tiger'.")],
    area: Annotated[str, typer.Option("--area", help="all, a country side (RUS, CHN, MNG), a partner code or a protected area.")] = "all",
    period: Annotated[str, typer.Option("--period", help="2024, 2024-03, 2024-03-15 or FROM/TO, e.g. 2023-11/2024-04 (default: all the data).")] = "",
    language: Annotated[list[str] | None, typer.Option("--language", help="en, ru, zh or mn; repeat for several.")] = None,
    format: Annotated[list[str] | None, typer.Option("--format", help="html or pdf; repeat for both (default: both).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the reports.")] = Path("reports"),
    db: DbOption = None,
    as_json: JsonOption = False,
    brochure: Annotated[bool, typer.Option("--brochure", help="The short public brochure (locations generalised) instead of the full report.")] = False,
) -> None:
    """Write the status report of a species for an area and period: effort, detections, RAI, activity, individuals."""
    from bigcats.report.builder import build_status
    from bigcats.report.inputs import load_inputs
    from bigcats.report.render import render
    from bigcats.store.db import open_store

    languages = language or ["en"]
    formats = tuple(format or ["html", "pdf"])
    try:
        status = build_status(load_inputs(open_store(db)), species, area, period)
        written = [render(status, lang, out, formats=formats, kind="brochure" if brochure else "status")
                   for lang in languages]
    except ReportError as exc:
        fail(str(exc))
        return
    result = {"species": status.species, "area": status.area.code, "kind": "brochure" if brochure else "status",
              "files": {r.language: {k: str(v) for k, v in r.files.items()} for r in written},
              "numbers": status.to_dict()}
    table = Table(title=f"{status.species}: {'brochure' if brochure else 'status report'}")
    table.add_column("language")
    table.add_column("files")
    for r in written:
        table.add_row(r.language, "\n".join(str(v) for v in r.files.values()))
    emit(result, as_json, human=table)
