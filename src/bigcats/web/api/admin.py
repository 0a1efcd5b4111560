"""Administration: sharing agreements, users of one's partners, and the access log."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from bigcats.store.models import Partner
from bigcats.store.models_access import SharingAgreement
from bigcats.access.users import add_user
from bigcats.web.audit import read_log
from bigcats.web.deps import AdminDep, Conn, UserDep
from bigcats.web.errors import WebError
from bigcats.web.security import now_utc

router = APIRouter(tags=["admin"])


def _partner_id(conn: Connection, code: str | None, field: str) -> int | None:
    if code is None:
        return None
    pid = conn.execute(select(Partner.id).where(Partner.code == code)).scalar_one_or_none()
    if pid is None:
        raise WebError(f"{field}: no partner {code!r}")
    return pid


class AgreementIn(BaseModel):
    """A sharing agreement to create: the owner shares with a grantee partner, or with the public (null)."""

    owner: str
    grantee: str | None = None
    species: list[str] | None = None
    exact_locations: bool = False
    valid_until: datetime | None = None
    note: str | None = None


@router.get("/agreements")
def agreements(conn: Conn, caller: UserDep) -> list[dict]:
    """Agreements that involve the caller's partners, as owner or grantee."""
    mine = list(caller.roles)
    # A Core connection returns rows, not ORM objects: select the table's columns (select(Model).scalars() gave
    # the bare ids, and every agreement made this route answer 500).
    table = SharingAgreement.__table__
    rows = conn.execute(select(table).where(
        table.c.owner_partner_id.in_(mine) | table.c.grantee_partner_id.in_(mine))).all()
    codes = dict(conn.execute(select(Partner.id, Partner.code)).all())
    return [{"id": a.id, "owner": codes.get(a.owner_partner_id), "grantee": codes.get(a.grantee_partner_id),
             "species": a.species, "exactLocations": a.exact_locations,
             "validUntil": a.valid_until.isoformat() if a.valid_until else None, "note": a.note} for a in rows]


@router.post("/agreements", status_code=201)
def create_agreement(body: AgreementIn, conn: Conn, caller: AdminDep) -> dict:
    """Share the data of a partner one administers with another partner or the public."""
    owner = _partner_id(conn, body.owner, "owner")
    if not caller.has_role(owner, "administrator"):
        raise WebError(f"owner: you do not administer partner {body.owner!r}", status=403)
    grantee = _partner_id(conn, body.grantee, "grantee")
    if grantee is None and body.exact_locations:
        raise WebError("exact_locations: the public never gets exact locations of sensitive species")
    new_id = conn.execute(SharingAgreement.__table__.insert().values(
        owner_partner_id=owner, grantee_partner_id=grantee, species=body.species or None,
        exact_locations=body.exact_locations, valid_until=body.valid_until, note=body.note, created_at=now_utc())
    ).inserted_primary_key[0]
    conn.commit()
    return {"id": new_id}


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
