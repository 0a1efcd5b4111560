"""`bigcats users ...`: web application users, their partner roles, and sharing agreements."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from bigcats.cli.common import DbOption, JsonOption, emit, fail

app = typer.Typer(help="Users of the web application and sharing agreements between partners.",
                  no_args_is_help=True)


def _engine(db: str | None):
    import bigcats.store.models_access  # noqa: F401 - access tables in the metadata
    from bigcats.store.db import open_store

    return open_store(db)


@app.command("add")
def add(username: Annotated[str, typer.Argument(help="user name to sign in with")],
        partner: Annotated[str, typer.Option("--partner", help="partner code (created if new)")],
        role: Annotated[str, typer.Option("--role", help="administrator, editor or viewer")] = "viewer",
        password: Annotated[str, typer.Option("--password", prompt=True, hide_input=True,
                                              confirmation_prompt=True, help="at least 8 characters")] = "",
        name: Annotated[str | None, typer.Option("--name", help="display name")] = None,
        db: DbOption = None, as_json: JsonOption = False) -> None:
    """Add a user with a role in a partner (the first administrator is made this way)."""
    from bigcats.store.load import ensure_partner
    from bigcats.web.api.admin import add_user
    from bigcats.web.errors import WebError

    engine = _engine(db)
    try:
        with engine.begin() as conn:
            user_id = add_user(conn, username, password, ensure_partner(conn, partner), role, name)
    except WebError as exc:
        fail(str(exc))
    emit({"id": user_id, "username": username, "partner": partner, "role": role}, as_json)


@app.command("list")
def list_users(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Users with their partners and roles (never their password hashes)."""
    from sqlalchemy import select

    from bigcats.store.models import Partner
    from bigcats.store.models_access import Membership, User

    engine = _engine(db)
    with engine.connect() as conn:
        rows = conn.execute(select(User.username, User.display_name, User.is_active, Partner.code, Membership.role)
                            .outerjoin(Membership, Membership.user_id == User.id)
                            .outerjoin(Partner, Membership.partner_id == Partner.id).order_by(User.username)).all()
    result = [{"username": r.username, "name": r.display_name, "active": r.is_active, "partner": r.code,
               "role": r.role} for r in rows]
    table = Table(title="bigcats users")
    for col in ("username", "name", "active", "partner", "role"):
        table.add_column(col)
    for r in result:
        table.add_row(*(str(r[c] if r[c] is not None else "") for c in ("username", "name", "active", "partner", "role")))
    emit(result, as_json, human=table)


@app.command("share")
def share(owner: Annotated[str, typer.Option("--owner", help="partner code whose data is shared")],
          grantee: Annotated[str | None, typer.Option("--with", help="partner code; leave out for the public")] = None,
          species: Annotated[list[str] | None, typer.Option("--species", help="scientific name (repeatable)")] = None,
          exact: Annotated[bool, typer.Option("--exact", help="include exact locations of sensitive species")] = False,
          db: DbOption = None, as_json: JsonOption = False) -> None:
    """Record a sharing agreement: the owner's data becomes visible to a partner or to the public."""
    from sqlalchemy import select

    from bigcats.store.models import Partner
    from bigcats.store.models_access import SharingAgreement
    from bigcats.web.security import now_utc

    if grantee is None and exact:
        fail("--exact: the public never gets exact locations of sensitive species")
    engine = _engine(db)
    with engine.begin() as conn:
        ids = dict(conn.execute(select(Partner.code, Partner.id)).all())
        for code in filter(None, (owner, grantee)):
            if code not in ids:
                fail(f"no partner {code!r} (known: {', '.join(sorted(ids)) or 'none'})")
        new_id = conn.execute(SharingAgreement.__table__.insert().values(
            owner_partner_id=ids[owner], grantee_partner_id=ids.get(grantee) if grantee else None,
            species=list(species) if species else None, exact_locations=exact, created_at=now_utc())
        ).inserted_primary_key[0]
    emit({"id": new_id, "owner": owner, "grantee": grantee or "public", "species": species or "all",
          "exactLocations": exact}, as_json)
