"""Partners' data: saved column maps, per-partner/project species sensitivity, winter track census tables

Revision ID: 0008
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_column_map",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(1024), nullable=True),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name="fk_intake_column_map_partner_id_partner",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_intake_column_map"),
        sa.UniqueConstraint("partner_id", "format", name="uq_intake_column_map_partner_id_format"),
    )
    op.create_table(
        "species_sensitivity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("species_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["species_id"], ["species.id"], name="fk_species_sensitivity_species_id_species",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name="fk_species_sensitivity_partner_id_partner",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name="fk_species_sensitivity_project_id_project",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_species_sensitivity"),
        sa.UniqueConstraint("species_id", "partner_id", "project_id",
                            name="uq_species_sensitivity_species_id_partner_id_project_id"),
    )
    op.create_index("ix_species_sensitivity_species_id", "species_sensitivity", ["species_id"])
    op.create_table(
        "census_survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(255), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name="fk_census_survey_partner_id_partner",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_census_survey"),
        sa.UniqueConstraint("code", name="uq_census_survey_code"),
    )
    op.create_table(
        "census_route",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(255), nullable=False),
        sa.Column("unit", sa.String(255), nullable=False),
        sa.Column("country", sa.String(3), nullable=True),
        sa.Column("length_km", sa.Float(), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("visits", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["survey_id"], ["census_survey.id"], name="fk_census_route_survey_id_census_survey",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_census_route"),
        sa.UniqueConstraint("survey_id", "code", name="uq_census_route_survey_id_code"),
    )
    op.create_index("ix_census_route_survey_id", "census_route", ["survey_id"])
    op.create_table(
        "census_crossing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("route_code", sa.String(255), nullable=False),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("species", sa.String(255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("track_age_days", sa.Float(), nullable=True),
        sa.Column("pad_width_cm", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["survey_id"], ["census_survey.id"],
                                name="fk_census_crossing_survey_id_census_survey", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_census_crossing"),
    )
    op.create_index("ix_census_crossing_survey_id", "census_crossing", ["survey_id"])
    op.create_table(
        "census_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("unit", sa.String(255), nullable=True),
        sa.Column("country", sa.String(3), nullable=True),
        sa.Column("species", sa.String(255), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("lower", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["survey_id"], ["census_survey.id"], name="fk_census_result_survey_id_census_survey",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_census_result"),
    )
    op.create_index("ix_census_result_survey_id", "census_result", ["survey_id"])


def downgrade() -> None:
    for name in ("census_result", "census_crossing", "census_route", "census_survey", "species_sensitivity",
                 "intake_column_map"):
        op.drop_table(name)
