"""The record of exchanges with each peer: what was sent, acknowledged, received and applied."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, func, select

from bigcats.core.clock import utcnow
from bigcats.store.models_sync import SyncConflict, SyncExchange


def _now() -> datetime:
    return utcnow()


def record(engine: Engine, peer: str, direction: str, from_seq: int, to_seq: int, package_sha256: str,
           status: str, counts: dict | None = None, error: str | None = None) -> int:
    """Add one exchange to the record; returns its id."""
    done = status in ("acknowledged", "applied", "failed")
    with engine.begin() as conn:
        return conn.execute(SyncExchange.__table__.insert().values(
            peer=peer, direction=direction, from_seq=int(from_seq), to_seq=int(to_seq),
            package_sha256=package_sha256, status=status, started_at=_now(),
            finished_at=_now() if done else None, counts=json.dumps(counts) if counts is not None else None,
            error=error)).inserted_primary_key[0]


def mark(engine: Engine, peer: str, direction: str, package_sha256: str, status: str,
         error: str | None = None, counts: dict | None = None) -> None:
    """Set the status of the exchanges of one package with a peer (e.g. sent -> acknowledged)."""
    values: dict = {"status": status, "finished_at": _now(), "error": error}
    if counts is not None:
        values["counts"] = json.dumps(counts)
    with engine.begin() as conn:
        conn.execute(SyncExchange.__table__.update().where(
            SyncExchange.peer == peer, SyncExchange.direction == direction,
            SyncExchange.package_sha256 == package_sha256).values(**values))


def _max_to(engine: Engine, peer: str, direction: str, status: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(SyncExchange.to_seq), 0)).where(
            SyncExchange.peer == peer, SyncExchange.direction == direction,
            SyncExchange.status == status)).scalar_one())


def last_export(engine: Engine, peer: str) -> datetime | None:
    """When the newest package for the peer was made (None: never)."""
    with engine.connect() as conn:
        return conn.execute(select(func.max(SyncExchange.started_at)).where(
            SyncExchange.peer == peer, SyncExchange.direction == "out")).scalar_one()


def acknowledged(engine: Engine, peer: str) -> int:
    """The end of the newest range the peer confirmed it applied (0 if none)."""
    return _max_to(engine, peer, "out", "acknowledged")


def applied(engine: Engine, peer: str) -> int:
    """The end of the newest range received from the peer and applied here (0 if none)."""
    return _max_to(engine, peer, "in", "applied")


def was_applied(engine: Engine, peer: str, package_sha256: str) -> bool:
    """True if this exact package from the peer was applied already."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(SyncExchange).where(
            SyncExchange.peer == peer, SyncExchange.direction == "in", SyncExchange.status == "applied",
            SyncExchange.package_sha256 == package_sha256)).scalar_one() > 0


def exchanges(engine: Engine, peer: str | None = None) -> pd.DataFrame:
    """The exchange record, newest first."""
    q = select(SyncExchange.id, SyncExchange.peer, SyncExchange.direction, SyncExchange.from_seq,
               SyncExchange.to_seq, SyncExchange.status, SyncExchange.package_sha256, SyncExchange.started_at,
               SyncExchange.finished_at, SyncExchange.error).order_by(SyncExchange.id.desc())
    if peer:
        q = q.where(SyncExchange.peer == peer)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).mappings().all())


def conflicts(engine: Engine, peer: str | None = None, status: str | None = "open") -> list[dict]:
    """Conflicts found on receiving, with both sides' values of the differing fields."""
    q = select(SyncConflict).order_by(SyncConflict.id)
    if peer:
        q = q.where(SyncConflict.peer == peer)
    if status:
        q = q.where(SyncConflict.status == status)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    out = []
    for r in rows:
        d = dict(r)
        for k in ("fields", "local", "incoming"):
            d[k] = json.loads(d[k])
        out.append(d)
    return out
