"""Server-rendered pages (Jinja2 with gettext catalogues of the `web` domain), in en, ru, zh and mn."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bigcats.i18n import LANGUAGES, format_date, format_number, translations
from bigcats.web import queries
from bigcats.web.api.data import FiltersDep
from bigcats.web.deps import (
    LANG_COOKIE,
    AdminDep,
    CallerDep,
    Conn,
    LangDep,
    ScopeDep,
    SensitiveDep,
    StateDep,
    client_of,
    cookie_secure,
)
from bigcats.web.errors import WebError
from bigcats.web.security import SESSION_COOKIE
from bigcats.web.sessions import set_session_cookies, sign_in, sign_out

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).with_name("templates")
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "zh": "中文", "mn": "Монгол"}


@lru_cache(maxsize=len(LANGUAGES))
def environment(lang: str) -> Environment:
    """The template environment of one language (one per language: gettext is bound at install time)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(lang, "web"), newstyle=True)
    env.filters["number"] = lambda v, digits=0: "" if v is None or v != v else format_number(v, lang, digits)
    env.filters["date"] = lambda v: "" if v is None or v != v else format_date(v, lang)
    return env


def render(request: Request, name: str, lang: str, caller, status: int = 200, csrf: str | None = None,
           **context) -> HTMLResponse:
    """A page in the reader's language; remembers a language chosen with ?lang= in a cookie."""
    if csrf is None:
        csrf = request.scope.get("state", {}).get("csrf", "")
    html = environment(lang).get_template(name).render(
        request=request, lang=lang, languages=LANGUAGE_NAMES, caller=caller, csrf=csrf, path=request.url.path,
        **context)
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, request.query_params["lang"], max_age=365 * 86400, samesite="lax")
    return response


def error_page(request: Request, exc: WebError) -> HTMLResponse:
    """An error shown as a page (sign-in link for 401)."""
    from bigcats.web.deps import get_lang
    from bigcats.web.visibility import PUBLIC

    return render(request, "error.html", get_lang(request), PUBLIC, status=exc.status, message=str(exc),
                  code=exc.status)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, conn: Conn, scope: ScopeDep, f: FiltersDep, lang: LangDep,
              state: StateDep) -> HTMLResponse:
    """Dashboard: effort, detections, individuals, relative abundance per species and year."""
    from bigcats.web.respcache import answer, page

    def make():
        data = queries.dashboard(conn, scope, f, lang, cache=state.summary)
        sides = queries.individuals_by_side(queries.individuals(conn, scope, f, lang, cache=state.summary))
        return (data, data["species"].to_dict("records"), sides, queries.species_list(conn, lang),
                queries.partners(conn, scope)), None

    def html(csrf: str) -> HTMLResponse:
        data, rows, sides, species, partners = answer(request, conn, scope, state, lang, make)
        return render(request, "dashboard.html", lang, scope.caller, csrf=csrf, data=data, rows=rows, filters=f,
                      sides=sides, species=species, partners=partners)

    return page(request, state, lang, html)


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, conn: Conn, scope: ScopeDep, lang: LangDep, state: StateDep) -> HTMLResponse:
    """Map of stations and detections with filters (layers come from the API under the same rules)."""
    from bigcats.web.respcache import answer, page

    def html(csrf: str) -> HTMLResponse:
        species, partners = answer(request, conn, scope, state, lang, lambda: (
            (queries.species_list(conn, lang), queries.partners(conn, scope)), None))
        return render(request, "map.html", lang, scope.caller, csrf=csrf, species=species, partners=partners)

    return page(request, state, lang, html)


@router.get("/catalogue", response_class=HTMLResponse)
def catalogue(request: Request, conn: Conn, scope: ScopeDep, f: FiltersDep, lang: LangDep,
              state: StateDep) -> HTMLResponse:
    """The individual catalogue."""
    from bigcats.web.respcache import answer, page

    def html(csrf: str) -> HTMLResponse:
        cats, species = answer(request, conn, scope, state, lang, lambda: ((
            queries.individuals(conn, scope, f, lang, cache=state.summary).to_dict("records"),
            queries.species_list(conn, lang)), None))
        return render(request, "catalogue.html", lang, scope.caller, csrf=csrf, cats=cats, species=species,
                      filters=f)

    return page(request, state, lang, html)


@router.get("/catalogue/{individual_id}", response_class=HTMLResponse)
def individual(individual_id: int, request: Request, conn: Conn, scope: ScopeDep, sensitive: SensitiveDep,
               lang: LangDep, state: StateDep) -> HTMLResponse:
    """One cat: aliases, photos and sightings on both sides."""
    from bigcats.web.audit import log_exact

    entry = queries.individual(conn, scope, sensitive, individual_id, lang, cache=state.summary)
    log_exact(conn, scope.caller, "view", request.url.path, entry["sightings"])
    photos = queries.individual_photos(conn, scope, entry, state.media_root)
    return render(request, "individual.html", lang, scope.caller, cat=entry, photos=photos,
                  sightings=entry["sightings"].to_dict("records"))


@router.get("/review", response_class=HTMLResponse)
def review(request: Request, caller: CallerDep, lang: LangDep) -> HTMLResponse:
    """The review queue of proposed identifications (filled by the API)."""
    return render(request, "review.html", lang, caller)


@router.get("/upload", response_class=HTMLResponse)
def upload(request: Request, caller: CallerDep, conn: Conn, lang: LangDep) -> HTMLResponse:
    """Upload a Camtrap DP package or a zipped image folder."""
    if caller.is_public:
        return RedirectResponse("/login?next=/upload", status_code=303)
    from sqlalchemy import select

    from bigcats.store.models import Partner

    mine = conn.execute(select(Partner.code, Partner.id).where(Partner.id.in_(list(caller.roles)))).all()
    editable = [code for code, pid in mine if caller.has_role(pid, "editor")]
    return render(request, "upload.html", lang, caller, partners=editable)


@router.get("/access-log", response_class=HTMLResponse)
def access_log(request: Request, conn: Conn, caller: AdminDep, lang: LangDep) -> HTMLResponse:
    """Who saw or downloaded exact locations (administrators)."""
    from bigcats.web.api.admin import access_log as api_log

    return render(request, "access_log.html", lang, caller, entries=api_log(conn, caller))


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, caller: CallerDep, lang: LangDep, next: str = "/") -> HTMLResponse:
    """The sign-in form."""
    return render(request, "login.html", lang, caller, next=_safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, conn: Conn, state: StateDep, lang: LangDep, caller: CallerDep,
          username: Annotated[str, Form()], password: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
          ) -> HTMLResponse:
    """Sign in from the form; back to the form with the reason if refused."""
    try:
        cookie = sign_in(conn, state.signer, username, password, client_of(request, state))
    except WebError as exc:
        return render(request, "login.html", lang, caller, status=exc.status, next=_safe_next(next), error=str(exc))
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookies(response, cookie, state.signer, cookie_secure(request, state))
    return response


@router.post("/logout")
def logout(request: Request, conn: Conn, state: StateDep) -> RedirectResponse:
    """Sign out and go back to the dashboard."""
    sign_out(conn, state.signer, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", status_code=303)
    set_session_cookies(response, None, state.signer, cookie_secure(request, state))
    return response


def _safe_next(target: str) -> str:
    # Only paths on this site: an open redirect would make the sign-in page a phishing tool.
    return target if target.startswith("/") and not target.startswith("//") else "/"
