"""Downloads of what the pages show, under the same precision rule: CSV tables and a GeoPackage of the map."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from bigcats.web import downloads, queries
from bigcats.web.api.data import FiltersDep
from bigcats.web.audit import log_exact
from bigcats.web.deps import Conn, LangDep, ScopeDep, SensitiveDep, StateDep
from bigcats.web.errors import WebError

router = APIRouter(tags=["downloads"])
TABLES = ("stations", "individuals", "summary")


def _attachment(data: bytes, media_type: str, name: str) -> Response:
    return Response(data, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    if not bbox:
        return None
    try:
        w, s, e, n = (float(v) for v in bbox.split(","))
    except ValueError:
        raise WebError(f"bbox: four numbers west,south,east,north, not {bbox!r}") from None
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= n <= 90):
        raise WebError(f"bbox: out of range: {bbox!r}")
    return w, s, e, n


def _inside(frame: pd.DataFrame, box) -> pd.DataFrame:
    if box is None or frame.empty:
        return frame
    w, s, e, n = box
    lon, lat = frame["longitude"].astype(float), frame["latitude"].astype(float)
    return frame[(lat >= s) & (lat <= n) & (lon >= w) & (lon <= e)]


@router.get("/downloads/{table}.csv")
def download_table(table: str, request: Request, conn: Conn, scope: ScopeDep, sensitive: SensitiveDep,
                   f: FiltersDep, lang: LangDep, state: StateDep) -> Response:
    """stations, individuals (the catalogue) or summary (effort, detections and RAI per species and year) as CSV."""
    if table == "stations":
        frame = queries.stations(conn, scope, sensitive, f)
        log_exact(conn, scope.caller, "download", request.url.path, frame)
    elif table == "individuals":
        frame = queries.individuals(conn, scope, f, lang, cache=state.summary)
    elif table == "summary":
        frame = queries.dashboard(conn, scope, f, lang, cache=state.summary)["species"]
    else:
        raise WebError(f"{table}.csv: no such table (detections, {', '.join(TABLES)})", status=404)
    return _attachment(downloads.frame_csv(frame), "text/csv", f"{table}.csv")


@router.get("/downloads/map.gpkg")
def download_geopackage(request: Request, conn: Conn, scope: ScopeDep, sensitive: SensitiveDep, f: FiltersDep,
                        state: StateDep,
                        bbox: Annotated[str | None, Query(description="west,south,east,north (the map's view)")]
                        = None) -> Response:
    """Stations and detections per shown point as a GeoPackage (layers `stations`, `detections`), at the
    caller's precision; `bbox` keeps what lies in the map's current view."""
    box = _bbox(bbox)
    st = _inside(queries.stations(conn, scope, sensitive, f), box)
    points = _inside(queries.map_points(conn, scope, sensitive, f, cache=state.summary), box)
    log_exact(conn, scope.caller, "download", request.url.path, st)
    log_exact(conn, scope.caller, "download", request.url.path, points)
    return _attachment(downloads.geopackage({"stations": st, "detections": points}), "application/geopackage+sqlite3",
                       "bigcats-map.gpkg")


@router.get("/downloads/dwca/{partner}.zip")
def download_dwca(partner: str, request: Request, conn: Conn, scope: ScopeDep, state: StateDep,
                  project: str | None = None,
                  species: Annotated[str | None, Query(description="scientific names, comma-separated")] = None
                  ) -> Response:
    """A partner's animal observations as a Darwin Core Archive (GBIF), only the rows the caller may see, at the
    caller's precision (needs bigcats.exchange.dwc)."""
    import tempfile
    from pathlib import Path

    from sqlalchemy import select

    from bigcats.store.models import Partner
    from bigcats.web.audit import log_event

    try:
        from bigcats.exchange.dwc import export_dwca
    except ImportError:
        raise WebError("Darwin Core Archives are not available on this server", status=404) from None
    pid = conn.execute(select(Partner.id).where(Partner.code == partner)).scalar_one_or_none()
    if pid is None or not scope.sees_partner(pid):
        raise WebError(f"partner {partner!r}: no data of it that you may download", status=404)
    if scope.partners[pid].embargo_from is not None:
        raise WebError(f"partner {partner!r}: part of its recent data is under embargo for you; download the "
                       "detections CSV instead", status=403)
    with tempfile.TemporaryDirectory(prefix="bigcats-dwca-") as tmp:
        try:
            path = export_dwca(state.engine, Path(tmp) / f"{partner}-dwca.zip", partner=partner, project=project,
                               species=[n.strip() for n in (species or "").split(",") if n.strip()] or None,
                               visibility_scope=scope)
        except LookupError as exc:
            raise WebError(f"partner {partner!r}: nothing to export ({exc})", status=404) from None
        data = Path(path).read_bytes()
    if pid in scope.exact_partner_ids() and not scope.caller.is_public:
        log_event(conn, scope.caller, "download", request.url.path, [partner], 1)
    return _attachment(data, "application/zip", f"{partner}-dwca.zip")


@router.get("/downloads/report.{fmt}")
def download_report(fmt: str, request: Request, conn: Conn, scope: ScopeDep, f: FiltersDep, lang: LangDep,
                    state: StateDep, project: str | None = None) -> Response:
    """The status report (html or pdf) of one species (`species`) for a partner, side or project and period, as
    `bigcats report` writes it, from what the caller may see; the public brochure (grid cells, no station) for
    anyone not entitled to every exact location in the selection."""
    from bigcats.web.audit import log_event
    from bigcats.web.reports import FORMATS, report_file

    if len(f.species) != 1:
        raise WebError("species: choose one species for a report")
    data, name, kind, exact = report_file(state.engine, conn, scope, f.species[0], f, project, lang, fmt)
    if exact and not scope.caller.is_public:
        log_event(conn, scope.caller, "download", request.url.path, exact, 1)
    return _attachment(data, FORMATS[fmt], name)
