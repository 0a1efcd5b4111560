"""Exchange: nonces of signed requests, the store's change marks (triggers on updates), conflict resolutions

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Updated rows of the big tables are marked by triggers; new rows are found by id (sync_scan).
TRIGGERED = {"observation": "observations", "media": "media"}


def upgrade() -> None:
    op.create_table(
        "sync_nonce",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_nonce"),
        sa.UniqueConstraint("node", "nonce", name="uq_sync_nonce"),
    )
    op.create_index("ix_sync_nonce_seen_at", "sync_nonce", ["seen_at"])
    op.create_table(
        "sync_dirty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_dirty"),
    )
    op.create_table(
        "sync_scan",
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("max_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("resource", name="pk_sync_scan"),
    )
    with op.batch_alter_table("sync_conflict") as batch:
        batch.add_column(sa.Column("resolution", sa.String(16), nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.String(128), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("resolution_note", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION sync_mark_dirty() RETURNS trigger AS $$ BEGIN "
                   "INSERT INTO sync_dirty (resource, row_id) VALUES (TG_ARGV[0], NEW.id); RETURN NULL; END $$ "
                   "LANGUAGE plpgsql")
        for table, resource in TRIGGERED.items():
            op.execute(f"CREATE TRIGGER sync_dirty_{table} AFTER UPDATE ON {table} FOR EACH ROW "
                       f"EXECUTE FUNCTION sync_mark_dirty('{resource}')")
    else:
        for table, resource in TRIGGERED.items():
            op.execute(f"CREATE TRIGGER sync_dirty_{table} AFTER UPDATE ON {table} BEGIN "
                       f"INSERT INTO sync_dirty (resource, row_id) VALUES ('{resource}', NEW.id); END")


def downgrade() -> None:
    for table in TRIGGERED:
        op.execute(f"DROP TRIGGER IF EXISTS sync_dirty_{table}" + (
            f" ON {table}" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS sync_mark_dirty()")
    with op.batch_alter_table("sync_conflict") as batch:
        for col in ("resolution_note", "resolved_at", "resolved_by", "resolution"):
            batch.drop_column(col)
    op.drop_table("sync_scan")
    op.drop_table("sync_dirty")
    op.drop_index("ix_sync_nonce_seen_at", "sync_nonce")
    op.drop_table("sync_nonce")
