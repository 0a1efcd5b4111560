"""`bigcats catalogue ...`: the individual catalogue in the database, and `catalogue review ...`, its review queue.

A thin layer over bigcats.identify.catalogue: list and show individuals, merge, split, undo, the decision
history, Wildbook import and export, and the review of proposed identifications (confirm, reject, new).
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bigcats.cli.errors import BigcatsTyper

from bigcats.cli.common import DbOption, JsonOption, emit, fail
from bigcats.identify.errors import IdentifyError

app = BigcatsTyper(help="The individual catalogue: aliases, merges, splits, undo, Wildbook.", no_args_is_help=True)
review_app = BigcatsTyper(help="Review proposed identifications: confirm, reject or declare a new individual.",
                         no_args_is_help=True)
app.add_typer(review_app, name="review")

WhoOption = Annotated[str | None, typer.Option("--who", help="Reviewer recorded with the decision (default: login name).")]
SpeciesOption = Annotated[str | None, typer.Option("--species", help="any name of the species: tiger, Amur leopard, ирбис, 雪豹, a scientific name...")]
PartnerOption = Annotated[str | None, typer.Option("--partner", help="the code is this partner's own code (an alias)")]


def _engine(db: str | None):
    from bigcats.store.db import open_store

    return open_store(db)


def _species(name: str | None) -> str | None:
    """The scientific name for any name of the species (the one resolver; 'snow_leopard' reads as 'snow leopard')."""
    from bigcats.taxonomy.resolve import resolve_species

    return None if name is None else resolve_species(name.replace("_", " "))


def _who(who: str | None) -> str:
    return who or getpass.getuser()


def _resolve(engine, code: str, species: str | None, partner: str | None) -> int:
    from bigcats.identify.catalogue import individual_id

    with engine.connect() as conn:
        return individual_id(conn, code, _species(species), partner)


def _records(frame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


@app.command("list")
def list_cmd(species: SpeciesOption = None, merged: Annotated[bool, typer.Option(help="include retired (merged) codes")] = False,
             db: DbOption = None, as_json: JsonOption = False) -> None:
    """Individuals of the catalogue with their partner codes, first and last seen, photos per flank."""
    from bigcats.identify.catalogue import list_individuals

    try:
        frame = list_individuals(_engine(db), _species(species), include_merged=merged)
    except IdentifyError as err:
        fail(str(err))
    emit({"individuals": _records(frame)}, as_json)


@app.command()
def show(code: str, species: SpeciesOption = None, partner: PartnerOption = None, db: DbOption = None,
         as_json: JsonOption = False) -> None:
    """One individual: aliases, status, sightings, photos per flank and the decisions that concern it."""
    from bigcats.identify.catalogue import history, list_individuals

    try:
        engine = _engine(db)
        ind = _resolve(engine, code, species, partner)
    except IdentifyError as err:
        fail(str(err))
    row = list_individuals(engine, include_merged=True).set_index("id").loc[ind]
    emit({"id": ind, **{k: (None if v != v else v) for k, v in row.to_dict().items()},
          "history": _records(history(engine, ind))}, as_json)


@app.command()
def merge(keep: str, absorb: str, species: SpeciesOption = None, who: WhoOption = None, note: str | None = None,
          db: DbOption = None, as_json: JsonOption = False) -> None:
    """Merge individual ABSORB into KEEP (catalogue codes): aliases, sightings and photos move to KEEP."""
    from bigcats.identify.catalogue import merge as do_merge

    try:
        engine = _engine(db)
        emit(do_merge(engine, _resolve(engine, keep, species, None), _resolve(engine, absorb, species, None), _who(who),
                      note=note), as_json)
    except IdentifyError as err:
        fail(str(err))


@app.command()
def split(code: str, observations: Annotated[str, typer.Option(help="observation ids (database), comma-separated")],
          new_code: Annotated[str | None, typer.Option(help="catalogue code of the new individual")] = None,
          aliases: Annotated[str | None, typer.Option(help="alias ids that go with them, comma-separated")] = None,
          species: SpeciesOption = None, who: WhoOption = None, note: str | None = None, db: DbOption = None,
          as_json: JsonOption = False) -> None:
    """Split observations of CODE off into a new individual (they were another animal)."""
    from bigcats.identify.catalogue import split as do_split

    try:
        obs = [int(v) for v in observations.split(",") if v.strip()]
        al = [int(v) for v in aliases.split(",") if v.strip()] if aliases else None
    except ValueError:
        fail(f"--observations {observations!r} / --aliases {aliases!r}: expected comma-separated ids")
    try:
        engine = _engine(db)
        emit(do_split(engine, _resolve(engine, code, species, None), obs, _who(who), new_code, al, note=note), as_json)
    except IdentifyError as err:
        fail(str(err))


@app.command()
def undo(decision: int, who: WhoOption = None, note: str | None = None, db: DbOption = None,
         as_json: JsonOption = False) -> None:
    """Undo a decision (confirm, reject, new, merge, split, import or an undo) by its id in `history`."""
    from bigcats.identify.catalogue import undo as do_undo

    try:
        emit(do_undo(_engine(db), decision, _who(who), note=note), as_json)
    except IdentifyError as err:
        fail(str(err))


@app.command("history")
def history_cmd(code: Annotated[str | None, typer.Argument(help="only decisions about this individual")] = None,
                species: SpeciesOption = None, partner: PartnerOption = None, db: DbOption = None,
                as_json: JsonOption = False) -> None:
    """The decision log: who decided what, when, and which decisions were undone."""
    from bigcats.identify.catalogue import history

    try:
        engine = _engine(db)
        ind = _resolve(engine, code, species, partner) if code else None
    except IdentifyError as err:
        fail(str(err))
    emit({"decisions": _records(history(engine, ind))}, as_json)


@app.command("import-wildbook")
def import_wildbook(export: Path, species: Annotated[str, typer.Option(help="species of the export")],
                    partner: Annotated[str, typer.Option(help="partner whose codes the export holds")],
                    root: Annotated[Path | None, typer.Option(help="folder the media paths are relative to")] = None,
                    who: WhoOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Bring a Wildbook/Whiskerbook encounter export (CSV/XLSX) into the catalogue (undoable as one decision)."""
    from bigcats.identify.catalogue import import_wildbook as do_import
    from bigcats.identify.wildbook import read_encounters

    from bigcats.identify.encounters import store_encounter_observations

    try:
        engine, name, encounters = _engine(db), _species(species), read_encounters(export)
        result = do_import(engine, encounters, name, partner, _who(who), root=root)
        # Each encounter also becomes an observation (date, station, individual) for capture histories.
        result["observations"] = store_encounter_observations(engine, encounters, name, partner, export.name)
    except IdentifyError as err:
        fail(str(err))
        return
    emit(result, as_json)


