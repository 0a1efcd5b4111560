"""Administration: sharing agreements, users of one's partners, and the access log."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from bigcats.store.models import Partner
from bigcats.access.users import add_user
from bigcats.web.audit import read_log
from bigcats.web import sharing
from bigcats.web.deps import AdminDep, Conn, StateDep, UserDep
from bigcats.web.errors import WebError

router = APIRouter(tags=["admin"])


def _partner_id(conn: Connection, code: str | None, field: str) -> int | None:
    if code is None:
        return None
    pid = conn.execute(select(Partner.id).where(Partner.code == code)).scalar_one_or_none()
    if pid is None:
        raise WebError(f"{field}: no partner {code!r}")
    return pid


class AgreementIn(BaseModel):
    """Terms of sharing: the owner shares with a grantee partner, or with the public (null).

    Between two partners this is a proposal that the other side's administrator accepts; with the public it
    takes effect at once.
    """

    owner: str
    grantee: str | None = None
    species: list[str] | None = None
    exact_locations: bool = False
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    embargo_until: datetime | None = None
    note: str | None = Field(default=None, max_length=2000)


class EndIn(BaseModel):
    """Why an agreement ends (optional)."""

    note: str | None = Field(default=None, max_length=2000)


@router.get("/agreements")
def agreements(conn: Conn, caller: UserDep) -> list[dict]:
    """Agreements that involve the caller's partners, as owner or grantee, with their state."""
    return sharing.overview(conn, caller)["agreements"]


@router.get("/sharing")
def sharing_overview(conn: Conn, caller: UserDep) -> dict:
    """Agreements, proposals and the history of sharing for the caller's partners."""
    return sharing.overview(conn, caller)


def _done(conn: Connection, state, result: dict) -> dict:
    conn.commit()
    state.summary.clear()  # who sees what changed: cached views are recomputed under the new scopes
    return result


@router.post("/agreements", status_code=201)
def create_agreement(body: AgreementIn, conn: Conn, caller: AdminDep, state: StateDep) -> dict:
    """Propose sharing (or share with the public at once) the data of a partner, as either side's administrator."""
    return _done(conn, state, sharing.propose(conn, caller, body.owner, body.grantee, body.species,
                                              body.exact_locations, body.valid_from, body.valid_until,
                                              body.embargo_until, body.note))


@router.post("/agreements/{agreement_id}/change", status_code=201)
def change_agreement(agreement_id: int, body: AgreementIn, conn: Conn, caller: AdminDep, state: StateDep) -> dict:
    """Propose new terms for an agreement in force; once accepted they replace it (public: at once)."""
    return _done(conn, state, sharing.propose(conn, caller, body.owner, body.grantee, body.species,
                                              body.exact_locations, body.valid_from, body.valid_until,
                                              body.embargo_until, body.note, replaces=agreement_id))


@router.post("/agreements/{agreement_id}/end")
def end_agreement(agreement_id: int, conn: Conn, caller: AdminDep, state: StateDep, body: EndIn | None = None
                  ) -> dict:
    """End an agreement now (administrators of either side)."""
    return _done(conn, state, sharing.end(conn, caller, agreement_id, body.note if body else None))


@router.post("/proposals/{proposal_id}/accept")
def accept_proposal(proposal_id: int, conn: Conn, caller: AdminDep, state: StateDep) -> dict:
    """Accept the other side's proposal: the agreement takes effect."""
    return _done(conn, state, sharing.accept(conn, caller, proposal_id))


@router.post("/proposals/{proposal_id}/decline")
def decline_proposal(proposal_id: int, conn: Conn, caller: AdminDep, state: StateDep) -> dict:
    """Decline the other side's proposal."""
    return _done(conn, state, sharing.decline(conn, caller, proposal_id))


@router.post("/proposals/{proposal_id}/withdraw")
def withdraw_proposal(proposal_id: int, conn: Conn, caller: AdminDep, state: StateDep) -> dict:
    """Withdraw one's own open proposal."""
    return _done(conn, state, sharing.decline(conn, caller, proposal_id, withdraw=True))


class UserIn(BaseModel):
    """A user to add to a partner the caller administers."""

    username: str = Field(min_length=2, max_length=128)
    password: str = Field(min_length=8)
    partner: str
    role: str = "viewer"
    display_name: str | None = None


@router.post("/users", status_code=201)
def create_user(body: UserIn, conn: Conn, caller: AdminDep) -> dict:
    """Add a user to a partner the caller administers."""
    pid = _partner_id(conn, body.partner, "partner")
    if not caller.has_role(pid, "administrator"):
        raise WebError(f"partner: you do not administer {body.partner!r}", status=403)
    user_id = add_user(conn, body.username, body.password, pid, body.role, body.display_name)
    conn.commit()
    return {"id": user_id, "username": body.username}


@router.get("/access-log")
def access_log(conn: Conn, caller: AdminDep, limit: int = 200) -> list[dict]:
    """Who saw or downloaded exact locations of sensitive species of the partners the caller administers."""
    codes = conn.execute(select(Partner.code).where(Partner.id.in_(
        [p for p, r in caller.roles.items() if r == "administrator"]))).scalars().all()
    return read_log(conn, list(codes), min(max(limit, 1), 1000))
