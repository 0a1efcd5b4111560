"""Census routes: lines from GeoJSON, GPX, GeoPackage or shapefiles, with survey unit, dates and snow age.

A route set is two frames: the routes (one line each, its unit, country and geodesic length) and the surveys
(one row per route and survey date, with the days since the last snowfall or since the route was wiped).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bigcats.census.errors import CensusError
from bigcats.census.tables import read_table
from bigcats.geo.areas import geodesic_length_km
from bigcats.geo.crs import WGS84, parse_crs, reproject
from bigcats.geo.errors import GeoError

ROUTE_COLUMNS = ["route_id", "unit", "country"]
SURVEY_COLUMNS = ["route_id", "date", "days_since_snow"]


@dataclass
class RouteSet:
    """Routes (GeoDataFrame: route_id, unit, country, length_km, geometry in WGS84) and their surveys."""

    routes: gpd.GeoDataFrame
    surveys: pd.DataFrame  # route_id, date (datetime64), days_since_snow (float > 0)


def _rename(frame: pd.DataFrame, fields: dict[str, str] | None) -> pd.DataFrame:
    # fields maps bigcats' names to the file's own: {"route_id": "MARSHRUT", "unit": "UCHASTOK"}
    return frame.rename(columns={v: k for k, v in (fields or {}).items()})


def check_surveys(surveys: pd.DataFrame, route_ids: set[str], source: str) -> pd.DataFrame:
    """Surveys with parsed dates and positive snow ages, or a CensusError naming each bad row."""
    missing = [c for c in SURVEY_COLUMNS if c not in surveys.columns]
    if missing:
        raise CensusError(source, f"missing column(s) {', '.join(missing)} (needed: {', '.join(SURVEY_COLUMNS)})")
    rid = surveys["route_id"].astype(str).str.strip()
    date = pd.to_datetime(surveys["date"], errors="coerce")
    days = pd.to_numeric(surveys["days_since_snow"], errors="coerce")
    problems = []
    for i in np.flatnonzero(date.isna().to_numpy()):
        problems.append(f"row {i + 2}, route {rid.iloc[i]!r}, field 'date': {str(surveys['date'].iloc[i])!r} is not a date")
    for i in np.flatnonzero((days.isna() | (days <= 0)).to_numpy()):
        problems.append(f"row {i + 2}, route {rid.iloc[i]!r}, field 'days_since_snow': {str(surveys['days_since_snow'].iloc[i])!r} "
                        "is not a positive number of days")
    for i in np.flatnonzero(~rid.isin(route_ids).to_numpy()):
        problems.append(f"row {i + 2}, field 'route_id': route {rid.iloc[i]!r} does not exist in the routes file")
    dup = pd.DataFrame({"r": rid, "d": date}).duplicated(keep="first").to_numpy()
    for i in np.flatnonzero(dup):
        problems.append(f"row {i + 2}: route {rid.iloc[i]!r} surveyed twice on {date.iloc[i].date()}")
    if problems:
        raise CensusError(source, problems)
    return pd.DataFrame({"route_id": rid.to_numpy(), "date": date.dt.normalize().to_numpy(), "days_since_snow": days.to_numpy(float)})


def route_set(
    gdf: gpd.GeoDataFrame,
    surveys: pd.DataFrame | None = None,
    source: str = "routes",
    country: str | None = None,
) -> RouteSet:
    """A checked RouteSet from a frame of route lines (route_id, unit, [country], [date, days_since_snow])."""
    if gdf.crs is None:
        raise CensusError(source, "no coordinate reference system (missing .prj or CRS metadata); name it with crs=")
    if "country" not in gdf.columns:
        if country is None:
            raise CensusError(source, "no 'country' field: say which country side the routes are on")
        gdf = gdf.assign(country=country)
    missing = [c for c in ("route_id", "unit") if c not in gdf.columns]
    if missing:
        raise CensusError(source, f"missing field(s) {', '.join(missing)}; fields are {', '.join(map(str, gdf.columns))}")
    rid = gdf["route_id"].astype(str).str.strip()
    problems = [f"feature {i}: route {r!r} appears more than once" for i, r in zip(np.flatnonzero(rid.duplicated().to_numpy()), rid[rid.duplicated()])]
    geoms = gdf.geometry.values
    empty = gdf.geometry.isna().to_numpy() | shapely.is_empty(geoms)
    lines = np.isin(shapely.get_type_id(geoms), [1, 5])
    problems += [f"feature {i}: route {rid.iloc[i]!r} has no geometry" for i in np.flatnonzero(empty)]
    problems += [f"feature {i}: route {rid.iloc[i]!r} is a {gdf.geometry.iloc[i].geom_type}, not a line"
                 for i in np.flatnonzero(~empty & ~lines)]
    if problems:
        raise CensusError(source, problems)
    try:
        wgs = reproject(gdf, WGS84, source=source)
    except GeoError as exc:
        raise CensusError(source, str(exc)) from None
    coords, owner = shapely.get_coordinates(wgs.geometry.values, return_index=True)
    off = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90) | ~np.isfinite(coords).all(1)
    if off.any():
        raise CensusError(source, [f"feature {i}: route {rid.iloc[i]!r} has coordinates outside longitude/latitude range in "
                                   f"{gdf.crs.name!r}: is the file's CRS wrong?" for i in np.unique(owner[off])])
    length = geodesic_length_km(wgs.geometry)
    zero = (length <= 0).to_numpy()
    if zero.any():
        raise CensusError(source, [f"feature {i}: route {rid.iloc[i]!r} has zero length" for i in np.flatnonzero(zero)])
    routes = gpd.GeoDataFrame(
        {"route_id": rid.to_numpy(), "unit": gdf["unit"].astype(str).str.strip().to_numpy(),
         "country": gdf["country"].astype(str).str.strip().to_numpy(), "length_km": length.to_numpy()},
        geometry=wgs.geometry.values, crs=WGS84,
    )
    if surveys is None:
        if not {"date", "days_since_snow"} <= set(gdf.columns):
            raise CensusError(source, "no survey dates: give 'date' and 'days_since_snow' fields or a surveys table")
        surveys = pd.DataFrame({"route_id": rid, "date": gdf["date"], "days_since_snow": gdf["days_since_snow"]})
    surveys = check_surveys(surveys, set(routes["route_id"]), f"{source} (surveys)")
    unsurveyed = sorted(set(routes["route_id"]) - set(surveys["route_id"]))
    if unsurveyed:
        raise CensusError(source, f"route(s) {unsurveyed} have no survey date and days since snowfall")
    return RouteSet(routes, surveys)


def read_routes(
    path: str | Path,
    layer: str | None = None,
    fields: dict[str, str] | None = None,
    surveys: str | Path | pd.DataFrame | None = None,
    crs: str | int | None = None,
    country: str | None = None,
) -> RouteSet:
    """Read a route file (GeoJSON, GPX, GeoPackage, shapefile) and optionally a surveys table (CSV/XLSX).

    GPX files carry no attributes: their track name is the route_id and the unit and survey dates come from the
    surveys table (route_id, unit, date, days_since_snow).
    """
    path = Path(path)
    if not path.exists():
        raise CensusError(str(path), "file not found")
    is_gpx = path.suffix.lower() == ".gpx"
    try:
        gdf = gpd.read_file(path, layer=layer or ("tracks" if is_gpx else None), engine="pyogrio")
    except Exception as exc:  # pyogrio's DataSourceError and friends
        raise CensusError(str(path), f"cannot read as a vector file ({exc})") from None
    if is_gpx and not fields:
        fields = {"route_id": "name"}
    gdf = _rename(gdf, fields)
    if gdf.crs is None and crs is not None:
        gdf = gdf.set_crs(parse_crs(crs))
    survey_frame = None
    if surveys is not None:
        survey_frame, sname = read_table(surveys)
        survey_frame = _rename(survey_frame, fields)
        if "route_id" not in survey_frame.columns:
            raise CensusError(sname, "no 'route_id' column")
        survey_frame["route_id"] = survey_frame["route_id"].astype(str).str.strip()
        # Route attributes (unit, country) may live in the surveys table, e.g. for GPX.
        extra = [c for c in ("unit", "country") if c not in gdf.columns and c in survey_frame.columns]
        if extra and "route_id" in gdf.columns:
            attrs = survey_frame.drop_duplicates("route_id").set_index("route_id")[extra]
            gdf = gdf.assign(route_id=gdf["route_id"].astype(str).str.strip()).merge(attrs, left_on="route_id", right_index=True, how="left")
    return route_set(gdf, survey_frame, str(path), country)
