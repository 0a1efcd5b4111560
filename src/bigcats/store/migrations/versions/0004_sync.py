"""Exchange between national servers: trusted peers, change log, exchanges, conflicts

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_peer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node", sa.String(64), nullable=False),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_peer"),
        sa.UniqueConstraint("node", name="uq_sync_peer_node"),
    )
    op.create_table(
        "sync_change",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("project", sa.String(255), nullable=False),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("row_key", sa.String(255), nullable=False),
        sa.Column("row_hash", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_sync_change"),
    )
    op.create_index("ix_sync_change_row", "sync_change", ["partner", "project", "resource", "row_key"])
    op.create_table(
        "sync_exchange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(4), nullable=False),
        sa.Column("from_seq", sa.Integer(), nullable=False),
        sa.Column("to_seq", sa.Integer(), nullable=False),
        sa.Column("package_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("counts", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sync_exchange"),
    )
    op.create_index("ix_sync_exchange_peer_direction", "sync_exchange", ["peer", "direction"])
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer", sa.String(64), nullable=False),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("project", sa.String(255), nullable=False),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("row_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("local", sa.Text(), nullable=False),
        sa.Column("incoming", sa.Text(), nullable=False),
        sa.Column("incoming_sha256", sa.String(64), nullable=False),
        sa.Column("package_sha256", sa.String(64), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_conflict"),
        sa.UniqueConstraint("peer", "partner", "project", "resource", "row_key", "incoming_sha256",
                            name="uq_sync_conflict_row"),
    )


def downgrade() -> None:
    op.drop_table("sync_conflict")
    op.drop_index("ix_sync_exchange_peer_direction", table_name="sync_exchange")
    op.drop_table("sync_exchange")
    op.drop_index("ix_sync_change_row", table_name="sync_change")
    op.drop_table("sync_change")
    op.drop_table("sync_peer")
