"""ASGI middleware: a cap on request bodies, a CSRF cookie for every browser, and security headers."""

from __future__ import annotations

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bigcats.web.security import CSRF_COOKIE, Signer

HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    # Everything ships with the package: nothing may load from elsewhere.
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'"),
]


class GuardMiddleware:
    """Refuses bodies over max_body bytes (413) and gives each browser a signed CSRF cookie."""

    def __init__(self, app: ASGIApp, signer_of, max_body: int, secure_of=lambda: None) -> None:
        self.app = app
        self.signer_of = signer_of
        self.max_body = max_body
        self.secure_of = secure_of  # the configured Secure flag of cookies (None: as the request's scheme)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _reply(send, 413, b"request body too large")
            return
        signer: Signer = self.signer_of()
        current = cookie_parser(headers.get(b"cookie", b"").decode("latin-1")).get(CSRF_COOKIE)  # as Request.cookies
        fresh = None if signer.csrf_valid(current) else signer.new_csrf()
        scope.setdefault("state", {})["csrf"] = fresh or current
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge()
            return message

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = list(HEADERS)
                if fresh:
                    secure = self.secure_of()
                    flag = "; Secure" if (secure if secure is not None else scope.get("scheme") == "https") else ""
                    extra.append((b"set-cookie", f"{CSRF_COOKIE}={fresh}; Path=/; SameSite=Strict{flag}".encode()))
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_cookie)
        except _TooLarge:
            await _reply(send, 413, b"request body too large")


class _TooLarge(Exception):
    pass


async def _reply(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class LeanMiddleware:
    """Serves cached answers of the lean read routes and pages before FastAPI's routing and dependencies.

    One worker-thread hop, one query (the session's user and the versions: `web.context`), a dictionary look-up
    and the same access-log line as the route; on a miss the request goes on to the route, with the context
    already read. What may be served this way, and under which key, is decided in `web.respcache`.
    """

    def __init__(self, app: ASGIApp, state_of, threads: int = 8) -> None:
        self.app = app
        self.state_of = state_of
        # At most this many look-ups at once (each holds a pooled connection for one or two queries): more
        # threads on two cores only queue inside the database, and would need connections beyond the pool.
        self.threads = threads
        self._limiter = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from bigcats.web.respcache import LEAN_PAGES, LEAN_ROUTES

        path = scope.get("path", "")
        if (scope["type"] != "http" or scope["method"] != "GET"
                or (path not in LEAN_ROUTES and path not in LEAN_PAGES)):
            await self.app(scope, receive, send)
            return
        import anyio

        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        hit = await anyio.to_thread.run_sync(self._lookup, scope, limiter=self._limiter)
        if hit is None:
            await self.app(scope, receive, send)
            return
        status, headers, body = hit
        if status != 304:
            headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _lookup(self, scope: Scope) -> tuple[int, list, bytes] | None:
        from starlette.requests import Request

        from bigcats.web.deps import get_lang
        from bigcats.web.respcache import LEAN_PAGES, lean_answer
        from bigcats.web.security import SESSION_COOKIE

        request = Request(scope)
        if scope["path"] in LEAN_PAGES and "lang" in request.query_params:
            return None  # the route remembers a chosen language in a cookie
        state = self.state_of()
        token_hash = state.signer.session_hash(request.cookies.get(SESSION_COOKIE))
        csrf = scope.get("state", {}).get("csrf", "")
        with state.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")  # one statement: no BEGIN, no ROLLBACK
            found, ctx = lean_answer(state, conn, scope["path"], scope.get("query_string", b""), token_hash,
                                     lambda: get_lang(request), csrf, _header(scope, b"if-none-match"),
                                     b"gzip" in (_header(scope, b"accept-encoding") or b""))
        if found is None:
            scope.setdefault("state", {})["bigcats_context"] = ctx  # the route reads it instead of asking again
        return found


def _header(scope: Scope, name: bytes) -> bytes | None:
    """A request header's value (the last one if repeated), or None."""
    found = None
    for k, v in scope["headers"]:
        if k == name:
            found = v
    return found
