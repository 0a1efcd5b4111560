"""`bigcats stats` and `bigcats db ...`: what is in the database, and its schema."""

from __future__ import annotations

import typer

from bigcats.cli.errors import BigcatsTyper
from rich.table import Table

from bigcats.cli.common import DbOption, JsonOption, emit

db_app = BigcatsTyper(help="The database itself: create or upgrade its schema.", no_args_is_help=True)


def stats(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Row counts of every table."""
    from bigcats.store.db import open_store, table_counts

    counts = table_counts(open_store(db))
    table = Table(title="bigcats database")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    emit(counts, as_json, human=table)


@db_app.command("upgrade")
def upgrade(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Create the schema, or upgrade it to this version of bigcats, through the migrations."""
    from bigcats.store.db import current_revision, head_revision, make_engine
    from bigcats.store.db import upgrade as run_upgrade

    engine = make_engine(db)
    before = current_revision(engine)
    run_upgrade(engine)
    emit({"url": engine.url.render_as_string(hide_password=True), "from": before, "to": head_revision()}, as_json)
