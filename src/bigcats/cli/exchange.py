"""`bigcats import ...`, `bigcats export ...` and `bigcats validate`: Camtrap DP in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bigcats.cli.errors import BigcatsTyper
from rich.table import Table

from bigcats.cli.common import DbOption, JsonOption, emit, fail

import_app = BigcatsTyper(help="Import partners' data into the database.", no_args_is_help=True)
export_app = BigcatsTyper(help="Export data from the database.", no_args_is_help=True)


@import_app.command("camtrap-dp")
def import_camtrap_dp(
    path: Annotated[Path, typer.Argument(help="Package folder, its datapackage.json, or a .zip.")],
    partner: Annotated[str, typer.Option(help="Code of the partner the data belongs to, e.g. LLNP.")],
    partner_name: Annotated[str | None, typer.Option(help="Full name of the partner, if new.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO3 country of the partner's stations, e.g. RUS.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a Camtrap DP package: validated first, all-or-nothing, never duplicated."""
    from bigcats.cli.progress import stage_progress
    from bigcats.exchange.camtrapdp.importer import import_package
    from bigcats.store.db import open_store

    engine = open_store(db)
    # A refused package (DataError) goes to the CLI's one error handler: its problems, exit code 1.
    with stage_progress(enabled=not as_json) as progress:
        result = import_package(engine, path, partner, partner_name, country, progress=progress)
    for note in result.notes if not as_json else ():
        from bigcats.cli.common import console

        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    emit(result.to_dict(), as_json, human=_added_table(result.to_dict()))


def _added_table(result: dict) -> Table:
    table = Table(title=f"Imported {result['source']} for {result['partner']}")
    table.add_column("table")
    table.add_column("rows read", justify="right")
    table.add_column("rows added", justify="right")
    for name in sorted(set(result["rows_read"]) | set(result["added"])):
        table.add_row(name, str(result["rows_read"].get(name, "")), str(result["added"].get(name, 0)))
    return table


@export_app.command("camtrap-dp")
def export_camtrap_dp(
    out: Annotated[Path, typer.Argument(help="Folder to write the package to.")],
    partner: Annotated[str | None, typer.Option(help="Only this partner's data.")] = None,
    project: Annotated[str | None, typer.Option(help="Only this project (its package id or name).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export all data, one partner's or one project's, as a Camtrap DP 1.0 package."""
    from bigcats.cli.progress import stage_progress
    from bigcats.exchange.camtrapdp.exporter import export_package
    from bigcats.store.db import open_store

    engine = open_store(db)
    try:
        with stage_progress(enabled=not as_json) as progress:
            result = export_package(engine, out, partner=partner, project=project, progress=progress)
    except LookupError as exc:
        fail(str(exc))
    emit(result.to_dict(), as_json)


@export_app.command("dwc")
def export_dwc(
    out: Annotated[Path, typer.Argument(help="The Darwin Core Archive to write, e.g. occurrences.zip.")],
    partner: Annotated[str | None, typer.Option(help="Only this partner's data.")] = None,
    project: Annotated[str | None, typer.Option(help="Only this project (its package id or name).")] = None,
    species: Annotated[list[str] | None, typer.Option(help="Only these scientific names (repeat the option).")]
    = None,
    observation_level: Annotated[str | None, typer.Option(help="event or media (default: events where a project "
                                                          "has them)")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export animal observations as a Darwin Core Archive for GBIF (occurrences, media, meta.xml, eml.xml).

    Locations are published as the public may see them: stations where a sensitive species was recorded are
    generalised to 10 km cells.
    """
    import zipfile

    from bigcats.exchange.dwc import export_dwca
    from bigcats.store.db import open_store

    if observation_level not in (None, "event", "media"):
        fail(f"--observation-level: event or media, not {observation_level!r}", 2)
    try:
        path = export_dwca(open_store(db), out, partner=partner, project=project, species=species,
                           observation_level=observation_level)
    except LookupError as exc:
        fail(str(exc), 1)
    with zipfile.ZipFile(path) as zf:
        rows = {n: max(0, zf.read(n).count(b"\n") - 1) for n in ("occurrence.csv", "multimedia.csv")}
    emit({"path": str(path), "occurrences": rows["occurrence.csv"], "media": rows["multimedia.csv"]}, as_json)


def validate(
    path: Annotated[Path, typer.Argument(help="Package folder, its datapackage.json, or a .zip.")],
    frictionless: Annotated[bool, typer.Option(help="Also run frictionless' own validation.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Check a Camtrap DP package against the shipped 1.0 profile and schemas, changing nothing.

    A package declaring an older Camtrap DP (0.1.6, 1.0-rc.1, ...) is checked after upgrading it to 1.0, and its
    problems name the package's own columns. Exit code 1 when anything is wrong.
    """
    from bigcats.exchange.camtrapdp.importer import check_package

    result = check_package(path, frictionless=frictionless)
    if as_json:
        emit(result, True)
    else:
        from bigcats.cli.common import console

        verdict = "valid" if result["valid"] else "INVALID"
        console.print(f"[bold]{verdict}[/] {path}", highlight=False, soft_wrap=True)
        for note in result["notes"]:
            console.print(f"note: {note}", highlight=False, soft_wrap=True)
        for p in result["problem_lines"][:SHOWN]:
            console.print(p, highlight=False, markup=False, soft_wrap=True)
        if result["total"] > SHOWN:
            console.print(f"... and {result['total'] - SHOWN:,} more problem(s) ({result['rest']})",
                          highlight=False, markup=False, soft_wrap=True)
        for w in result["warning_lines"][:10]:
            console.print(f"warning: {w}", highlight=False, markup=False, soft_wrap=True)
        if len(result["warnings"]) > 10:
            console.print(f"... and {len(result['warnings']) - 10:,} more warning(s) (--json lists them all)",
                          highlight=False)
    if not result["valid"]:
        raise typer.Exit(1)


SHOWN = 20
