"""`bigcats serve`: the web application on uvicorn (SQLite laptop default, or a PostgreSQL URL)."""

from __future__ import annotations

from typing import Annotated

import typer

from bigcats.cli.common import DbOption


def serve(host: str = "127.0.0.1", port: int = 8000, db: DbOption = None,
          media_root: Annotated[str | None, typer.Option(
              "--media-root", help="Folder of the photos the server may show (default: $BIGCATS_MEDIA_ROOT, else "
              "the SQLite database's folder).")] = None) -> None:
    """Start the web application (http://HOST:PORT/, API description at /api/docs)."""
    import uvicorn

    from bigcats.web import create_app

    uvicorn.run(create_app(db, media_root=media_root), host=host, port=port, proxy_headers=False, log_level="info")
