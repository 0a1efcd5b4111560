"""`bigcats serve`: the web application on uvicorn (SQLite laptop default, or a PostgreSQL URL)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from bigcats.cli.common import DbOption


def serve(host: str = "127.0.0.1", port: int = 8000, db: DbOption = None,
          media_root: Annotated[str | None, typer.Option(
              "--media-root", help="Folder of the photos the server may show (default: $BIGCATS_MEDIA_ROOT, else "
              "the SQLite database's folder).")] = None,
          workers: Annotated[int, typer.Option(
              "--workers", min=1, max=64, help="Server processes (one per CPU core serves most requests at once; "
              "they share nothing but the database).")] = 1) -> None:
    """Start the web application (http://HOST:PORT/, API description at /api/docs)."""
    import uvicorn

    from bigcats.web import create_app

    if workers == 1:
        uvicorn.run(create_app(db, media_root=media_root), host=host, port=port, proxy_headers=False,
                    log_level="info")
        return
    from bigcats.config import resolve_db_url
    from bigcats.store.db import open_store

    # Each worker builds its own application from the environment; the schema is upgraded here, once, not by
    # several workers racing at start-up.
    url = resolve_db_url(db)
    open_store(url).dispose()
    os.environ["BIGCATS_DB"] = url
    if media_root:
        os.environ["BIGCATS_MEDIA_ROOT"] = media_root
    uvicorn.run("bigcats.web.app:create_app", factory=True, workers=workers, host=host, port=port,
                proxy_headers=False, log_level="info")
