"""Seed the species table with the shipped species list of the region (names in en, ru, zh, mn)

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from bigcats.store.load import sync_taxonomy

    sync_taxonomy(op.get_bind())


def downgrade() -> None:
    # Species referenced by observations stay; only the untouched seed rows could be removed, so keep them all.
    pass
