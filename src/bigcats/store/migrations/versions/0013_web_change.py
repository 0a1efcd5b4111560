"""Change marks for the web application's caches: who may see what ('access') and the survey's rows ('data')

Revision ID: 0013
Revises: 0010

Every write to the tables an answer of the web application depends on leaves a mark, whoever writes (the web,
the CLI, an exchange, plain SQL), so that every server process can tell with one query whether its cached
callers, scopes and answers are still current. The marks are transactional: they become visible with the
change that made them, never before.

PostgreSQL: one row per writing statement (statement triggers), so concurrent writers never wait on each other;
the version of a kind is (max id, row count), which changes whenever a transaction with marks commits, in any
order. SQLite (one writer at a time): one row per kind, made by its first mark, whose `n` row triggers count up.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None

# table -> (kind, events). 'access': who may see what (sessions are read on every request instead);
# 'data': rows of the survey not already marked by an intake batch or a species review, and published map layers.
TRIGGERED = {
    "web_user": ("access", "INSERT OR UPDATE OR DELETE"),
    "web_membership": ("access", "INSERT OR UPDATE OR DELETE"),
    "sharing_agreement": ("access", "INSERT OR UPDATE OR DELETE"),
    "partner": ("access", "INSERT OR UPDATE OR DELETE"),
    "species": ("access", "INSERT OR UPDATE OR DELETE"),
    "species_sensitivity": ("access", "INSERT OR UPDATE OR DELETE"),
    "project": ("access", "INSERT OR UPDATE OR DELETE"),
    "station": ("data", "INSERT OR UPDATE OR DELETE"),
    "deployment": ("data", "INSERT OR UPDATE OR DELETE"),
    "individual": ("data", "INSERT OR UPDATE OR DELETE"),
    "individual_alias": ("data", "INSERT OR UPDATE OR DELETE"),
    "individual_image": ("data", "INSERT OR UPDATE OR DELETE"),
    "catalogue_decision": ("data", "INSERT OR UPDATE OR DELETE"),
    "map_layer": ("data", "INSERT OR UPDATE OR DELETE"),
    "observation": ("data", "UPDATE OF individual_id, species_id, type, count, deployment_id, event_start_utc "
                            "OR DELETE"),
}


def upgrade() -> None:
    op.create_table(
        "web_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_web_change"),
    )
    op.create_index("ix_web_change_kind_id", "web_change", ["kind", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION web_change_mark() RETURNS trigger AS $$ BEGIN "
                   "INSERT INTO web_change (kind) VALUES (TG_ARGV[0]); RETURN NULL; END $$ LANGUAGE plpgsql")
        for table, (kind, events) in TRIGGERED.items():
            op.execute(f"CREATE TRIGGER web_change_{table} AFTER {events} ON {table} FOR EACH STATEMENT "
                       f"EXECUTE FUNCTION web_change_mark('{kind}')")
    else:
        ids = {"access": 1, "data": 2}
        for table, (kind, events) in TRIGGERED.items():
            for i, event in enumerate(events.split(" OR ")):
                op.execute(f"CREATE TRIGGER web_change_{table}_{i} AFTER {event} ON {table} BEGIN "
                           f"INSERT OR IGNORE INTO web_change (id, kind, n) VALUES ({ids[kind]}, '{kind}', 0); "
                           f"UPDATE web_change SET n = n + 1 WHERE kind = '{kind}'; END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, (_, events) in TRIGGERED.items():
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS web_change_{table} ON {table}")
        else:
            for i, _ in enumerate(events.split(" OR ")):
                op.execute(f"DROP TRIGGER IF EXISTS web_change_{table}_{i}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS web_change_mark()")
    op.drop_index("ix_web_change_kind_id", "web_change")
    op.drop_table("web_change")
