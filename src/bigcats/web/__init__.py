"""The shared web application: pages and a JSON API over the store, with roles, agreements and hidden locations.

`create_app(db_url)` builds the FastAPI application; `bigcats serve` runs it with uvicorn. The application is
imported on first use, so that the library (e.g. the exchange, which generalises packages with
`web.visibility`) can use this package's rules without loading the whole web application.
"""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from bigcats.web.app import create_app

        return create_app
    raise AttributeError(f"module 'bigcats.web' has no attribute {name!r}")
