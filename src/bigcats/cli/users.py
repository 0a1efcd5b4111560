"""`bigcats users ...`: web application users, their partner roles, and sharing agreements."""

from __future__ import annotations

from typing import Annotated

import typer

from rich.table import Table

from bigcats.cli.errors import BigcatsTyper

from bigcats.cli.common import DbOption, JsonOption, emit

app = BigcatsTyper(help="Users of the web application and sharing agreements between partners.",
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
    from bigcats.access.users import add_user
    from bigcats.store.load import ensure_partner

    with _engine(db).begin() as conn:
        user_id = add_user(conn, username, password, ensure_partner(conn, partner), role, name)
    emit({"id": user_id, "username": username, "partner": partner, "role": role}, as_json,
         human=f"Added {username} ({role} of {partner}, id {user_id})")


@app.command("list")
def list_users(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Users with their partners and roles (never their password hashes)."""
    from bigcats.access.users import list_users as users

    with _engine(db).connect() as conn:
        result = users(conn)
    table = Table(title="bigcats users")
    for col in ("username", "name", "active", "partner", "role"):
        table.add_column(col)
    for r in result:
        table.add_row(*(str(r[c] if r[c] is not None else "") for c in ("username", "name", "active", "partner", "role")))
    emit(result, as_json, human=table)


@app.command("share")
def share(owner: Annotated[str, typer.Option("--owner", help="partner code whose data is shared")],
          grantee: Annotated[str | None, typer.Option("--with", help="partner code; leave out for the public")] = None,
          species: Annotated[list[str] | None, typer.Option("--species", help="any name of a species (repeatable)")] = None,
          exact: Annotated[bool, typer.Option("--exact", help="include exact locations of sensitive species")] = False,
          db: DbOption = None, as_json: JsonOption = False) -> None:
    """Record a sharing agreement: the owner's data becomes visible to a partner or to the public."""
    from bigcats.access.users import add_agreement
    from bigcats.store.query import resolve_species

    engine = _engine(db)
    names = [resolve_species(engine, s) for s in species or []]
    with engine.begin() as conn:
        row = add_agreement(conn, owner, grantee, names or None, exact)
    emit(row, as_json, human=f"Agreement {row['id']}: {owner} shares {', '.join(names) or 'all species'} with "
                             f"{row['grantee']} ({'exact' if exact else 'generalised'} locations)")
