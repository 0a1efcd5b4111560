"""Reading routes: species, partners, stations, detections, map layers, catalogue, dashboard, downloads."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel
from sqlalchemy import inspect

from bigcats.web import downloads, queries
from bigcats.web.media_store import media_file_for
from bigcats.web.api.common import geojson, records
from bigcats.web.audit import log_event, log_exact
from bigcats.web.deps import CallerDep, Conn, ContextDep, LangDep, ScopeDep, SensitiveDep, StateDep, UserDep
from bigcats.web.errors import WebError
from bigcats.web.respcache import answer

router = APIRouter(tags=["data"])
COUNTRIES = Path(__file__).resolve().parents[2] / "data" / "naturalearth" / "countries_ne_asia_50m.geojson"
WATER = COUNTRIES.with_name("water_ne_asia_50m.geojson")


def get_filters(conn: Conn, state: StateDep, ctx: ContextDep,
                species: Annotated[str | None, Query(description="species names (scientific, en/ru/zh/mn or short), comma-separated")] = None,
                start: Annotated[str | None, Query(description="from this date (ISO 8601)")] = None,
                end: Annotated[str | None, Query(description="up to this date (ISO 8601)")] = None,
                partner: Annotated[str | None, Query(description="partner code")] = None,
                side: Annotated[str | None, Query(description="country side: RUS, CHN or MNG")] = None
                ) -> queries.Filters:
    """The filters of the query string; species names in any language become scientific names."""
    from bigcats.store.query import resolve_species

    names = [s.strip() for s in (species or "").split(",") if s.strip()]
    if names:
        # Resolving reads which taxa the store holds (a scan of the observations): once per name and data version.
        version = ctx.data
        memo = state.species_names
        for n in names:
            if (version, n) not in memo:
                if len(memo) > 4096:
                    memo.clear()
                memo[(version, n)] = resolve_species(conn, n)
        resolved = ",".join(dict.fromkeys(memo[(version, n)] for n in names))
    else:
        resolved = None
    return queries.Filters.parse(resolved, start, end, partner, side)


FiltersDep = Annotated[queries.Filters, Depends(get_filters)]
GEOJSON = "application/geo+json"


def _json(payload, media_type: str = "application/json") -> Response:
    """A JSON answer serialised once (then cached as bytes: serialising a large layer costs more than reading it)."""
    import json

    return Response(json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8"),
                    media_type=media_type)


@router.get("/species")
def species(conn: Conn, lang: LangDep) -> list[dict]:
    """Species recorded in the store, named in the reader's language."""
    return queries.species_list(conn, lang)


@router.get("/partners")
def partners(conn: Conn, scope: ScopeDep) -> list[dict]:
    """Partners whose data the caller may see, and whether exact locations are granted."""
    return queries.partners(conn, scope)


@router.get("/stations")
def stations(request: Request, conn: Conn, scope: ScopeDep, sensitive: SensitiveDep, f: FiltersDep,
             state: StateDep) -> Response:
    """Camera stations; sensitive ones generalised unless the caller is entitled."""
    def make():
        frame = queries.stations(conn, scope, sensitive, f)
        return _json(records(frame)), frame
    return answer(request, conn, scope, state, "", make)


@router.get("/stations.geojson")
def stations_geojson(request: Request, conn: Conn, scope: ScopeDep, sensitive: SensitiveDep, f: FiltersDep,
                     state: StateDep) -> Response:
    """Camera stations as a GeoJSON map layer (same rules as /api/stations)."""
    def make():
        frame = queries.stations(conn, scope, sensitive, f)
        return _json(geojson(frame), GEOJSON), frame
    return answer(request, conn, scope, state, "", make)


@router.get("/detections")
def detections(request: Request, conn: Conn, scope: ScopeDep, sensitive: SensitiveDep, f: FiltersDep,
               lang: LangDep, limit: int = 1000, offset: int = 0) -> list[dict]:
    """Animal detections, newest first, filtered by species, period, partner and side."""
    frame = queries.detections(conn, scope, sensitive, f, lang, limit, offset)
    log_exact(conn, scope.caller, "view", request.url.path, frame)
    return records(frame)


@router.get("/map/detections.geojson")
def map_detections(request: Request, conn: Conn, scope: ScopeDep, sensitive: SensitiveDep, f: FiltersDep,
                   state: StateDep) -> Response:
    """Detections counted per shown point and species (one point per generalised cell), as GeoJSON."""
    def make():
        frame = queries.map_points(conn, scope, sensitive, f, cache=state.summary)
        return _json(geojson(frame), GEOJSON), frame
    return answer(request, conn, scope, state, "", make)


