"""Answers computed once per data version, access version and visibility, then served from memory.

Many users see the same thing: every member of one partner, and the whole public. An answer (a map layer, the
catalogue, the dashboard's numbers) depends only on the data version (imports, people's changes), the access
version (users, memberships, agreements, sensitivity), on what the caller may see (the scope's partners and
precision, not who the caller is) and on the request's filters, so it is kept under that key. Accesses to exact
locations are still written to the access log on every hit.

The page routes keep their rendered HTML too, under the same key plus what a page shows of the caller (name,
administrator or not), with the CSRF token left as a placeholder that each answer fills in.

`lean_answer` serves a cached answer of the read routes in `LEAN_ROUTES` straight from the ASGI layer
(`web.middleware.LeanMiddleware`), before FastAPI's routing and dependencies: the same context (one query: the
session's user and the versions), the same key, the same access-log line. A miss falls through to the route.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from bigcats.web.context import Context
from bigcats.web.visibility import Scope

MAX_ENTRIES = 2048
CSRF_PLACEHOLDER = "csrf-placeholder-6b1f0c9e4a"  # only letters, digits and '-': the same once HTML-escaped

# Read routes whose whole answer is keyed here and which check nothing beyond the caller's scope (no role, no
# signed-in requirement), so a cached answer may be served without running the route: path -> language-bound.
LEAN_ROUTES: dict[str, bool] = {
    "/api/stations": False,
    "/api/stations.geojson": False,
    "/api/map/detections.geojson": False,
    "/api/individuals": True,
    "/api/dashboard": True,
    "/api/dashboard/series": True,
    "/api/homeranges.geojson": False,
    "/api/layers": False,
    "/api/layers.geojson": False,
}
# Pages served from their cached HTML the same way (they too check nothing beyond the scope).
LEAN_PAGES = frozenset({"/", "/map", "/catalogue"})


def scope_key(scope: Scope) -> tuple:
    """What the answer depends on in a scope: public or not, and the access per partner (not the user)."""
    return scope.caller.is_public, tuple(sorted(scope.partners.items()))


def query_key(query_string: bytes | str) -> tuple:
    """A request's query as a key: every parameter but `lang`, in order (as Starlette parses it)."""
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    return tuple(sorted((k, v) for k, v in parse_qsl(query_string, keep_blank_values=True) if k != "lang"))


def answer_key(ctx: Context, path: str, query: tuple, lang: str) -> tuple:
    """The cache key of a route's answer."""
    return (ctx.data, ctx.access, scope_key(ctx.scope), path, query, lang)


def page_key(ctx: Context, path: str, query_string: str, lang: str) -> tuple:
    """The cache key of a rendered page: the answer's, the raw query (pages repeat it) and the caller as shown."""
    return ("page", ctx.data, ctx.access, scope_key(ctx.scope), path, query_string, lang, ctx.caller.username,
            ctx.caller.is_admin())


