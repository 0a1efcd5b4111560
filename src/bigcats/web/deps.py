"""Typed FastAPI dependencies: the application state, a database connection, the caller, its scope, role checks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from bigcats.i18n import LANGUAGES
from bigcats.web.errors import WebError
from bigcats.web.security import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, Signer, csrf_matches
from bigcats.web.context import Context, ContextCache
from bigcats.web.respcache import AnswerCache
from bigcats.web.summary import SummaryCache
from bigcats.web.uploads import Jobs
from bigcats.web.visibility import Caller, Scope, SensitiveStations

LANG_COOKIE = "bigcats_lang"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class AppState:
    """What one application instance holds: its engine, signing key, caches and upload jobs."""

    engine: Engine
    signer: Signer
    sensitive: SensitiveStations = field(default_factory=SensitiveStations)
    summary: SummaryCache = field(default_factory=SummaryCache)
    jobs: Jobs = field(default_factory=Jobs)
    answers: AnswerCache = field(default_factory=AnswerCache)
    contexts: ContextCache = field(default_factory=ContextCache)  # callers and scopes per access version
    species_names: dict = field(default_factory=dict)  # (data version, name asked) -> scientific name
    max_upload_bytes: int = 512 * 1024 * 1024
    media_root: Path | None = None  # the media store: the only place photos are read from (web.media_store)
    thumb_dir: Path | None = None  # where thumbnails are cached
    cookie_secure: bool | None = None  # the session cookie's Secure flag; None: as the request's scheme
    trusted_proxies: frozenset[str] = frozenset()  # addresses whose X-Forwarded-For is believed


def get_state(request: Request) -> AppState:
    """The application's state."""
    return request.app.state.bigcats


def get_conn(state: Annotated[AppState, Depends(get_state)]) -> Iterator[Connection]:
    """A database connection for the request, closed after it."""
    with state.engine.connect() as conn:
        yield conn


def get_context(request: Request, conn: Annotated[Connection, Depends(get_conn)],
                state: Annotated[AppState, Depends(get_state)]) -> Context:
    """The caller (the session cookie's user, or the public), its scope and the versions, read once per request."""
    ctx = request.scope.get("state", {}).get("bigcats_context")
    if ctx is None:
        ctx = state.contexts.context(conn, state.signer.session_hash(request.cookies.get(SESSION_COOKIE)))
        request.scope.setdefault("state", {})["bigcats_context"] = ctx
    return ctx


def get_caller(ctx: Annotated[Context, Depends(get_context)]) -> Caller:
    """The signed-in user from the session cookie, or the public."""
    return ctx.caller


def get_scope(ctx: Annotated[Context, Depends(get_context)]) -> Scope:
    """What the caller may see."""
    return ctx.scope


def get_sensitive(conn: Annotated[Connection, Depends(get_conn)], state: Annotated[AppState, Depends(get_state)],
                  ctx: Annotated[Context, Depends(get_context)]) -> frozenset[int]:
    """Ids of stations where a sensitive species was recorded."""
    return state.sensitive.get_at(conn, (ctx.data, ctx.access))


def require_user(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    """The caller, who must be signed in."""
    if caller.is_public:
        raise WebError("sign in first", status=401)
    return caller


def require_admin(caller: Annotated[Caller, Depends(require_user)]) -> Caller:
    """The caller, who must administer at least one partner."""
    if not caller.is_admin():
        raise WebError("administrators only", status=403)
    return caller


def get_lang(request: Request) -> str:
    """The reader's language: ?lang=, else the language cookie, else the browser's preference, else English."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in LANGUAGES:
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


SYNC_PREFIX = "/sync/v1/"


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing request that does not repeat its CSRF cookie (header or form field)."""
    if request.method not in UNSAFE:
        return
    if request.url.path.startswith(SYNC_PREFIX):
        # Node-to-node exchange ignores cookies and sessions: every request carries an Ed25519 signature of the
        # sending server, checked by the exchange router itself, which a forged cross-site request cannot make.
        return
    state: AppState = request.app.state.bigcats
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    ctype = request.headers.get("content-type", "")
    if sent is None and ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not csrf_matches(cookie, sent, state.signer):
        raise WebError("CSRF token missing or wrong: reload the page and try again", status=403)


Conn = Annotated[Connection, Depends(get_conn)]
CallerDep = Annotated[Caller, Depends(get_caller)]
UserDep = Annotated[Caller, Depends(require_user)]
AdminDep = Annotated[Caller, Depends(require_admin)]
ScopeDep = Annotated[Scope, Depends(get_scope)]
ContextDep = Annotated[Context, Depends(get_context)]
SensitiveDep = Annotated[frozenset[int], Depends(get_sensitive)]
StateDep = Annotated[AppState, Depends(get_state)]
LangDep = Annotated[str, Depends(get_lang)]


def client_of(request: Request, state: AppState) -> str | None:
    """The client's address for rate limits (X-Forwarded-For only from a configured trusted proxy)."""
    from bigcats.web.security import client_address

    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), state.trusted_proxies)


def cookie_secure(request: Request, state: AppState) -> bool:
    """Whether cookies get the Secure flag: as configured, else when the request came over https."""
    return state.cookie_secure if state.cookie_secure is not None else request.url.scheme == "https"
