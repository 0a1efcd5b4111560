"""Where the database is: the one rule every command and the web app share."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB_FILE = "bigcats.db"
ENV_DB = "BIGCATS_DB"


def resolve_db_url(db: str | None = None) -> str:
    """Return the database URL: the given one, else $BIGCATS_DB, else ./bigcats.db (SQLite)."""
    url = db or os.environ.get(ENV_DB) or DEFAULT_DB_FILE
    if "://" not in url:
        # A bare path is what laptop users type; turn it into an SQLite URL.
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    return url
