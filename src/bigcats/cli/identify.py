"""`bigcats identify ...`: generate synthetic coats, index a catalogue, match photos, evaluate, reconcile.

These commands take folders and files; `match --propose` and `batch --propose` store the candidates in the
database as pending proposals for `bigcats catalogue review`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    side: Annotated[str, typer.Option(help="left, right or unknown flank (unknown: compared with both)")] = "left",
    threshold: Annotated[float | None, typer.Option(help="best score below which the photo is a new individual")] = None,
    box: Annotated[str | None, typer.Option(help="bounding box x,y,w,h of the animal (default: the box stored on --observation, e.g. drawn in the review page)")] = None,
    detector: Annotated[Path | None, typer.Option(help="an ONNX animal detector (e.g. MegaDetector v5 exported) to find the box")] = None,
    station: Annotated[str | None, typer.Option(help="the photo's station, to ignore scenery shared with its catalogue photos")] = None,
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
        img = load_image(image)
        if bbox is None and observation is not None:  # a box a person drew in the review page beats a detector's
            from bigcats.identify.catalogue import observation_box
            from bigcats.store.db import open_store

            bbox = observation_box(open_store(db), observation, img.shape)
        if bbox is None and detector is not None:
            from bigcats.identify.detector import OnnxDetector

            bbox = OnnxDetector(detector).best_box(img)
            if bbox is None:
                raise UnidentifiableImage("no_animal", f"the detector {detector.name} found no animal", str(image))
        res = match_image(img, load(index), _species(species), side.lower(), bbox, params, source=str(image), station=station)
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


def _evaluation_tables(result: dict) -> object:
    """Rich tables of an evaluation: by photo and by encounter, the operating point, per individual, errors."""
    from rich.console import Group
    from rich.table import Table

    def pct(m: dict, k: str) -> str:
        ci = m.get("ci95", {}).get(k)
        return f"{m[k]:.1%}" + (f" ({ci[0]:.0%}–{ci[1]:.0%})" if ci else "")

    t = Table(title=f"Identification on {result['folder']}: {result['photos']} photos, {len(result['refused'])} refused")
    for col in ("level", "queries", "top-1", "top-5", "mAP", "false new", "wrong match", "open-set known", "threshold"):
        t.add_column(col)
    rows = [("by photo", result), ("by encounter", result["by_encounter"])]
    if "operating_point" in result:
        rows.append((f"by encounter at the operating point (wrong match ≤ {result['operating_point']['max_wrong_match']:.0%})", result["operating_point"]["by_encounter"]))
    comp = result.get("comparable")
    if comp and "by_encounter" in comp:
        rows.append((f"comparable encounters ({comp['comparable']} of {comp['encounters']}, top-1 ceiling {comp['top1_ceiling']:.0%})", comp["by_encounter"]))
    for name, m in rows:
        t.add_row(name, str(m["queries"]), pct(m, "top1"), pct(m, "top5"), f"{m['mAP']:.2f}", pct(m, "false_new_rate"),
                  pct(m, "wrong_match_rate"), pct(m, "open_set_wrong_match_rate"), f"{m['threshold']:.2f}")
    prior = result.get("size_prior")
    if prior:  # the base rate a matcher must beat on an imbalanced catalogue
        t.add_row("no photo looked at: cats ranked by their photos", str(prior["queries"]), f"{prior['top1']:.1%}", f"{prior['top5']:.1%}",
                  "", "", "", "", "")
    ind = Table(title="Per individual, by encounter (at the operating point)")
    per = result["per_individual"]
    for col in per.columns:
        ind.add_column(col)
    for rec in per.itertuples(index=False):
        ind.add_row(*(str(v) for v in rec))
    err = Table(title="Where the remaining errors come from (encounters whose cat is not first)")
    err.add_column("reason")
    err.add_column("encounters")
    reasons = result["errors"]["reasons"].str.split("; ").explode().value_counts() if len(result["errors"]) else {}
    for k, v in dict(reasons).items():
        err.add_row(str(k), str(v))
    return Group(t, ind, err)


@app.command()
def evaluate(
    folder: Path,
    threshold: Annotated[float | None, typer.Option(help="new-individual threshold on the verified score (default: the matcher's)")] = None,
    max_wrong_match: Annotated[float, typer.Option(help="wrong-match rate by encounter the operating point may not exceed")] = 0.05,
    pool: Annotated[str, typer.Option(help="how an encounter's photos are pooled per candidate: max, sum or mean")] = "mean",
    static_background: Annotated[bool, typer.Option(help="drop keypoints that repeat at the same station (needs a station column)")] = True,
    burst_background: Annotated[bool, typer.Option(help="crop photos without a box to what differs from their burst's median")] = True,
    bootstrap: Annotated[int, typer.Option(help="bootstrap resamples of encounters for the 95% intervals (0: none)")] = 1000,
    curve_out: Annotated[Path | None, typer.Option(help="write the false-new/wrong-match curve by encounter as CSV")] = None,
    errors_out: Annotated[Path | None, typer.Option(help="write every encounter whose cat is not first, with the likely reason, as CSV")] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="keep each photo's features here (keyed by its bytes, box and settings): a re-run only re-matches")] = None,
    leave_out: Annotated[str, typer.Option(help="what each query leaves out of the catalogue: encounter, or station (no shared scenery can help)")] = "encounter",
    views: Annotated[Path | None, typer.Option(help="an audit CSV (individual,encounter,regions) of the body regions each encounter shows: adds the figures on comparable encounters and the ceiling")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluate on a labelled folder: top-1, top-5, mAP and open-set rates by photo and by encounter, with intervals."""
    from bigcats.identify.evaluate import evaluate_folder

    try:
        result = evaluate_folder(folder, threshold, pool=pool, max_wrong_match=max_wrong_match, n_boot=bootstrap,
                                 static_background=static_background, burst_background=burst_background, cache_dir=cache_dir,
                                 views=views, leave_out=leave_out)
    except IdentifyError as err:
        fail(str(err))
    if curve_out is not None:
        result["curve"].to_csv(curve_out, index=False)
    if errors_out is not None:
        result["errors"].to_csv(errors_out, index=False)
    human = _evaluation_tables(result)
    result.pop("queries_table")
    result.pop("encounter_table")
    result["curve"] = result["curve"].to_dict(orient="records")
    result["per_individual"] = result["per_individual"].to_dict(orient="records")
    result["errors"] = result["errors"].to_dict(orient="records")
    emit(result, as_json, human)


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
    import pandas as pd

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
