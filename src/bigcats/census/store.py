"""Winter track census in the database: routes, crossings, FMP densities and minimum tiger counts of a census run.

`store_census` writes one census under its code (again under the same code replaces it: the files are the
source); `census_report_tables` gives the latest census back in the shape the status report shows.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, delete, select

from bigcats.core.clock import utcnow
from bigcats.census.routes import RouteSet
from bigcats.store.models_census import RESULT_KINDS, CensusCrossing, CensusResult, CensusRoute, CensusSurvey


def _plain(value: Any) -> Any:
    """A JSON-safe scalar: numpy numbers as Python numbers, NaN/NaT as None, timestamps as ISO text."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, np.generic):
        return _plain(value.item())
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _rows(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]


def _results(kind: str, frame: pd.DataFrame | None, value: str) -> list[dict]:
    if frame is None or frame.empty or value not in frame:
        return []
    out = []
    for r in _rows(frame):
        out.append({"kind": kind, "unit": r.get("unit"), "country": r.get("country"), "species": r.get("species"),
                    "value": r.get(value), "lower": r.get("lower"), "upper": r.get("upper"), "extra": r})
    return out


def store_census(engine: Engine, code: str, routes: RouteSet, crossings: pd.DataFrame, fmp: Any = None,
                 tigers: Any = None, partner_id: int | None = None, source: str | None = None,
                 settings: dict | None = None) -> dict[str, int]:
    """Write a census run (routes, crossings, FmpResult, TigerResult) under `code`, replacing one stored before.

    Returns the rows written per table. One transaction: a failure leaves the database as it was.
    """
    gdf = routes.routes.to_crs("EPSG:4326") if routes.routes.crs is not None else routes.routes
    visits = routes.surveys.assign(date=pd.to_datetime(routes.surveys["date"]).dt.strftime("%Y-%m-%d"))
    by_route = {rid: _rows(g[["date", "days_since_snow"]]) for rid, g in visits.groupby("route_id")}
    now = utcnow()
    kinds = ([k for k in RESULT_KINDS if k.startswith("fmp")] if fmp is not None else []) + \
        (["tigers-unit"] if tigers is not None else [])
    settings = json.loads(json.dumps(settings or {}, default=str))
    with engine.begin() as conn:
        old = conn.execute(select(CensusSurvey.id, CensusSurvey.settings).where(CensusSurvey.code == code)).first()
        if old is not None:
            # Same census again: its routes and crossings are replaced, and the results of the kinds given now
            # (an FMP estimate leaves the stored tiger counts alone, and the other way round).
            sid = old.id
            for table in (CensusCrossing, CensusRoute):
                conn.execute(delete(table).where(table.survey_id == sid))
            conn.execute(delete(CensusResult).where(CensusResult.survey_id == sid, CensusResult.kind.in_(kinds)))
            conn.execute(CensusSurvey.__table__.update().where(CensusSurvey.id == sid).values(
                source=source, settings={**(old.settings or {}), **settings}, created=now))
        else:
            sid = conn.execute(CensusSurvey.__table__.insert().values(
                code=code, partner_id=partner_id, source=source, settings=settings,
                created=now)).inserted_primary_key[0]
        route_rows = [{"survey_id": sid, "code": str(r.route_id), "unit": str(r.unit),
                       "country": None if pd.isna(r.country) else str(r.country)[:3],
                       "length_km": float(r.length_km), "geometry": shapely.to_geojson(r.geometry),
                       "visits": by_route.get(r.route_id, [])} for r in gdf.itertuples()]
        if route_rows:
            conn.execute(CensusRoute.__table__.insert(), route_rows)
        c = crossings
        date = pd.to_datetime(c["date"]) if "date" in c else pd.Series(pd.NaT, index=c.index)
        cross_rows = [{"survey_id": sid, "route_code": str(rid), "row": _plain(row), "species": str(sp),
                       "count": int(n), "date": None if pd.isna(d) else d.date(), "track_age_days": _plain(age),
                       "pad_width_cm": _plain(pad), "longitude": _plain(lon), "latitude": _plain(lat)}
                      for rid, row, sp, n, d, age, pad, lon, lat in zip(
                          c["route_id"], c.get("row", pd.Series([None] * len(c))), c["species"], c["count"], date,
                          c.get("track_age_days", pd.Series([None] * len(c))),
                          c.get("pad_width_cm", pd.Series([None] * len(c))),
                          c.get("longitude", pd.Series([None] * len(c))),
                          c.get("latitude", pd.Series([None] * len(c))), strict=True)]
        if cross_rows:
            conn.execute(CensusCrossing.__table__.insert(), cross_rows)
        results = []
        if fmp is not None:
            results += _results("fmp-unit", fmp.units, "density_km2")
            results += _results("fmp-country", fmp.countries, "density_km2")
            results += _results("fmp-total", fmp.total, "density_km2")
            results += _results("fmp-biomass", fmp.biomass, "prey_biomass_kg_km2")
        if tigers is not None:
            results += _results("tigers-unit", tigers.units, "min_tigers")
        for r in results:
            r["survey_id"] = sid
            r["country"] = None if r["country"] is None else str(r["country"])[:3]
        if results:
            conn.execute(CensusResult.__table__.insert(), results)
    return {"census_route": len(route_rows), "census_crossing": len(cross_rows), "census_result": len(results)}


def census_report_tables(engine: Engine, species: str = "") -> dict[str, pd.DataFrame] | None:
    """The latest stored census as the status report shows it: prey densities per side and overall, and (for the
    tiger) the minimum number of tigers per side and overall; None when no census is stored."""
    with engine.connect() as conn:
        sid = conn.execute(select(CensusSurvey.id).order_by(CensusSurvey.created.desc(), CensusSurvey.id.desc())
                           .limit(1)).scalar_one_or_none()
        if sid is None:
            return None
        rows = conn.execute(select(CensusResult.kind, CensusResult.extra).where(CensusResult.survey_id == sid)).all()
    out: dict[str, pd.DataFrame] = {}
    prey = [dict(e) for k, e in rows if k == "fmp-country"] + [{**e, "country": "all"} for k, e in rows
                                                                if k == "fmp-total"]
    cols = ["country", "species", "n_routes", "fresh_crossings", "density_km2", "lower", "upper"]
    if prey:
        out["prey"] = pd.DataFrame(prey).reindex(columns=cols)
    units = pd.DataFrame([e for k, e in rows if k == "tigers-unit"])
    if species.startswith("Panthera tigris") and not units.empty:
        per = units.groupby("country", as_index=False)[["tracks", "min_tigers"]].sum()
        out["tigers"] = pd.concat([per, pd.DataFrame([{"country": "all", "tracks": int(units["tracks"].sum()),
                                                       "min_tigers": int(units["min_tigers"].sum())}])],
                                  ignore_index=True)
    return out or None


def census_for_species(tables: dict[str, pd.DataFrame] | None, species: str) -> dict[str, pd.DataFrame] | None:
    """The stored census tables a status report of `species` shows: tiger counts only in a tiger's report."""
    if not tables:
        return None
    out = {k: v for k, v in tables.items() if k != "tigers" or species.startswith("Panthera tigris")}
    return out or None


__all__ = ["census_for_species", "census_report_tables", "store_census"]