@app.command("export-wildbook")
def export_wildbook(out: Path, species: SpeciesOption = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Write the catalogue's reference photos as a Wildbook encounter export (CSV, or XLSX by extension)."""
    from bigcats.identify.catalogue import export_wildbook as do_export
    from bigcats.identify.wildbook import write_encounters

    try:
        frame = do_export(_engine(db), _species(species))
        write_encounters(frame, out)
    except IdentifyError as err:
        fail(str(err))
    emit({"out": str(out), "encounters": int(len(frame)), "individuals": int(frame["individualID"].nunique())}, as_json)


@review_app.command("list")
def review_list(partner: Annotated[str | None, typer.Option(help="only this partner's photos")] = None,
                limit: int = 200, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Proposed identifications awaiting a person, best score first."""
    from bigcats.identify.catalogue import pending

    engine = _engine(db)
    frame = pending(engine, limit=limit)
    if partner:
        frame = frame[frame["partner"] == partner]
    records = _records(frame)
    table = Table(title=f"{len(records)} proposed identification(s) awaiting review")
    for col in ("proposal", "partner", "species", "photo", "candidate", "score"):
        table.add_column(col)
    for r in records:
        table.add_row(str(r.get("id")), str(r.get("partner") or "–"), str(r.get("scientificName") or "–"),
                      Path(str(r.get("image") or "")).name or "–", str(r.get("individual") or "new?"),
                      f"{r['score']:.3g}" if isinstance(r.get("score"), (int, float)) else "–")
    emit({"pending": records}, as_json, human=table)


def _decide(proposal: int, decision: str, who: str | None, db: str | None, as_json: bool, **kwargs) -> None:
    from bigcats.identify.catalogue import decide

    try:
        emit(decide(_engine(db), proposal, decision, _who(who), **kwargs), as_json)
    except IdentifyError as err:
        fail(str(err))


@review_app.command()
def confirm(proposal: int, who: WhoOption = None, note: str | None = None, db: DbOption = None,
            as_json: JsonOption = False) -> None:
    """Confirm a proposal: the photo is that individual (the only way an identification reaches the analyses)."""
    _decide(proposal, "confirm", who, db, as_json, note=note)


@review_app.command()
def reject(proposal: int, who: WhoOption = None, note: str | None = None, db: DbOption = None,
           as_json: JsonOption = False) -> None:
    """Reject a proposal: the photo is not that individual."""
    _decide(proposal, "reject", who, db, as_json, note=note)


@review_app.command()
def new(proposal: int, code: Annotated[str | None, typer.Option(help="catalogue code (default: next free)")] = None,
        partner: Annotated[str | None, typer.Option(help="partner of --partner-code (default: the photo's)")] = None,
        partner_code: Annotated[str | None, typer.Option(help="the partner's own code for the new animal")] = None,
        who: WhoOption = None, note: str | None = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Declare the photo a new individual: a new catalogue code (and the partner's alias)."""
    _decide(proposal, "new", who, db, as_json, code=code, partner=partner, partner_code=partner_code, note=note)


@review_app.command()
def box(proposal: int,
        bbox: Annotated[str | None, typer.Option("--box", help="x,y,width,height relative to the photo (0 to 1), as Camtrap DP's bbox fields")] = None,
        side: Annotated[str | None, typer.Option(help="the flank seen: left, right or unknown")] = None,
        who: WhoOption = None, note: str | None = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Set the animal's box and/or flank on a proposal's photo (as the review page's box tool); undoable."""
    from bigcats.identify.catalogue import set_box

    try:
        parts = [float(v) for v in bbox.split(",")] if bbox else None
        if parts is not None and len(parts) != 4:
            raise IdentifyError(f"--box {bbox!r}: expected four numbers x,y,width,height")
        emit(set_box(_engine(db), proposal, _who(who), parts, side, note=note), as_json)
    except ValueError:
        fail(f"--box {bbox!r}: expected four numbers x,y,width,height")
    except IdentifyError as err:
        fail(str(err))
