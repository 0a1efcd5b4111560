"""`bigcats serve`: the web application on uvicorn (SQLite laptop default, or a PostgreSQL URL)."""

from __future__ import annotations

from bigcats.cli.common import DbOption


def serve(host: str = "127.0.0.1", port: int = 8000, db: DbOption = None) -> None:
    """Start the web application (http://HOST:PORT/, API description at /api/docs)."""
    import uvicorn

    from bigcats.web import create_app

    uvicorn.run(create_app(db), host=host, port=port, proxy_headers=False, log_level="info")
