"""The application factory: engine, signing key, middleware, API routes, pages and packaged static files."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from bigcats.web.deps import AppState, csrf_protect
from bigcats.errors import BigcatsError
from bigcats.web.middleware import GuardMiddleware, LeanMiddleware
from bigcats.web.security import Signer, secret_key
from bigcats.web.uploads import MAX_UPLOAD_BYTES

STATIC = Path(__file__).with_name("static")
DB_POOL = 16  # PostgreSQL connections kept open per server process


def create_app(db_url: str | None = None, max_upload_bytes: int = MAX_UPLOAD_BYTES,
               media_root: str | Path | None = None, thumb_dir: str | Path | None = None,
               public_url: str | None = None, trusted_proxies: Iterable[str] | None = None,
               cookie_secure: bool | None = None) -> FastAPI:
    """The web application over a store (SQLite path or URL; default $BIGCATS_DB), schema upgraded if behind.

    `media_root` is the media store photos are read from (default $BIGCATS_MEDIA_ROOT, else the SQLite file's
    folder; see `web.media_store`); thumbnails are cached in `thumb_dir` (default $BIGCATS_THUMB_DIR, else the
    user's cache); `public_url` the address users reach the server at ($BIGCATS_PUBLIC_URL): when it is https the
    session cookie is `Secure` unless `cookie_secure` ($BIGCATS_COOKIE_SECURE=0/1) says otherwise;
    `trusted_proxies` ($BIGCATS_TRUSTED_PROXIES, comma-separated) are the reverse proxies whose X-Forwarded-For
    names the client.
    """
    from bigcats.web.photos import default_media_root, default_thumb_dir
    import bigcats.store.models_access  # noqa: F401 - the access tables must be in the metadata
    from bigcats.store.db import open_store
    from bigcats.web import docs, pages
    from bigcats.web import pages_downloads, pages_review, pages_sharing
    from bigcats.exchange.sync.api import router as sync_router
    from bigcats.web.api import router as api_router

    # Each request's first query stands in for the ping (web.context); connections stay open for the threads that
    # use them at once (LeanMiddleware's look-ups and FastAPI's routes).
    engine = open_store(db_url, pre_ping=False, pool_size=DB_POOL)
    with engine.connect() as conn:
        signer = Signer(secret_key(conn))
    app = FastAPI(title="bigcats", summary="Shared monitoring of Amur tigers, Amur leopards and snow leopards",
                  version="0.1.0", openapi_url="/api/openapi.json", docs_url=None, redoc_url=None,
                  dependencies=[Depends(csrf_protect)])
    public_url = public_url if public_url is not None else os.environ.get("BIGCATS_PUBLIC_URL", "")
    if cookie_secure is None and os.environ.get("BIGCATS_COOKIE_SECURE", "") != "":
        cookie_secure = os.environ["BIGCATS_COOKIE_SECURE"].strip().lower() not in ("0", "false", "no", "off")
    if cookie_secure is None and public_url:
        cookie_secure = public_url.lower().startswith("https://")
    if trusted_proxies is None:
        trusted_proxies = [a for a in os.environ.get("BIGCATS_TRUSTED_PROXIES", "").split(",") if a.strip()]
    root = Path(media_root).resolve() if media_root else default_media_root(
        db_url or engine.url.render_as_string(hide_password=True))
    app.state.bigcats = AppState(engine, signer, max_upload_bytes=max_upload_bytes, media_root=root,
                                 thumb_dir=Path(thumb_dir) if thumb_dir else default_thumb_dir(root),
                                 cookie_secure=cookie_secure,
                                 trusted_proxies=frozenset(a.strip() for a in trusted_proxies))
    app.add_middleware(LeanMiddleware, state_of=lambda: app.state.bigcats)  # inside the guard: its headers too
    app.add_middleware(GuardMiddleware, signer_of=lambda: app.state.bigcats.signer,
                       max_body=max_upload_bytes + 1024 * 1024,
                       secure_of=lambda: app.state.bigcats.cookie_secure)
    app.include_router(api_router)
    app.include_router(pages.router)
    app.include_router(docs.router)  # /api/docs from the package's files, not a CDN
    app.include_router(pages_sharing.router)
    app.include_router(pages_review.router)
    app.include_router(pages_downloads.router)
    app.include_router(sync_router(lambda: app.state.bigcats.engine))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(BigcatsError)
    async def refused(request: Request, exc: BigcatsError):
        # One handler for every refusal of a user's input: a 4xx with the problems, never a 500.
        if request.url.path.startswith(("/api/", "/sync/")):
            return JSONResponse({"detail": str(exc), **exc.to_dict()}, status_code=exc.status,
                                headers=getattr(exc, "headers", None) or None)
        return pages.error_page(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"detail": "; ".join(problems)}, status_code=422)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> HTMLResponse:
        return HTMLResponse("ok")

    return app
