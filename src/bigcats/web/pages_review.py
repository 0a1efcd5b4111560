"""The species-review page: bursts of machine identifications, least confident first, decided several at once."""

from __future__ import annotations

import copy
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from bigcats.store.models import Media, Observation
from bigcats.web import queries
from bigcats.web import species_review as sr
from bigcats.web.deps import CallerDep, Conn, LangDep, StateDep, UserDep
from bigcats.web.errors import WebError
from bigcats.web.pages import render
from bigcats.web.photos import media_file_for

router = APIRouter(include_in_schema=False)


@router.get("/species-review", response_class=HTMLResponse)
def species_review_page(request: Request, conn: Conn, caller: CallerDep, lang: LangDep, state: StateDep,
                        species: str | None = None, partner: str | None = None, done: str | None = None,
                        error: str | None = None) -> HTMLResponse:
    """Bursts to review with the machine's guess and its confidence, the bulk form, and the history."""
    if caller.is_public:
        return RedirectResponse("/login?next=/species-review", status_code=303)
    frame = sr.queue(conn, caller, species or None, partner or None, lang, limit=60)
    paths = dict(conn.execute(select(Media.id, Media.file_path).where(
        Media.id.in_([int(m) for m in frame["mediaID"].dropna()]))).all()) if len(frame) else {}
    rows = frame.to_dict("records")
    for r in rows:
        m = r.get("mediaID")
        r["photo"] = (f"/api/photos/media/{int(m)}/thumb.jpg" if m == m and m is not None
                      and media_file_for(paths.get(int(m)), state.media_root) else None)
        r["large"] = r["photo"].replace("/thumb.jpg", "/large.jpg") if r["photo"] else None
    bursts: dict[int, list[dict]] = {}
    for r in rows:
        bursts.setdefault(r["burst"], []).append(r)
    log = sr.history(conn, caller, limit=50).to_dict("records")
    return render(request, "species_review.html", lang, caller, bursts=bursts, history=log,
                  species=queries.species_list(conn, lang), all_species=_all_species(conn, lang),
                  chosen_species=species or "", chosen_partner=partner or "", done=done, error=error,
                  partners=sorted({r["partner"] for r in rows}))


def _all_species(conn, lang: str) -> list[dict]:
    from bigcats.store.models import Species
    from bigcats.web.queries import _species_name

    rows = conn.execute(select(Species.scientific_name, _species_name(lang)).order_by(_species_name(lang))).all()
    return [{"scientificName": s, "name": n} for s, n in rows]


@router.post("/species-review")
def species_review_decide(conn: Conn, caller: UserDep, state: StateDep,
                          obs: Annotated[list[int] | None, Form()] = None,
                          scientific_name: Annotated[str, Form()] = "", obs_type: Annotated[str, Form()] = "animal",
                          count: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
                          back: Annotated[str, Form()] = "", to: Annotated[str, Form()] = "") -> RedirectResponse:
    """Apply one identification to the ticked observations and come back to the queue (or the review plan)."""
    params = {k: v for k, v in parse_qsl(back) if k in ("species", "partner", "occasion_days")}
    page = "/review-plan" if to == "plan" else "/species-review"
    try:
        n = int(count) if count.strip() else None
        out = sr.decide(conn, caller, obs or [], scientific_name or None, obs_type, n, note or None)
    except (WebError, ValueError) as exc:
        return RedirectResponse(page + "?" + urlencode(params | {"error": str(exc)}), status_code=303)
    conn.commit()
    state.summary.clear()
    state.sensitive.clear()
    message = f"{out['observations']} observations decided, {out['changed']} changed"
    return RedirectResponse(page + "?" + urlencode(params | {"done": message}), status_code=303)





@router.get("/review-plan", response_class=HTMLResponse)
def review_plan_page(request: Request, conn: Conn, caller: CallerDep, lang: LangDep, state: StateDep,
                     occasion_days: int = 7, done: str | None = None, error: str | None = None) -> HTMLResponse:
    """Per species: records, doubt, expected false and missed stations, events to review; then those events with
    their photos, to decide here (camtraptools' review plan)."""
    if caller.is_public:
        return RedirectResponse("/login?next=/review-plan", status_code=303)
    try:
        doc = copy.deepcopy(sr.review_plan(conn, caller, occasion_days, limit=60))  # the plan is cached: not ours
    except WebError as exc:
        doc, error = {"species": [], "events": [], "eventsToReview": 0, "reviewed": 0}, str(exc)
    ids = [e["observation"] for e in doc["events"]]
    media = dict(conn.execute(select(Observation.id, Observation.media_id).where(Observation.id.in_(ids))).all()
                 ) if ids else {}
    paths = dict(conn.execute(select(Media.id, Media.file_path).where(
        Media.id.in_([m for m in media.values() if m is not None]))).all()) if media else {}
    names = {s["scientificName"]: s["name"] for s in _all_species(conn, lang)}
    for e in doc["events"]:
        m = media.get(e["observation"])
        e["photo"] = (f"/api/photos/media/{int(m)}/thumb.jpg" if m is not None
                      and media_file_for(paths.get(int(m)), state.media_root) else None)
        e["large"] = e["photo"].replace("/thumb.jpg", "/large.jpg") if e["photo"] else None
        e["machine_name"] = names.get(e["machine"], e["machine"])
        e["species_names"] = [names.get(s, s) for s in e["species"]]
    for s in doc["species"]:
        s["name"] = names.get(s["species"], s["species"])
    return render(request, "review_plan.html", lang, caller, plan=doc, occasion_days=occasion_days,
                  all_species=_all_species(conn, lang), done=done, error=error or doc.get("message"))
