"""The shared web application: pages and a JSON API over the store, with roles, agreements and hidden locations.

`create_app(db_url)` builds the FastAPI application; `bigcats serve` runs it with uvicorn.
"""

from bigcats.web.app import create_app

__all__ = ["create_app"]
