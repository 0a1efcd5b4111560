"""`bigcats identify ...`: generate synthetic coats, index a catalogue, match photos, evaluate, reconcile.

These commands take folders and files; `match --propose` and `batch --propose` store the candidates in the
database as pending proposals for `bigcats catalogue review`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from bigcats.cli.errors import BigcatsTyper

from bigcats.cli.common import DbOption, JsonOption, emit, fail
from bigcats.identify.errors import IdentifyError, UnidentifiableImage

app = BigcatsTyper(help="Individual identification from coat patterns.", no_args_is_help=True)


def _species(name: str) -> str:
    from bigcats.identify.coats import SPECIES

    return SPECIES.get(name.replace("-", "_").lower(), name)


@app.command()
def generate(
    out: Path,
    individuals: Annotated[int, typer.Option("--individuals", "-n")] = 50,
    photos: Annotated[int, typer.Option("--photos", "-m")] = 6,
    species: Annotated[str, typer.Option(help="tiger, leopard or snow_leopard")] = "tiger",
    level: Annotated[str, typer.Option(help="easy, moderate or hard")] = "moderate",
    seed: int = 0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a synthetic camera-trap photo set <individual>/<image>.jpg with labels.csv."""
    from bigcats.identify.coats import generate_dataset

    try:
        labels = generate_dataset(out, individuals, photos, species, level, seed)
    except IdentifyError as err:
        fail(str(err))
    emit({"folder": str(out), "individuals": individuals, "photos": int(len(labels)), "species": species, "level": level}, as_json)


@app.command("index")
def index_cmd(folder: Path, out: Annotated[Path, typer.Option("--out")], db: DbOption = None, as_json: JsonOption = False) -> None:
    """Index a labelled photo folder (labels.csv or <individual>/<image>) into a catalogue folder."""
    from bigcats.identify.index import index_folder, save

    try:
        cat, refused = index_folder(folder)
    except IdentifyError as err:
        fail(str(err))
    save(cat, out)
    emit({"index": str(out), "photos": int(len(cat.images)), "individuals": int(cat.images["individual"].nunique()),
          "partitions": {k: p.size for k, p in cat.partitions.items()}, "refused": refused.to_dict(orient="records")}, as_json)


@app.command()
def match(
    image: Path,
    index: Annotated[Path, typer.Option("--index")],
    species: Annotated[str, typer.Option(help="tiger, leopard, snow_leopard or a scientific name")] = "tiger",
    side: Annotated[str, typer.Option(help="left or right flank")] = "left",
    threshold: Annotated[float | None, typer.Option(help="best score below which the photo is a new individual")] = None,
    box: Annotated[str | None, typer.Option(help="bounding box x,y,w,h of the animal")] = None,
    top: int = 10,
    propose: Annotated[bool, typer.Option(help="store the top 3 candidates as pending proposals in the database")] = False,
    observation: Annotated[int | None, typer.Option(help="the photo's observation id in the database")] = None,
    partner: Annotated[str | None, typer.Option(help="partner whose photo it is (who may review it)")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rank the catalogue's individuals for a photo and say whether it is probably a new individual."""
    from bigcats.identify.features import load_image
    from bigcats.identify.index import load
    from bigcats.identify.match import MatchParams, match_image

    try:
        bbox = tuple(int(v) for v in box.split(",")) if box else None
        if bbox is not None and len(bbox) != 4:
            raise IdentifyError(f"--box {box!r}: expected four integers x,y,w,h")
        params = MatchParams() if threshold is None else MatchParams(threshold=threshold)
        res = match_image(load_image(image), load(index), _species(species), side, bbox, params, source=str(image))
    except UnidentifiableImage as err:
        emit({"image": str(image), "decision": "unidentifiable", "reason": err.reason, "detail": err.detail}, as_json)
        raise typer.Exit(1)
    except (IdentifyError, ValueError) as err:
        fail(str(err))
    out = {"image": str(image), **res.to_dict(top)}
    if propose:
        from bigcats.identify.catalogue import propose as store, proposals_from_match
        from bigcats.store.db import open_store

        rows = proposals_from_match(res).assign(image=str(image), observation_id=observation,
                                                scientificName=_species(species), side=side)
        try:
            out["proposed"] = store(open_store(db), rows, partner=partner)
        except IdentifyError as err:
            fail(str(err))
    emit(out, as_json)


@app.command()
def evaluate(
    folder: Path,
    threshold: Annotated[float | None, typer.Option(help="new-individual threshold on the verified score")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Leave-one-encounter-out evaluation: top-1, top-5, mAP, false-new and wrong-match rates."""
    from bigcats.identify.evaluate import evaluate_folder

    try:
        result = evaluate_folder(folder, threshold)
    except IdentifyError as err:
        fail(str(err))
    result.pop("queries_table")
    emit(result, as_json)


@app.command()
def reconcile(folder_a: Path, folder_b: Path, threshold: float | None = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Propose pairs of individuals in two partners' catalogues (photo folders) that are the same animal."""
    from bigcats.identify.match import MatchParams
    from bigcats.identify.reconcile import reconcile_folders

    try:
        pairs, refused = reconcile_folders(folder_a, folder_b, MatchParams() if threshold is None else MatchParams(threshold=threshold))
    except IdentifyError as err:
        fail(str(err))
    emit({"proposed": pairs[pairs["proposed"]].to_dict(orient="records"), "pairs": int(len(pairs)), "refused": refused.to_dict(orient="records")}, as_json)


@app.command("import-wildbook")
def import_wildbook(export: Path, labels: Annotated[Path | None, typer.Option(help="write a labels.csv for index/evaluate")] = None, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Read a Wildbook/Whiskerbook encounter export (CSV/XLSX) and summarise it, optionally as labels.csv."""
    from bigcats.identify.wildbook import read_encounters, to_labels

    try:
        enc = read_encounters(export)
    except IdentifyError as err:
        fail(str(err))
    if labels is not None:
        to_labels(enc).to_csv(labels, index=False)
    emit({"encounters": int(len(enc)), "individuals": int(enc["individualID"].nunique()), "unassigned": int(enc["individualID"].isna().sum()),
          "sides": enc["side"].value_counts(dropna=False).rename(index=lambda s: str(s)).to_dict(), "labels": str(labels) if labels else None}, as_json)


@app.command()
def batch(
    photos: Path,
    index: Annotated[Path, typer.Option("--index")],
    out: Annotated[Path, typer.Option("--out")],
    address: Annotated[str | None, typer.Option(help="Dask scheduler address; default a local cluster")] = None,
    workers: int = 2,
    propose: Annotated[bool, typer.Option(help="store the candidates as pending proposals in the database")] = False,
    partner: Annotated[str | None, typer.Option(help="partner whose photos they are (who may review them)")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Identify a CSV of photos (image,scientificName,side[,x,y,w,h,observation_id,media_id]) on Dask; write the results CSV."""
    from bigcats.identify.batch import identify_batch

    try:
        table = pd.read_csv(photos)
        res = identify_batch(table, index, address=address, n_workers=workers, root=photos.parent)
    except IdentifyError as err:
        fail(str(err))
    res.to_csv(out, index=False)
    summary = {"photos": int(len(res)), "status": res["status"].value_counts().to_dict(), "out": str(out)}
    if propose:
        from bigcats.identify.catalogue import propose as store, proposals_from_batch
        from bigcats.store.db import open_store

        try:
            summary["proposed"] = store(open_store(db), proposals_from_batch(res, table), partner=partner)
        except IdentifyError as err:
            fail(str(err))
    emit(summary, as_json)
