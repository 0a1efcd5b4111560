"""`bigcats layers ...`: publish a GeoPackage's boundary and habitat layers to the web map, list and remove them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bigcats.cli.errors import BigcatsTyper
from rich.table import Table

from bigcats.cli.common import DbOption, JsonOption, emit, fail

app = BigcatsTyper(help="Map layers (parks, zones, census units, habitat) served by the web application.",
                  no_args_is_help=True)


def _engine(db: str | None):
    import bigcats.store.models_layers  # noqa: F401 - the map_layer table in the metadata
    from bigcats.store.db import open_store

    return open_store(db)


@app.command("publish")
def publish(gpkg: Annotated[Path, typer.Argument(help="GeoPackage, e.g. OUT/maps/transboundary_area.gpkg")],
            layers: Annotated[list[str] | None, typer.Option("--layers", "-l", help="layer to publish (repeat); "
                                                             "default: every layer of the file")] = None,
            db: DbOption = None, as_json: JsonOption = False) -> None:
    """Publish (or replace) layers of a GeoPackage into the database, reprojected to WGS84."""
    from bigcats.geo.errors import GeoError
    from bigcats.geo.publish import publish_geopackage

    names = [n.strip() for item in layers or [] for n in item.split(",") if n.strip()] or None
    engine = _engine(db)
    try:
        with engine.connect() as conn:
            result = publish_geopackage(conn, gpkg, names)
    except GeoError as exc:
        fail(str(exc))
    table = Table(title=f"published from {gpkg.name}")
    for col in ("layer", "kind", "features"):
        table.add_column(col)
    for r in result:
        table.add_row(r["layer"], r["kind"], str(r["features"]))
    emit(result, as_json, table)


@app.command("list")
def list_cmd(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Published layers with their kind, feature count, countries and source file."""
    from bigcats.geo.publish import list_layers

    engine = _engine(db)
    with engine.connect() as conn:
        result = list_layers(conn)
    table = Table(title="map layers")
    for col in ("layer", "kind", "features", "countries", "source", "published"):
        table.add_column(col)
    for r in result:
        table.add_row(r["layer"], r["kind"], str(r["features"]), ", ".join(r["countries"]), r["source"] or "",
                      r["created"] or "")
    emit(result, as_json, table)


@app.command("remove")
def remove(names: Annotated[list[str], typer.Argument(help="layer names to remove")],
           db: DbOption = None, as_json: JsonOption = False) -> None:
    """Remove published layers from the web map."""
    from bigcats.geo.errors import GeoError
    from bigcats.geo.publish import remove_layers

    engine = _engine(db)
    try:
        with engine.connect() as conn:
            n = remove_layers(conn, names)
    except GeoError as exc:
        fail(str(exc))
    emit({"removed": names, "features": n}, as_json, f"removed {', '.join(names)} ({n} features)")
