"""`bigcats report`: a species' status report (or public brochure) for an area and period, in en/ru/zh/mn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bigcats.cli.common import DbOption, JsonOption, console, emit


def _population(inputs, species: str) -> tuple[list[dict] | None, object]:
    """SCR numbers and movement of the species from the store's confirmed identifications, if they can be fitted."""
    from bigcats.population.errors import PopulationError
    from bigcats.population.movement import individual_movement
    from bigcats.report.builder import resolve_species
    from bigcats.survey.density import estimate_density

    name = resolve_species(inputs.species, species)
    try:
        est = estimate_density(inputs.frames, name)
    except PopulationError as exc:
        # The report then says "not estimated"; the reason goes to the console, never a number that looks right.
        console.print(f"[yellow]density not estimated:[/] {exc}")
        return None, None
    return est.report_rows(), individual_movement(est.inputs.detections).assign(scientificName=name)


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
    density: Annotated[bool, typer.Option(help="Estimate density and numbers by capture-recapture from the confirmed identifications (takes seconds).")] = True,
) -> None:
    """Write the status report of a species for an area and period: effort, detections, RAI, activity, individuals."""
    from bigcats.report.builder import build_status
    from bigcats.report.inputs import load_inputs
    from bigcats.report.render import render
    from bigcats.store.db import open_store

    languages = language or ["en"]
    formats = tuple(format or ["html", "pdf"])
    inputs = load_inputs(open_store(db))
    # A fit uses the whole survey: shown only in reports of the whole area and period, never misattributed.
    whole = area == "all" and not period
    population, movement = _population(inputs, species) if density and whole else (None, None)
    status = build_status(inputs, species, area, period, population=population, movement=movement)
    written = [render(status, lang, out, formats=formats, kind="brochure" if brochure else "status")
               for lang in languages]
    result = {"species": status.species, "area": status.area.code, "kind": "brochure" if brochure else "status",
              "files": {r.language: {k: str(v) for k, v in r.files.items()} for r in written},
              "numbers": status.to_dict()}
    table = Table(title=f"{status.species}: {'brochure' if brochure else 'status report'}")
    table.add_column("language")
    table.add_column("files")
    for r in written:
        table.add_row(r.language, "\n".join(str(v) for v in r.files.values()))
    emit(result, as_json, human=table)
