"""Map layers published into the store: boundaries and habitat as GeoJSON features

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "map_layer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("country", sa.String(3), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_map_layer"),
    )
    op.create_index("ix_map_layer_name", "map_layer", ["name"])


def downgrade() -> None:
    op.drop_index("ix_map_layer_name", table_name="map_layer")
    op.drop_table("map_layer")
