"""Who is asking and what they may see, read with one query per request and kept per version.

Every request needs its caller (the session cookie's user), the caller's scope (memberships and current sharing
agreements) and the versions that key every cache: the data (imports, people's changes) and the access rules
(users, memberships, agreements, partners, species sensitivity). One statement reads the session's user and both
versions; the caller's roles and scope are read again only when the access version changes or when an agreement
begins, ends or leaves its embargo, so nothing is kept a moment longer than it is true. The versions come from
the change marks of migration 0013, which every writer leaves (web, CLI, exchange, plain SQL), so all server
processes agree on them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, or_, select
from sqlalchemy.exc import DBAPIError

from bigcats.store.models import IntakeBatch
from bigcats.store.models_access import SharingAgreement, User, WebChange, WebSession
from bigcats.store.models_review import SpeciesReview
from bigcats.web.security import now_utc
from bigcats.web.visibility import PUBLIC, Caller, Scope, build_scope, caller_roles

MAX_USERS = 4096  # callers and scopes kept per access version


@dataclass(frozen=True)
class Context:
    """A request's caller and scope, and the versions its answers are cached under."""

    caller: Caller
    scope: Scope
    data: tuple  # the data version (also the summary cache's)
    access: tuple  # the access version


def _marks(kind: str) -> list:
    w = WebChange
    return [select(func.max(w.id)).where(w.kind == kind).scalar_subquery(),
            select(func.count(w.id)).where(w.kind == kind).scalar_subquery(),
            select(func.coalesce(func.sum(w.n), 0)).where(w.kind == kind).scalar_subquery()]


def data_version_columns() -> list:
    """The columns of the data version: imports, people's species decisions and the data change marks."""
    return [select(func.max(IntakeBatch.id)).scalar_subquery(), select(func.count(IntakeBatch.id)).scalar_subquery(),
            select(func.max(SpeciesReview.id)).scalar_subquery(), *_marks("data")]


def _statement():
    session_user = (select(WebSession.user_id).join(User, User.id == WebSession.user_id)
                    .where(WebSession.token_hash == bindparam("token_hash"),
                           WebSession.expires_at > bindparam("now"), User.is_active.is_(True))
                    .limit(1).scalar_subquery())
    return select(session_user, *data_version_columns(), *_marks("access"))


_STATEMENT = _statement()


def read_versions(conn: Connection, token_hash: str | None) -> tuple[int | None, tuple, tuple]:
    """(the live session's user id or None, data version, access version), in one statement.

    Retried once on a fresh connection if the pooled one was dropped (the web engine does not ping first).
    """
    params = {"token_hash": token_hash, "now": now_utc()}
    try:
        row = tuple(conn.execute(_STATEMENT, params).one())
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        conn.rollback()
        row = tuple(conn.execute(_STATEMENT, params).one())
    if max(row[5] or 0, row[8] or 0) > COMPACT_AT:
        compact_marks(conn.engine)
    return row[0], row[1:7], row[7:]


COMPACT_AT = 5000  # marks of one kind before they are folded into one (counting them is every request's work)


def compact_marks(engine) -> None:
    """Keep only the newest mark of each kind (PostgreSQL adds one per writing statement).

    Only committed marks below the newest are removed, in a short transaction of its own; a mark committed
    later still changes the count, so no change goes unseen. The version changes once (caches rebuilt once).
    """
    w = WebChange.__table__
    with engine.begin() as conn:
        for kind in ("access", "data"):
            newest = select(func.max(w.c.id)).where(w.c.kind == kind).scalar_subquery()
            conn.execute(w.delete().where(w.c.kind == kind, w.c.id < newest))


def scope_changes_at(conn: Connection, caller: Caller, now: datetime) -> datetime | None:
    """The next moment an agreement concerning this caller begins, ends or leaves its embargo (None: never)."""
    grantee = SharingAgreement.grantee_partner_id.is_(None)
    if caller.roles:
        grantee = or_(grantee, SharingAgreement.grantee_partner_id.in_(list(caller.roles)))
    rows = conn.execute(select(SharingAgreement.valid_from, SharingAgreement.valid_until,
                               SharingAgreement.embargo_until).where(grantee)).all()
    later = [t for r in rows for t in r if t is not None and t > now]
    return min(later, default=None)


class ContextCache:
    """Callers and scopes per (user, access version); each scope also until the next agreement boundary."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._access: tuple | None = None
        self._callers: dict = {}
        self._scopes: dict = {}

    def context(self, conn: Connection, token_hash: str | None) -> Context:
        """The context of a request whose session cookie has this token hash (None: no or a forged cookie)."""
        user_id, data, access = read_versions(conn, token_hash)
        now = now_utc()
        with self._lock:
            if access != self._access:  # anything about access changed: forget everyone
                self._callers, self._scopes, self._access = {}, {}, access
            caller = self._callers.get((user_id, access))
            scoped = self._scopes.get((user_id, access))
        if caller is None:
            caller = PUBLIC if user_id is None else self._caller(conn, user_id)
        if scoped is None or (scoped[1] is not None and now >= scoped[1]):
            scoped = (build_scope(conn, caller), scope_changes_at(conn, caller, now))
        with self._lock:
            if access == self._access:  # built for the version still current (else: used once, not kept)
                if len(self._scopes) >= MAX_USERS:
                    self._callers.clear()
                    self._scopes.clear()
                self._callers[(user_id, access)] = caller
                self._scopes[(user_id, access)] = scoped
        return Context(caller, scoped[0], data, access)

    @staticmethod
    def _caller(conn: Connection, user_id: int) -> Caller:
        username = conn.execute(select(User.username).where(User.id == user_id)).scalar_one()
        return Caller(user_id, username, caller_roles(conn, user_id))

    def clear(self) -> None:
        """Forget every caller and scope."""
        with self._lock:
            self._callers, self._scopes, self._access = {}, {}, None
