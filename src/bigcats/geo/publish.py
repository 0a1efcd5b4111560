"""Publish a GeoPackage's layers (parks, zones, census units, habitat...) into the store's map_layer table.

The web map reads its boundary and habitat layers from the database so that a shared server and every laptop
show the same outlines. Publishing a layer replaces the features of that layer name, so re-publishing after a
boundary correction never leaves two versions side by side. Geometries are stored as GeoJSON in WGS84, to a
micro-degree (about 0.1 m): finer digits are noise of the reprojection and only make the map heavier.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import Connection, delete, func, insert, select

from bigcats.core.clock import utcnow
from bigcats.geo.errors import GeoError
from bigcats.store.models_layers import LAYER_KINDS, MapLayerFeature

GRID_DEG = 1e-6


def layer_kind(name: str) -> str:
    """The kind of a layer from its name: parks, zones, units, habitat, else other."""
    low = name.lower()
    return low if low in LAYER_KINDS else "other"


def layer_features(gdf: gpd.GeoDataFrame, name: str, source: str | None = None,
                   kind: str | None = None) -> pd.DataFrame:
    """A layer's features as map_layer rows: name, kind, country, properties (dicts), geometry (GeoJSON text)."""
    where = f"{source or 'layer'}, layer {name!r}"
    if gdf.crs is None:
        raise GeoError(f"{where}: no CRS; set it in the GIS before publishing")
    kind = kind or layer_kind(name)
    if kind not in LAYER_KINDS:
        raise GeoError(f"{where}: kind must be one of {', '.join(LAYER_KINDS)}, not {kind!r}")
    geoms = gdf.geometry.to_crs(4326).to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        rows = (missing.nonzero()[0] + 1)[:10].tolist()
        raise GeoError(f"{where}: feature(s) {rows} have no geometry")
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        # Reprojection can pinch rings; repair rather than refuse, as QGIS's "fix geometries" would.
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    geoms = shapely.set_precision(geoms, GRID_DEG)
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    # to_json turns timestamps, numpy numbers and NaN into JSON values (NaN -> null).
    props = json.loads(attrs.to_json(orient="records", date_format="iso", force_ascii=False)) if len(attrs.columns) \
        else [{} for _ in range(len(gdf))]
    country = attrs["country"].astype("object").where(attrs["country"].notna(), None) if "country" in attrs \
        else pd.Series([None] * len(gdf), dtype=object)
    return pd.DataFrame({"name": name, "kind": kind, "country": country.to_numpy(), "properties": props,
                         "geometry": shapely.to_geojson(geoms).tolist(), "source": source})


def read_geopackage(path: str | Path, layers: list[str] | None = None) -> dict[str, gpd.GeoDataFrame]:
    """The named layers of a GeoPackage (all of them when none are named), each in its own CRS."""
    path = Path(path)
    if not path.is_file():
        raise GeoError(f"{path}: no such file")
    try:
        available = [str(n) for n, g in pyogrio.list_layers(path) if g is not None]
    except Exception as exc:  # pyogrio raises its own DataSourceError for a file that is not a GeoPackage
        raise GeoError(f"{path}: not a readable GeoPackage ({exc})") from exc
    wanted = layers or available
    unknown = [n for n in wanted if n not in available]
    if unknown:
        raise GeoError(f"{path}: no layer {', '.join(map(repr, unknown))}; the file has {', '.join(available)}")
    return {n: gpd.read_file(path, layer=n, engine="pyogrio") for n in wanted}


def publish_geopackage(conn: Connection, path: str | Path, layers: list[str] | None = None) -> list[dict]:
    """Replace the map_layer features of each chosen layer with the GeoPackage's; returns layer, kind, features."""
    source = str(Path(path).resolve())
    frames = [layer_features(gdf, name, source) for name, gdf in read_geopackage(path, layers).items()]
    created = utcnow()
    out = []
    for rows in frames:
        name = str(rows["name"].iat[0]) if len(rows) else None
        if name is None:
            continue
        conn.execute(delete(MapLayerFeature).where(MapLayerFeature.name == name))
        conn.execute(insert(MapLayerFeature), rows.assign(created=created).to_dict(orient="records"))
        out.append({"layer": name, "kind": str(rows["kind"].iat[0]), "features": int(len(rows))})
    conn.commit()
    return out


def list_layers(conn: Connection) -> list[dict]:
    """Published layers: name, kind, features, countries, source and when published."""
    t = MapLayerFeature
    rows = conn.execute(select(t.name, t.kind, func.count(t.id), func.max(t.source), func.max(t.created))
                        .group_by(t.name, t.kind).order_by(t.kind, t.name)).all()
    countries = conn.execute(select(t.name, t.country).where(t.country.is_not(None)).distinct()).all()
    by_name: dict[str, list[str]] = {}
    for name, country in countries:
        by_name.setdefault(name, []).append(country)
    return [{"layer": n, "kind": k, "features": int(c), "countries": sorted(by_name.get(n, [])), "source": s,
             "created": when.isoformat() if when else None} for n, k, c, s, when in rows]


def remove_layers(conn: Connection, names: list[str]) -> int:
    """Delete the named layers' features; returns how many were deleted. An unknown name is an error."""
    known = {r["layer"] for r in list_layers(conn)}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise GeoError(f"no published layer {', '.join(map(repr, unknown))}; published: {', '.join(sorted(known))}")
    n = conn.execute(delete(MapLayerFeature).where(MapLayerFeature.name.in_(names))).rowcount
    conn.commit()
    return int(n)


def layer_geojson(conn: Connection, name: str | None = None, kind: str | None = None) -> dict:
    """Published features (of one layer name or kind, or all) as a GeoJSON FeatureCollection."""
    t = MapLayerFeature
    q = select(t.id, t.name, t.kind, t.country, t.properties, t.geometry).order_by(t.id)
    if name:
        q = q.where(t.name == name)
    if kind:
        q = q.where(t.kind == kind)
    rows = conn.execute(q).all()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": r.id, "geometry": json.loads(r.geometry),
         "properties": {**(r.properties or {}), "layer": r.name, "kind": r.kind, "country": r.country}}
        for r in rows]}
