"""Exchange: the hash of each row as last received (to apply owners' updates) and received catalogue decisions

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_base",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("project", sa.String(255), nullable=False),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("row_key", sa.String(255), nullable=False),
        sa.Column("row_hash", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_base"),
        sa.UniqueConstraint("partner", "project", "resource", "row_key", name="uq_sync_base_row"),
    )
    op.create_table(
        "sync_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer", sa.String(64), nullable=False),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("project", sa.String(255), nullable=False),
        sa.Column("remote_id", sa.String(64), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_decision"),
        sa.UniqueConstraint("partner", "project", "remote_id", name="uq_sync_decision_remote"),
    )


def downgrade() -> None:
    op.drop_table("sync_decision")
    op.drop_table("sync_base")