@router.get("/basemap/countries.geojson")
def basemap() -> FileResponse:
    """Country outlines (Natural Earth 1:50m) shipped with bigcats: the offline base map."""
    return FileResponse(COUNTRIES, media_type="application/geo+json")


@router.get("/basemap/water.geojson")
def basemap_water() -> FileResponse:
    """Rivers and lakes of the programme's regions (Natural Earth 1:50m) shipped with bigcats: offline base detail."""
    return FileResponse(WATER, media_type="application/geo+json")


@router.get("/individuals")
def individuals(request: Request, conn: Conn, scope: ScopeDep, f: FiltersDep, lang: LangDep, state: StateDep
                ) -> Response:
    """The individual catalogue: cats with a sighting the caller may see."""
    return answer(request, conn, scope, state, lang, lambda: (_json(records(queries.individuals(
        conn, scope, f, lang, cache=state.summary))), None))


@router.get("/individuals/{individual_id}")
def individual(individual_id: int, request: Request, conn: Conn, scope: ScopeDep, sensitive: SensitiveDep,
               lang: LangDep, state: StateDep) -> dict:
    """One cat: aliases, sightings on both sides in time order (at the caller's precision), photo ids."""
    entry = queries.individual(conn, scope, sensitive, individual_id, lang, cache=state.summary)
    sightings = entry.pop("sightings")
    log_exact(conn, scope.caller, "view", request.url.path, sightings)
    out = records(pd.DataFrame([entry]))[0]
    out["sightings"] = records(sightings)
    return out


@router.get("/individuals/{individual_id}/track.geojson")
def individual_track(individual_id: int, request: Request, conn: Conn, scope: ScopeDep, sensitive: SensitiveDep
                     ) -> dict:
    """A cat's movements: its sightings joined in time order as a line (at the caller's precision)."""
    sightings = queries.individual(conn, scope, sensitive, individual_id)["sightings"]
    log_exact(conn, scope.caller, "view", request.url.path, sightings)
    coords = sightings[["longitude", "latitude"]].astype(float).to_numpy().tolist()
    precision = "generalised" if (sightings["precision"] == "generalised").any() else "exact"
    return {"type": "FeatureCollection", "features": [] if len(coords) < 2 else [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
         "properties": {"individual": individual_id, "precision": precision}}]}


@router.get("/media/{media_id}")
def media(media_id: int, conn: Conn, scope: ScopeDep, state: StateDep, frame: int | None = None) -> Response:
    """A photo the caller may see, from the server's media store only, re-encoded without its metadata (EXIF can
    hold a GPS position); for a video, one frame (`?frame=N`, default the middle one) with headers X-Frame and
    X-Frames to step through it.

    One answer (404) for a photo that is not visible, not in the media store, missing or undecodable, so that
    nobody can probe which files exist on the server.
    """
    from PIL import Image, UnidentifiedImageError

    from bigcats.intake.video import is_video, video_frame

    not_here = WebError(f"media {media_id}: no photo of it on this server that you may see", status=404)
    row = queries.media_file(conn, scope, media_id)
    path = media_file_for(state.media_root, row[1], row[0]) if row is not None else None
    if path is None:
        raise not_here
    buffer = io.BytesIO()
    if is_video(path):
        try:
            img, index, total = video_frame(path, frame)
        except Exception:  # noqa: BLE001 - PyAV raises many kinds for broken files
            raise not_here from None
        img.convert("RGB").save(buffer, "JPEG", quality=85)
        return Response(buffer.getvalue(), media_type="image/jpeg",
                        headers={"X-Frame": str(index), "X-Frames": str(total)})
    try:
        with Image.open(path) as img:
            img.convert("RGB").save(buffer, "JPEG", quality=85)
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
        raise not_here from exc
    return Response(buffer.getvalue(), media_type="image/jpeg")


@router.get("/dashboard")
def dashboard(request: Request, conn: Conn, scope: ScopeDep, f: FiltersDep, lang: LangDep, state: StateDep
              ) -> Response:
    """Effort, detections, individuals and relative abundance per year and species for the chosen area."""
    def make():
        out = queries.dashboard(conn, scope, f, lang, cache=state.summary)
        out["species"] = records(out["species"])
        return _json(out), None
    return answer(request, conn, scope, state, lang, make)


