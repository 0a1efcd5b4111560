"""Users of the web application, their roles in partners, and sharing agreements between partners."""

from __future__ import annotations

from sqlalchemy import Connection, select

from bigcats.access.passwords import hash_password
from bigcats.core.clock import utcnow
from bigcats.errors import BigcatsError
from bigcats.store.models import Partner
from bigcats.store.models_access import ROLES, Membership, SharingAgreement, User


class AccessError(BigcatsError):
    """A user or agreement that cannot be made as asked (name taken, unknown role or partner)."""

    code = "access"


def add_user(conn: Connection, username: str, password: str, partner_id: int, role: str,
             display_name: str | None = None) -> int:
    """Create a user (Argon2 password hash) with a role in a partner; AccessError if the name is taken."""
    if role not in ROLES:
        raise AccessError(f"role: must be one of {', '.join(ROLES)}, not {role!r}")
    if conn.execute(select(User.id).where(User.username == username)).scalar_one_or_none() is not None:
        raise AccessError(f"username: {username!r} is taken", status=409)
    user_id = conn.execute(User.__table__.insert().values(
        username=username, display_name=display_name, password_hash=hash_password(password), is_active=True,
        created_at=utcnow())).inserted_primary_key[0]
    conn.execute(Membership.__table__.insert().values(user_id=user_id, partner_id=partner_id, role=role))
    return int(user_id)


def list_users(conn: Connection) -> list[dict]:
    """Users with their partners and roles (never their password hashes)."""
    rows = conn.execute(select(User.username, User.display_name, User.is_active, Partner.code, Membership.role)
                        .outerjoin(Membership, Membership.user_id == User.id)
                        .outerjoin(Partner, Membership.partner_id == Partner.id).order_by(User.username)).all()
    return [{"username": r.username, "name": r.display_name, "active": r.is_active, "partner": r.code,
             "role": r.role} for r in rows]


def add_agreement(conn: Connection, owner: str, grantee: str | None, species: list[str] | None = None,
                  exact: bool = False) -> dict:
    """Record a sharing agreement: the owner's data (some species or all) becomes visible to a partner, or to the
    public when grantee is None; exact locations of sensitive species only to a partner, never to the public."""
    if grantee is None and exact:
        raise AccessError("exact: the public never gets exact locations of sensitive species")
    ids = dict(conn.execute(select(Partner.code, Partner.id)).all())
    for code in filter(None, (owner, grantee)):
        if code not in ids:
            raise AccessError(f"no partner {code!r} (known: {', '.join(sorted(ids)) or 'none'})")
    new_id = conn.execute(SharingAgreement.__table__.insert().values(
        owner_partner_id=ids[owner], grantee_partner_id=ids.get(grantee) if grantee else None,
        species=list(species) if species else None, exact_locations=exact, created_at=utcnow())
    ).inserted_primary_key[0]
    return {"id": int(new_id), "owner": owner, "grantee": grantee or "public", "species": species or "all",
            "exactLocations": exact}
