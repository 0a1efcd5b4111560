"""Field data: form submissions as received, patrols, incidental records, confirmed clock corrections

Revision ID: 0011
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "field_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.String(64), nullable=False),
        sa.Column("instance_id", sa.String(255), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("ingested_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name="fk_field_submission_partner_id_partner",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_field_submission"),
        sa.UniqueConstraint("partner_id", "instance_id", name="uq_field_submission_partner_id_instance_id"),
    )
    op.create_index("ix_field_submission_partner_id", "field_submission", ["partner_id"])
    op.create_table(
        "patrol",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("start_utc", sa.DateTime(), nullable=False),
        sa.Column("end_utc", sa.DateTime(), nullable=False),
        sa.Column("utc_offset", sa.SmallInteger(), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("transport", sa.String(64), nullable=True),
        sa.Column("station", sa.String(255), nullable=True),
        sa.Column("team", sa.String(255), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name="fk_patrol_partner_id_partner",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_patrol"),
        sa.UniqueConstraint("partner_id", "source_id", name="uq_patrol_partner_id_source_id"),
    )
    op.create_index("ix_patrol_partner_id", "patrol", ["partner_id"])
    op.create_table(
        "incidental_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("patrol_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("timestamp_utc", sa.DateTime(), nullable=False),
        sa.Column("utc_offset", sa.SmallInteger(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("species_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("threat", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name="fk_incidental_record_partner_id_partner",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patrol_id"], ["patrol.id"], name="fk_incidental_record_patrol_id_patrol",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["species_id"], ["species.id"], name="fk_incidental_record_species_id_species"),
        sa.PrimaryKeyConstraint("id", name="pk_incidental_record"),
        sa.UniqueConstraint("partner_id", "source_id", name="uq_incidental_record_partner_id_source_id"),
    )
    op.create_index("ix_incidental_record_partner_id", "incidental_record", ["partner_id"])
    op.create_index("ix_incidental_record_patrol_id", "incidental_record", ["patrol_id"])
    op.create_table(
        "clock_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("start_utc", sa.DateTime(), nullable=False),
        sa.Column("end_utc", sa.DateTime(), nullable=False),
        sa.Column("offset_seconds", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("confirmed_by", sa.String(255), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployment.id"],
                                name="fk_clock_correction_deployment_id_deployment", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_clock_correction"),
        sa.UniqueConstraint("deployment_id", "start_utc", name="uq_clock_correction_deployment_id_start_utc"),
    )
    op.create_index("ix_clock_correction_deployment_id", "clock_correction", ["deployment_id"])


def downgrade() -> None:
    for table in ("clock_correction", "incidental_record", "patrol", "field_submission"):
        op.drop_table(table)