@router.get("/dashboard/series")
def dashboard_series(request: Request, conn: Conn, scope: ScopeDep, f: FiltersDep, lang: LangDep,
                     state: StateDep, period: str = "month") -> Response:
    """Trap-nights, detections and detections per 100 trap-nights per species by month, season or year."""
    return answer(request, conn, scope, state, lang,
                  lambda: (_json(queries.series(conn, scope, f, period, lang, cache=state.summary)), None))


@router.get("/downloads/detections.csv")
def download_detections(request: Request, conn: Conn, scope: ScopeDep, sensitive: SensitiveDep, f: FiltersDep,
                        lang: LangDep, limit: int = queries.MAX_ROWS) -> Response:
    """Detections as CSV, with the same precision as the pages."""
    frame = queries.detections(conn, scope, sensitive, f, lang, limit)
    log_exact(conn, scope.caller, "download", request.url.path, frame)
    return Response(downloads.detections_csv(frame), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="detections.csv"'})


@router.get("/downloads/camtrapdp/{partner}.zip")
def download_package(partner: str, request: Request, conn: Conn, scope: ScopeDep, sensitive: SensitiveDep,
                     state: StateDep, project: str | None = None) -> Response:
    """A partner's data (or one project's) as a Camtrap DP 1.0 package (zip), sensitive stations generalised
    unless entitled."""
    data, exact = downloads.camtrapdp_zip(state.engine, conn, scope, sensitive, partner, project or None,
                                          state.media_root)
    if exact:
        log_event(conn, scope.caller, "download", request.url.path, [partner], exact)
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{partner}-camtrapdp.zip"'})


REVIEW_TABLE = "identification_proposal"


class ReviewDecision(BaseModel):
    """A reviewer's decision on a proposed identification."""

    decision: str  # confirm, reject or new
    code: str | None = None  # catalogue code of a new individual (default: the next free one)
    partner_code: str | None = None  # the partner's own code for a new individual
    note: str | None = None


def _review_item(row: dict) -> dict:
    out = {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
    out["queryPhoto"] = f"/api/review/{row['id']}/query.jpg"
    out["candidatePhoto"] = (f"/api/review/{row['id']}/candidate.jpg"
                             if row.get("candidate_media_id") is not None or row.get("candidate_image") else None)
    out.pop("image", None)
    out.pop("candidate_image", None)  # server paths are not the browser's business
    return out


def _visible_proposal(state, caller, proposal_id: int) -> dict:
    from bigcats.identify.catalogue import pending_one

    row = pending_one(state.engine, proposal_id)
    if row is None or row["partner_id"] not in caller.roles:
        raise WebError(f"proposal {proposal_id}: not found among what you may review", status=404)
    return row


def _editable_proposal(state, caller, proposal_id: int, doing: str) -> dict:
    """A proposal the caller may see (else 404) and change: editors of the photo's partner only (else 403)."""
    row = _visible_proposal(state, caller, proposal_id)
    if not caller.has_role(row["partner_id"], "editor"):
        raise WebError(f"{doing} needs the editor role in the photo's partner", status=403)
    return row


@router.get("/review")
def review_queue(conn: Conn, caller: CallerDep, state: StateDep, limit: int = 100) -> dict:
    """Proposed identifications awaiting review for the partners the caller belongs to, best score first."""
    from bigcats.identify.catalogue import pending

    available = inspect(conn).has_table(REVIEW_TABLE)
    if not available or caller.is_public or not caller.roles:
        return {"available": available and not caller.is_public, "items": []}
    frame = pending(state.engine, partners=list(caller.roles), limit=min(max(limit, 1), 500))
    editor = {pid for pid in caller.roles if caller.has_role(pid, "editor")}
    items = [_review_item(r) | {"canDecide": r["partner_id"] in editor} for r in
             frame.astype(object).where(frame.notna(), None).to_dict(orient="records")]
    from bigcats.web.review_words import review_extras
    from bigcats.web.visibility import build_scope

    items = review_extras(conn, build_scope(conn, caller), items, state.media_root)
    return {"available": True, "items": items}


def _review_photo(state, caller, proposal_id: int, which: str) -> Response:
    from PIL import Image

    row = _visible_proposal(state, caller, proposal_id)
    path = row["query_path"] if which == "query" else row["candidate_path"]
    if not path or not Path(path).is_file():
        raise WebError(f"proposal {proposal_id}: the {which} photo is not on this server", status=404)
    with Image.open(path) as img:
        buffer = io.BytesIO()
        img.convert("RGB").save(buffer, "JPEG", quality=85)
    return Response(buffer.getvalue(), media_type="image/jpeg")


@router.get("/review/{proposal_id}/query.jpg")
def review_query_photo(proposal_id: int, caller: UserDep, state: StateDep) -> Response:
    """The photo to identify, for a proposal the caller may review, re-encoded without its metadata."""
    return _review_photo(state, caller, proposal_id, "query")


@router.get("/review/{proposal_id}/candidate.jpg")
def review_candidate_photo(proposal_id: int, caller: UserDep, state: StateDep) -> Response:
    """The candidate's reference photo of the same flank, for a proposal the caller may review."""
    return _review_photo(state, caller, proposal_id, "candidate")


@router.post("/review/{proposal_id}")
def review_decide(proposal_id: int, body: ReviewDecision, caller: UserDep, state: StateDep) -> dict:
    """Confirm, reject or declare a new individual for a proposal (editors of the photo's partner)."""
    from bigcats.identify.catalogue import decide
    from bigcats.identify.errors import IdentifyError

    _editable_proposal(state, caller, proposal_id, "deciding identifications")
    try:
        return decide(state.engine, proposal_id, body.decision, who=caller.username or f"user {caller.user_id}",
                      code=body.code, partner_code=body.partner_code, note=body.note)
    except IdentifyError as err:
        raise WebError(str(err), status=409 if "already" in str(err) else 400) from None


class ReviewBox(BaseModel):
    """A reviewer's box round the animal (relative to the photo, Camtrap DP's bbox fields) and/or its flank."""

    bboxX: float | None = None
    bboxY: float | None = None
    bboxWidth: float | None = None
    bboxHeight: float | None = None
    side: str | None = None  # left, right or unknown
    note: str | None = None


@router.post("/review/{proposal_id}/box")
def review_box(proposal_id: int, body: ReviewBox, caller: UserDep, state: StateDep) -> dict:
    """Set the animal's box and/or flank on a proposal's photo (editors of the photo's partner); undoable."""
    from bigcats.identify.catalogue import set_box
    from bigcats.identify.errors import IdentifyError

    _editable_proposal(state, caller, proposal_id, "drawing a box")
    parts = (body.bboxX, body.bboxY, body.bboxWidth, body.bboxHeight)
    if any(v is not None for v in parts) and any(v is None for v in parts):
        raise WebError("box: give all four of bboxX, bboxY, bboxWidth, bboxHeight, or none")
    box = parts if parts[0] is not None else None
    try:
        return set_box(state.engine, proposal_id, caller.username or f"user {caller.user_id}", box, body.side, note=body.note)
    except IdentifyError as err:
        raise WebError(str(err), status=409 if "already" in str(err) else 400) from None


@router.get("/summary")
def summary(conn: Conn, scope: ScopeDep, f: FiltersDep, state: StateDep,
            density: Annotated[bool, Query(description="also fit SCR density (seconds)")] = False) -> dict:
    """Effort (trap-nights), independent detections and relative abundance per side and for the whole area, and
    SCR density on request, for the species named: the same library functions and defaults as `bigcats analyse
    effort|abundance --by country`, `bigcats density` and the status report, over the records you may see."""
    from dataclasses import replace

    from bigcats.core.period import Period
    from bigcats.store.query import load_frames
    from bigcats.survey import abundance_by_side, effort_by_side
    from bigcats.web.api.layers import _visible_partners, estimate_density

    if not f.species:
        raise WebError("species: name at least one species, e.g. ?species=Amur tiger")
    partners = sorted(set.intersection(*(set(_visible_partners(conn, scope, s)) for s in f.species)))
    if not partners:
        raise WebError("no partner's records of these species are visible to you", status=403)
    frames = load_frames(state.engine)
    frames = replace(frames, deployments=frames.deployments[frames.deployments["partner"].isin(partners)])
    period = None
    if f.start or f.end:
        deps = frames.deployments
        start = pd.Timestamp(f.start, tz="UTC") if f.start else deps["deploymentStart"].min()
        end = pd.Timestamp(f.end, tz="UTC") if f.end else deps["deploymentEnd"].max()
        period = Period(start, end, f"{start:%Y-%m-%d}/{end:%Y-%m-%d}")
    frames = frames.select(country=f.side, period=period)
    out = {"species": list(f.species), "partners": partners, "side": f.side, "effortUnit": "trap-nights",
           "effort": effort_by_side(frames).to_dict(orient="records"),
           "abundance": abundance_by_side(frames, list(f.species)).to_dict(orient="records")}
    if density:
        out["density"] = [estimate_density(state.engine, s, partners, f.side) for s in f.species]
    return out
