"""The access log: every response that carried exact locations of a sensitive species leaves a line."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, select

from bigcats.store.models_access import AccessLog
from bigcats.web.security import now_utc
from bigcats.web.visibility import Caller


def exact_rows(frame: pd.DataFrame) -> tuple[list[str], int] | None:
    """The partners and number of rows with exact sensitive locations in a frame, or None."""
    if frame.empty or "_exact_sensitive" not in frame:
        return None
    flagged = frame["_exact_sensitive"].astype(bool)
    n = int(flagged.sum())
    if not n:
        return None
    return (sorted(frame.loc[flagged, "partner"].dropna().unique().tolist()) if "partner" in frame else []), n


def log_exact(conn: Connection, caller: Caller, action: str, route: str, frame: pd.DataFrame) -> int:
    """Record who received exact sensitive locations (rows flagged `_exact_sensitive`); returns rows logged."""
    found = exact_rows(frame)
    if found is None:
        return 0
    log_event(conn, caller, action, route, *found)
    return found[1]


def log_event(conn: Connection, caller: Caller, action: str, route: str, partners: list[str], rows: int) -> None:
    """Write one access-log line and commit it."""
    conn.execute(AccessLog.__table__.insert().values(at=now_utc(), user_id=caller.user_id, username=caller.username,
                                                     action=action, route=route[:255], partners=partners, rows=rows))
    conn.commit()


def read_log(conn: Connection, partners: list[str] | None, limit: int = 500) -> list[dict]:
    """Recent access-log lines, newest first; only those touching the given partners' data when given."""
    t = AccessLog.__table__
    rows = conn.execute(select(t).order_by(t.c.at.desc(), t.c.id.desc()).limit(limit * 4)).all()
    out = []
    for r in rows:
        if partners is not None and not set(r.partners or []) & set(partners):
            continue
        out.append({"at": r.at.isoformat() + "Z", "user": r.username, "action": r.action, "route": r.route,
                    "partners": r.partners or [], "rows": r.rows})
        if len(out) >= limit:
            break
    return out
