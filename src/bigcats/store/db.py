"""Engines and schema upgrades for the laptop SQLite file and the shared PostgreSQL server alike."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text

from bigcats.config import resolve_db_url

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # Foreign keys are off by default in SQLite; WAL lets the web app read while an import writes.
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache: bulk imports touch big indexes
    cur.close()


def make_engine(db: str | None = None, pre_ping: bool = True, pool_size: int | None = None) -> Engine:
    """Create an engine for a URL or SQLite path (default: $BIGCATS_DB, else ./bigcats.db).

    For PostgreSQL: pre_ping=False leaves out the test query before each use of a pooled connection, for callers
    that handle a dropped connection themselves (the web application's first query of each request does);
    pool_size keeps that many connections open (a connection made and closed per request costs more than the
    request).
    """
    url = resolve_db_url(db)
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=pre_ping,
                               **({"pool_size": pool_size, "max_overflow": pool_size} if pool_size else {}))
    return engine


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to this engine, with the package's migration scripts."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration revision shipped with this version of bigcats."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest revision through the migrations."""
    command.upgrade(alembic_config(engine), "head")


def open_store(db: str | None = None, pre_ping: bool = True, pool_size: int | None = None) -> Engine:
    """An engine whose database is at the newest schema (upgraded through the migrations if behind)."""
    engine = make_engine(db, pre_ping, pool_size)
    if current_revision(engine) != head_revision():
        upgrade(engine)
    return engine


# Tables the store keeps for itself, not data anyone gave: the change marks that key the web's caches (written by
# triggers on every writing statement, so an import that adds nothing still leaves one; SQLite makes a kind's
# counting row on its first mark). An import's "added" and the idempotence checks count data only.
BOOKKEEPING_TABLES = frozenset({"web_change"})


def table_counts(bind: Engine | Connection) -> dict[str, int]:
    """Row counts of every data table of the schema (the store's own bookkeeping tables left out)."""
    from bigcats.store.models import Base

    def count(conn: Connection) -> dict[str, int]:
        return {name: conn.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
                for name in Base.metadata.tables if name not in BOOKKEEPING_TABLES}

    if isinstance(bind, Connection):
        return count(bind)
    with bind.connect() as conn:
        return count(conn)
