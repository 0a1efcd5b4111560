"""`bigcats import ...`, `bigcats export ...` and `bigcats validate`: Camtrap DP in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bigcats.cli.errors import BigcatsTyper
from rich.table import Table

from bigcats.cli.common import DbOption, JsonOption, emit, fail
from bigcats.cli.progress import stage_progress
from bigcats.problems import DataError

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
    from bigcats.exchange.camtrapdp.importer import import_package
    from bigcats.store.db import open_store

    engine = open_store(db)
    try:
        with stage_progress(enabled=not as_json) as progress:
            result = import_package(engine, path, partner, partner_name, country, progress=progress)
    except DataError as exc:
        if as_json:
            emit({"error": "refused", "problems": [p.to_dict() for p in exc.problems.problems],
                  "total": exc.problems.total}, True)
            raise typer.Exit(1) from exc
        fail(str(exc), 1)
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
    from bigcats.exchange.camtrapdp.exporter import export_package
    from bigcats.store.db import open_store

    engine = open_store(db)
    try:
        with stage_progress(enabled=not as_json) as progress:
            result = export_package(engine, out, partner=partner, project=project, progress=progress)
    except LookupError as exc:
        fail(str(exc))
    emit(result.to_dict(), as_json)


def validate(
    path: Annotated[Path, typer.Argument(help="Package folder, its datapackage.json, or a .zip.")],
    frictionless: Annotated[bool, typer.Option(help="Also run frictionless' own validation.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Check a Camtrap DP package against the shipped 1.0 profile and schemas, changing nothing."""
    from bigcats.exchange.camtrapdp.importer import validate_package
    from bigcats.exchange.camtrapdp.package import open_package
    from bigcats.exchange.camtrapdp.validate import validate_with_frictionless

    try:
        package = open_package(path)
        problems, _ = validate_package(package)
        fl = [p.to_dict() for p in validate_with_frictionless(package)] if frictionless else None
    except DataError as exc:
        problems = exc.problems
        fl = None
    result = {"path": str(path), "valid": not problems, "problems": [p.to_dict() for p in problems.problems],
              "total": problems.total, "warnings": [w.to_dict() for w in problems.warnings]}
    if fl is not None:
        result["frictionless"] = fl
    if as_json:
        emit(result, True)
    else:
        from bigcats.cli.common import console

        console.print(f"[bold]{'valid' if result['valid'] else 'INVALID'}[/] {path}")
        console.print(problems.summary()) if problems else None
        for w in problems.warnings[:10]:
            console.print(f"[yellow]warning:[/] {w}")
    if problems:
        raise typer.Exit(1)
