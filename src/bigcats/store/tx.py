"""One database transaction for everything a receive writes: the store's functions run on a single connection.

The exchange reuses the library's writers and readers (importer, exporter, catalogue log), which take an engine
and open their own connections and transactions. `one_transaction` hands them an engine-like object whose
`connect()` and `begin()` give back the same connection, where their commits and rollbacks do nothing and their
inner transactions are savepoints; only the outermost block commits, and any exception anywhere rolls back all
of it, so a receive that fails at any point (a bad row late in a package, a crash, a killed process) leaves the
receiver exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine


class _Shared:
    """A connection whose transaction control belongs to `one_transaction`, not to the code it is lent to."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def __getattr__(self, name: str):
        return getattr(self._conn, name)

    def __enter__(self) -> _Shared:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def commit(self) -> None:
        """Deferred to the end of the whole receive."""

    def rollback(self) -> None:
        """Left to the whole receive: an exception rolls everything back there."""

    def close(self) -> None:
        """The connection is closed by `one_transaction`."""

    @contextmanager
    def connect(self) -> Iterator[_Shared]:
        """Itself (for code that takes an engine or a connection)."""
        yield self

    @contextmanager
    def begin(self) -> Iterator[_Shared]:
        """An inner transaction: a savepoint inside the one transaction."""
        with self._conn.begin_nested():
            yield self

    def exec_driver_sql(self, statement, *args, **kwargs):
        """Driver SQL, except pragmas (SQLite ignores foreign_keys inside a transaction; the bulk set it before)."""
        if isinstance(statement, str) and statement.strip().upper().startswith("PRAGMA"):
            return None
        return self._conn.exec_driver_sql(statement, *args, **kwargs)


class SharedEngine:
    """An engine look-alike whose every connection is one shared connection inside one transaction."""

    def __init__(self, engine: Engine, conn: Connection) -> None:
        self._engine = engine
        self.shared = _Shared(conn)
        self.url = engine.url
        self.dialect = engine.dialect

    def __getattr__(self, name: str):
        return getattr(self._engine, name)

    @contextmanager
    def connect(self) -> Iterator[_Shared]:
        """The shared connection."""
        yield self.shared

    @contextmanager
    def begin(self) -> Iterator[_Shared]:
        """A savepoint on the shared connection."""
        with self.shared.begin():
            yield self.shared


IMPORT_LOCK = 0x6269_6763_6174  # PostgreSQL advisory lock key of writers that count what they add ("bigcat")


@contextmanager
def one_transaction(engine: Engine | SharedEngine, lock: bool = True) -> Iterator[SharedEngine]:
    """An engine-like object for code that must commit or roll back as one transaction.

    With `lock`, such writers run one at a time, so that what one reads inside (e.g. table counts before and
    after) is not mixed with another's rows: SQLite takes the write lock at the start (BEGIN IMMEDIATE),
    PostgreSQL a transaction-level advisory lock. On SQLite foreign-key checks are off for the bulk load (the
    importer resolves every reference itself).
    """
    if isinstance(engine, SharedEngine):  # already inside one: join it
        yield engine
        return
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            if sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.begin()
                if lock:
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({IMPORT_LOCK})")
            try:
                yield SharedEngine(engine, conn)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()
