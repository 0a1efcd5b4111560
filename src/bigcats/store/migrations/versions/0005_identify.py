"""Identification catalogue: proposals awaiting review, the decision log, reference photos per flank

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identification_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=True),
        sa.Column("media_id", sa.Integer(), nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("species_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("individual_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("method", sa.String(64), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["observation_id"], ["observation.id"],
                                name="fk_identification_proposal_observation_id_observation", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name="fk_identification_proposal_media_id_media",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["species_id"], ["species.id"], name="fk_identification_proposal_species_id_species"),
        sa.ForeignKeyConstraint(["individual_id"], ["individual.id"],
                                name="fk_identification_proposal_individual_id_individual", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name="fk_identification_proposal_partner_id_partner",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_identification_proposal"),
    )
    op.create_index("ix_identification_proposal_observation_id", "identification_proposal", ["observation_id"])
    op.create_index("ix_identification_proposal_media_id", "identification_proposal", ["media_id"])
    op.create_index("ix_identification_proposal_individual_id", "identification_proposal", ["individual_id"])
    op.create_index("ix_identification_proposal_status_score", "identification_proposal", ["status", "score"])
    op.create_table(
        "catalogue_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("who", sa.String(255), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("individual_id", sa.Integer(), nullable=True),
        sa.Column("other_individual_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.Integer(), nullable=True),
        sa.Column("undone_by", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_catalogue_decision"),
    )
    op.create_index("ix_catalogue_decision_at", "catalogue_decision", ["at"])
    op.create_index("ix_catalogue_decision_individual_id", "catalogue_decision", ["individual_id"])
    op.create_table(
        "individual_image",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("individual_id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=True),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("encounter", sa.String(255), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["individual_id"], ["individual.id"],
                                name="fk_individual_image_individual_id_individual", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name="fk_individual_image_media_id_media",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_individual_image"),
    )
    op.create_index("ix_individual_image_individual_id", "individual_image", ["individual_id"])


def downgrade() -> None:
    op.drop_index("ix_individual_image_individual_id", table_name="individual_image")
    op.drop_table("individual_image")
    op.drop_index("ix_catalogue_decision_individual_id", table_name="catalogue_decision")
    op.drop_index("ix_catalogue_decision_at", table_name="catalogue_decision")
    op.drop_table("catalogue_decision")
    for ix in ("status_score", "individual_id", "media_id", "observation_id"):
        op.drop_index(f"ix_identification_proposal_{ix}", table_name="identification_proposal")
    op.drop_table("identification_proposal")
