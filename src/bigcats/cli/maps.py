"""`bigcats maps`: one map of the transboundary area (merge partner boundaries), one habitat classification.

Commands take files for now (boundary files, crosswalk CSV, GeoTIFF); --db is accepted for the store layer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bigcats.cli.errors import BigcatsTyper

from bigcats.cli.common import DbOption, JsonOption, emit, fail
from bigcats.geo.errors import GeoError

app = BigcatsTyper(help="Merge partner boundaries into one GeoPackage, unify habitat classes, render maps.", no_args_is_help=True)


def _spec(text: str) -> dict:
    # FILE:kind=parks,country=RUS,name=NAME_RU,crs=EPSG:28422 -- one boundary file and how to read it
    path, _, opts = text.partition(":") if not Path(text).exists() else (text, "", "")
    kw = dict(part.split("=", 1) for part in opts.split(",") if "=" in part)
    return {"path": path, **kw}


@app.command()
def merge(
    files: Annotated[list[str], typer.Argument(help="FILE:kind=parks|zones|units,country=ISO3[,name=FIELD][,crs=CRS][,partner=NAME]")],
    out: Annotated[Path, typer.Option("--out", help="GeoPackage to write (layers parks, zones, units, border_issues).")],
    tolerance_m: Annotated[float, typer.Option("--gap-tolerance-m", help="Widest gap between sides reported, m.")] = 1000.0,
    repair: Annotated[bool, typer.Option("--repair", help="Fix invalid geometries with make_valid instead of refusing.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reproject partner boundaries (datum shift included), merge into one GeoPackage, report border gaps/overlaps."""
    import geopandas as gpd

    from bigcats.geo.areas import area_km2
    from bigcats.geo.boundaries import border_gaps_overlaps, merge_boundaries, read_boundaries, write_geopackage

    try:
        frames = []
        for text in files:
            spec = _spec(text)
            frames.append(read_boundaries(spec["path"], kind=spec.get("kind", "parks"), name_field=spec.get("name", "name"),
                                          country=spec.get("country"), partner=spec.get("partner"), crs=spec.get("crs"), repair=repair))
        layers = merge_boundaries(frames)
        issues = {}
        for kind, gdf in layers.items():
            gdf["area_km2"] = area_km2(gdf).to_numpy()
            if gdf["country"].nunique() > 1:
                issues[kind] = border_gaps_overlaps(gdf, "country", tolerance_m)
        report_layer = [i.assign(layer=k) for k, i in issues.items() if len(i)]
        if report_layer:
            import pandas as pd
            layers["border_issues"] = gpd.GeoDataFrame(pd.concat(report_layer, ignore_index=True), crs=report_layer[0].crs)
        write_geopackage(layers, out)
    except GeoError as exc:
        fail(str(exc))
        return
    result = {
        "geopackage": out,
        "layers": {k: len(v) for k, v in layers.items()},
        "transformations": sorted({f.attrs.get("transformation", "") for f in frames}),
        "border_issues": [r for k, i in issues.items() for r in i.drop(columns="geometry").assign(layer=k).to_dict(orient="records")],
    }
    emit(result, as_json)


@app.command()
def habitat(
    raster: Annotated[Path, typer.Argument(help="National habitat GeoTIFF.")],
    crosswalk: Annotated[Path, typer.Option("--crosswalk", help="CSV/XLSX: scheme, national_class, unified_code, unified_class.")],
    scheme: Annotated[str, typer.Option("--scheme", help="Which national scheme the raster uses.")],
    zones: Annotated[Path | None, typer.Option("--zones", help="Zones (parks, zones, units) to summarise by.")] = None,
    zone_field: Annotated[str, typer.Option("--zone-field")] = "name",
    out: Annotated[Path | None, typer.Option("--out", help="Write the unified-class GeoTIFF here.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Turn a national habitat raster into unified classes and give each class's area per zone."""
    import geopandas as gpd

    from bigcats.geo.habitat import read_crosswalk, reclassify_raster, zonal_class_areas

    try:
        cw = read_crosswalk(crosswalk)
        result: dict = {}
        if out is not None:
            result["unified_raster"] = reclassify_raster(raster, out, cw, scheme)
        if zones is not None:
            z = gpd.read_file(zones, engine="pyogrio")
            result["areas"] = zonal_class_areas(raster, z, zone_field, cw, scheme).to_dict(orient="records")
        if not result:
            fail("nothing to do: give --out and/or --zones")
            return
    except GeoError as exc:
        fail(str(exc))
        return
    emit(result, as_json)


@app.command()
def render(
    layers: Annotated[list[Path], typer.Argument(help="Vector files to draw (boundaries, routes, densities).")],
    out: Annotated[Path, typer.Option("--out", help="Output path without extension; .png and .svg are written.")],
    labels: Annotated[Path, typer.Option("--labels", help='JSON: {"title": ..., "scale_unit": ..., "north": ..., "layers": [...]}')],
    language: Annotated[str, typer.Option("--lang", help="en, ru, zh or mn")] = "en",
    color_by: Annotated[str | None, typer.Option("--color-by", help="Column to colour the first layer by.")] = None,
    countries: Annotated[Path | None, typer.Option("--countries", help="Country outlines (default: Natural Earth).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Render a map (PNG and SVG) with legend, scale bar, north arrow and labels in the chosen language."""
    import geopandas as gpd

    from bigcats.geo.maps import Layer, render_map

    try:
        text = json.loads(labels.read_text(encoding="utf-8"))
        titles = text.get("layers", [p.stem for p in layers])
        drawn = [Layer(gpd.read_file(p, engine="pyogrio"), titles[i] if i < len(titles) else p.stem,
                       column=color_by if i == 0 else None, color="#cfe3c9" if i == 0 else "none",
                       edgecolor="black" if i == 0 else "red") for i, p in enumerate(layers)]
        files = render_map(drawn, out, text, language, countries)
    except (GeoError, json.JSONDecodeError, OSError) as exc:
        fail(str(exc))
        return
    emit({"files": files}, as_json)