class AnswerCache:
    """A bounded LRU of answers keyed by `answer_key` or `page_key`."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.hits = self.misses = 0

    def peek(self, key: tuple) -> Any:
        """The cached value of key, or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
                self.hits += 1
            return value

    def put(self, key: tuple, value: Any) -> None:
        """Keep a value (the oldest go past max_entries)."""
        with self._lock:
            self.misses += 1
            self._items[key] = value
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def get_or_make(self, key: tuple, make: Callable[[], Any]) -> Any:
        """The cached answer for key, else make() (outside the lock: two makers may race, both right)."""
        value = self.peek(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def clear(self) -> None:
        """Forget everything (the data or the agreements changed in this process)."""
        with self._lock:
            self._items.clear()


def request_context(request, conn, state) -> Context:
    """The request's context (set by the `get_context` dependency; read here if a route did not ask for it)."""
    from bigcats.web.deps import get_context

    return get_context(request, conn, state)


def answer(request, conn, scope: Scope, state, lang: str, make: Callable[[], tuple[Any, Any]],
           action: str = "view") -> Any:
    """The answer of a read route, from the cache when the same data, visibility and query were asked before.

    make() returns (payload, frame or None); the frame's exact sensitive rows are logged on every call.
    """
    from bigcats.web.audit import exact_rows, log_event

    ctx = request_context(request, conn, state)
    if ctx.scope is not scope:  # a route that narrowed its scope: not the request's key
        raise ValueError("answer() needs the request's own scope")
    key = answer_key(ctx, request.url.path, query_key(request.scope.get("query_string", b"")), lang)

    def build() -> tuple[Any, Any, Any]:
        payload, frame = make()
        return payload, (exact_rows(frame) if frame is not None else None), _wire(payload)

    payload, exact, _ = state.answers.get_or_make(key, build)
    if exact is not None:
        log_event(conn, scope.caller, action, request.url.path, *exact)
    return payload


def page(request, state, lang: str, render: Callable[[str], Any]):
    """A page response, its HTML rendered once per page key; render(csrf) renders it with that CSRF token."""
    from fastapi.responses import HTMLResponse

    ctx = request.scope.get("state", {}).get("bigcats_context")
    csrf = request.scope.get("state", {}).get("csrf", "")
    if ctx is None or "lang" in request.query_params or request.url.path not in LEAN_PAGES:
        return render(csrf)
    key = page_key(ctx, request.url.path, request.url.query, lang)
    html = state.answers.peek(key)
    if html is None:
        response = render(CSRF_PLACEHOLDER)
        if response.status_code != 200:
            return response
        html = bytes(response.body)
        state.answers.put(key, html)
    return HTMLResponse(html.replace(CSRF_PLACEHOLDER.encode(), csrf.encode()))


def lean_answer(state, conn, path: str, query_string: bytes, token_hash: str | None, lang_of: Callable[[], str],
                csrf: str, if_none_match: bytes | None = None, gzip_ok: bool = False
                ) -> tuple[tuple[int, list, bytes] | None, Context]:
    """((status, raw headers, body) of a cached answer of a lean route or page, or None on a miss; the context).

    Runs in a worker thread with its own connection: the same context and key as the route would use, and the
    route's access-log line for exact locations (also when the browser's copy is still current: 304).
    """
    from bigcats.web.audit import log_event

    ctx = state.contexts.context(conn, token_hash)
    if path in LEAN_PAGES:
        html = state.answers.peek(page_key(ctx, path, query_string.decode("latin-1"), lang_of()))
        if html is None:
            return None, ctx
        return (200, [(b"content-type", b"text/html; charset=utf-8")],
                html.replace(CSRF_PLACEHOLDER.encode(), csrf.encode())), ctx
    lang = lang_of() if LEAN_ROUTES[path] else ""
    cached = state.answers.peek(answer_key(ctx, path, query_key(query_string), lang))
    if cached is None or cached[2] is None:
        return None, ctx
    payload, exact, (etag, gz) = cached
    if exact is not None:
        log_event(conn, ctx.caller, "view", path, *exact)
    headers = [(b"etag", etag), (b"cache-control", b"private, no-cache"), (b"vary", b"Accept-Encoding, Cookie")]
    if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(b",")]:
        return (304, headers, b""), ctx
    headers.append((b"content-type", dict(payload.raw_headers).get(b"content-type", b"application/json")))
    if gzip_ok and gz is not None:
        return (200, [*headers, (b"content-encoding", b"gzip")], gz), ctx
    return (200, headers, payload.body), ctx


GZIP_MIN = 1024  # smaller answers are sent as they are


def _wire(payload: Any) -> tuple[bytes, bytes | None] | None:
    """(ETag, gzipped body or None) of a response made once per cached answer; None for what is not a response.

    The ETag is also set on the route's own response, so a browser can revalidate either way; `no-cache` makes
    it ask every time, so an ended agreement or a signed-out session takes effect at the next request.
    """
    import gzip
    import hashlib

    body = getattr(payload, "body", None)
    if not isinstance(body, bytes):
        return None
    etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
    payload.headers["etag"] = etag.decode()
    payload.headers["cache-control"] = "private, no-cache"
    payload.headers["vary"] = "Accept-Encoding, Cookie"
    return etag, (gzip.compress(body, 6, mtime=0) if len(body) >= GZIP_MIN else None)
