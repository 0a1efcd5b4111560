"""`bigcats ingest SOURCE --partner NAME`: read a partner's data in its own format; `bigcats labels` checks labels."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer

from bigcats.cli.errors import BigcatsTyper

from bigcats.cli.common import DbOption, JsonOption, emit, fail
from bigcats.intake.formats import FORMATS

app = BigcatsTyper(help="Partner intake: image folders, camtrapR, Wildlife Insights, MegaDetector, SpeciesNet.")


def detect_format_or_none(source: Path) -> str | None:
    """The detected format, or None when bigcats cannot tell (a saved column map may then say 'table')."""
    from bigcats.intake import detect_format
    from bigcats.problems import DataError

    try:
        return detect_format(source)
    except DataError:
        return None


def default_manifest(source: Path) -> Path:
    """Where the resumable manifest of an image folder lives: the user's cache, keyed by the folder's path."""
    key = hashlib.sha1(str(source.resolve()).encode()).hexdigest()[:16]
    folder = Path.home() / ".cache" / "bigcats" / "intake"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{key}.jsonl"


@app.command("ingest")
def ingest(
    source: Annotated[Path, typer.Argument(help="Folder, table, JSON or package to read.")],
    partner: Annotated[str, typer.Option("--partner", help="Partner code (whose data this is).")],
    format: Annotated[str | None, typer.Option("--format", help=f"One of {', '.join(FORMATS)}, odk (form "
                                               "submissions); detected if not given.")] = None,
    pattern: Annotated[str | None, typer.Option("--pattern", help="Path pattern, e.g. '{station}/{species}/*' or "
                                                "'{station}__{date}__{time}*'.")] = None,
    utc_offset: Annotated[str | None, typer.Option("--utc-offset", help="Cameras' clock offset: +10:00, 480, "
                                                   "Asia/Shanghai.")] = None,
    stations: Annotated[Path | None, typer.Option("--stations", help="camtrapR camera/station table.")] = None,
    records: Annotated[Path | None, typer.Option("--records", help="camtrapR record table.")] = None,
    time_shifts: Annotated[Path | None, typer.Option("--time-shifts", help="camtrapR time-shift table.")] = None,
    utm_zone: Annotated[str | None, typer.Option("--utm-zone", help="UTM zone of stations, e.g. 52N.")] = None,
    crs: Annotated[str | None, typer.Option("--crs", help="CRS of station coordinates, e.g. EPSG:32652.")] = None,
    label_map: Annotated[Path | None, typer.Option("--label-map", help="CSV: label,scientificName[,partner].")] = None,
    images: Annotated[Path | None, typer.Option("--images", help="Photos the detector ran on.")] = None,
    threshold: Annotated[float, typer.Option("--threshold", help="Detector confidence threshold.")] = 0.2,
    species_from: Annotated[str, typer.Option("--species-from", help="auto, folder or tag.")] = "auto",
    workers: Annotated[int | None, typer.Option("--workers", help="Processes (default: all cores).")] = None,
    no_manifest: Annotated[bool, typer.Option("--no-manifest", help="Re-read every photo.")] = False,
    country: Annotated[str | None, typer.Option("--country", help="ISO3 country side of the partner's stations, "
                                                "e.g. RUS.")] = None,
    census_dir: Annotated[Path | None, typer.Option("--census-dir", help="Field forms: write the track census's "
                                                    "routes, surveys and crossings here.")] = None,
    columns: Annotated[Path | None, typer.Option("--columns", help="Column map (YAML) for plain tables: which of "
                                                 "your columns is which; kept for the partner's next import.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Read a partner's data in its own format into the database, with an intake report kept beside it."""
    from bigcats.intake import detect_format, ingest as read_source

    fmt = format
    from bigcats.fieldforms.exports import looks_like_form_export

    if fmt == "odk" or (fmt is None and looks_like_form_export(source)):
        from bigcats.fieldforms.store import ingest_forms
        from bigcats.store.db import open_store

        out = ingest_forms(open_store(db), source, partner, census_dir=census_dir, country=country)
        emit(out.to_dict(), as_json, human=out.summary())
        return
    options = {}
    if pattern:
        options["pattern"] = pattern
    if utm_zone:
        options["utm_zone"] = utm_zone
    if crs:
        options["crs"] = crs
    if source.is_dir() and fmt in (None, "images"):
        options.update(species_from=species_from, workers=workers, progress=not as_json,
                       manifest=None if no_manifest else default_manifest(source))
    from bigcats.intake.columns import ColumnMap
    from bigcats.intake.store import save_column_map, saved_column_map, store_intake
    from bigcats.store.db import open_store

    if not source.exists():  # before opening (and perhaps creating) a database
        detect_format(source)
    engine = open_store(db)
    # Refused input (DataError) goes to the CLI's one error handler: its problems, exit code 1.
    cmap = ColumnMap.read(columns) if columns else None
    if cmap is None and fmt in (None, "table"):
        cmap = saved_column_map(engine, partner)  # given once, kept for the partner
        if cmap is not None and fmt is None and detect_format_or_none(source) not in (None, "table"):
            cmap = None
    frames, report = read_source(source, partner, format=fmt, utc_offset=utc_offset, stations=stations,
                                 records=records, time_shifts=time_shifts, label_map=label_map, images=images,
                                 threshold=threshold, columns=cmap, **options)
    stored = store_intake(engine, frames, report, partner, source, fmt=report.format, country=country)
    if cmap is not None and columns:
        save_column_map(engine, partner, cmap)
    result = {"frames": frames.counts(), "added": stored.added, "report": report.to_dict()}
    emit(result, as_json, human=report.summary())


@app.command("labels")
def labels(
    labels: Annotated[list[str], typer.Argument(help="Species labels to check, in any language.")],
    partner: Annotated[str | None, typer.Option("--partner", help="Use this partner's label map.")] = None,
    label_map: Annotated[Path | None, typer.Option("--label-map", help="CSV: label,scientificName[,partner].")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show which scientific name each label maps to, and the closest suggestions for those that match nothing."""
    from bigcats.taxonomy import read_label_map, resolve_labels

    try:
        user_map = read_label_map(label_map) if label_map else None
    except ValueError as exc:
        fail(str(exc))
        return
    res = resolve_labels(labels, partner=partner, user_map=user_map)
    result = {"mapping": res.mapping.to_dict("records"),
              "unmatched": [{"label": lab, "suggestions": s} for lab, s in
                            zip(res.unmatched["label"], res.unmatched["suggestions"])]}
    lines = [f"{m['label']} → {m['scientificName']} ({m['source']})" for m in result["mapping"]]
    lines += [f"{u['label']}: no match; closest: {', '.join(u['suggestions']) or 'none'}" for u in result["unmatched"]]
    emit(result, as_json, human="\n".join(lines))
    if len(res.unmatched):
        raise typer.Exit(1)


__all__ = ["app", "ingest", "labels"]
