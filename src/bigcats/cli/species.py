"""`bigcats species add|list|sensitive`: any taxon with its names in four languages, and where it is sensitive."""

from __future__ import annotations

from typing import Annotated

import typer

from bigcats.cli.errors import BigcatsTyper

from bigcats.cli.common import DbOption, JsonOption, emit

app = BigcatsTyper(help="Species: add any taxon, list them, decide which are sensitive per partner or project.",
                  no_args_is_help=True)


@app.command("add")
def add(
    scientific_name: Annotated[str, typer.Argument(help="Scientific name, e.g. 'Panthera onca'.")],
    en: Annotated[str | None, typer.Option("--en", help="English name.")] = None,
    ru: Annotated[str | None, typer.Option("--ru", help="Russian name.")] = None,
    zh: Annotated[str | None, typer.Option("--zh", help="Chinese name.")] = None,
    mn: Annotated[str | None, typer.Option("--mn", help="Mongolian name.")] = None,
    sensitive: Annotated[bool | None, typer.Option("--sensitive/--not-sensitive", help="Exact locations hidden "
                                                   "(everywhere; use `species sensitive` for one partner).")] = None,
    rank: Annotated[str | None, typer.Option("--rank")] = None,
    group: Annotated[str | None, typer.Option("--group", help="e.g. bigcat, prey, other.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a taxon that the shipped list does not have (or update its names)."""
    from bigcats.store.db import open_store

    from bigcats.store.species import add_species

    row = add_species(open_store(db), scientific_name, {"en": en, "ru": ru, "zh": zh, "mn": mn}, sensitive, rank,
                      group)
    verb = "added" if row["new"] else "updated"
    emit(row, as_json, human=f"{verb} {row['scientificName']} (id {row['id']}, "
                             f"{'sensitive' if row['sensitive'] else 'not sensitive'})")


@app.command("list")
def list_(
    partner: Annotated[str | None, typer.Option("--partner", help="Show sensitivity as it is for this partner.")] = None,
    project: Annotated[str | None, typer.Option("--project", help="... and this project of it.")] = None,
    sensitive_only: Annotated[bool, typer.Option("--sensitive", help="Only sensitive species.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every species in the database with its names and whether its exact locations are hidden."""
    from bigcats.store.db import open_store

    from bigcats.store.species import list_species

    frame = list_species(open_store(db), partner, project)
    if sensitive_only:
        frame = frame[frame["sensitive"]]
    emit(frame.to_dict("records"), as_json, human=frame.fillna("").to_string(index=False))


@app.command("sensitive")
def sensitive(
    scientific_name: Annotated[str, typer.Argument(help="Scientific name.")],
    partner: Annotated[str, typer.Option("--partner", help="Partner whose projects this applies to.")],
    project: Annotated[str | None, typer.Option("--project", help="Only this project of the partner.")] = None,
    no: Annotated[bool, typer.Option("--no", help="Declare it not sensitive there.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Declare a species sensitive (exact locations hidden) for a partner or one of its projects."""
    from bigcats.store.db import open_store

    from bigcats.store.species import set_sensitive

    row = set_sensitive(open_store(db), scientific_name, partner, not no, project)
    where = f"{partner}" + (f" project {project}" if project else "")
    emit(row, as_json, human=f"{row['scientificName']} is {'sensitive' if row['sensitive'] else 'not sensitive'} "
                             f"for {where}")


__all__ = ["app"]
