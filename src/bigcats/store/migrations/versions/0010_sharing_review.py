"""Sharing managed in the web (proposals, history, embargo) and people's species decisions beside the machine's

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sharing_agreement") as batch:
        batch.add_column(sa.Column("embargo_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
    op.create_table(
        "sharing_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_partner_id", sa.Integer(), nullable=False),
        sa.Column("grantee_partner_id", sa.Integer(), nullable=False),
        sa.Column("species", sa.JSON(), nullable=True),
        sa.Column("exact_locations", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=True),
        sa.Column("valid_until", sa.DateTime(), nullable=True),
        sa.Column("embargo_until", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by_partner_id", sa.Integer(), nullable=False),
        sa.Column("proposed_by", sa.String(128), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["owner_partner_id"], ["partner.id"],
                                name="fk_sharing_proposal_owner_partner_id_partner", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["grantee_partner_id"], ["partner.id"],
                                name="fk_sharing_proposal_grantee_partner_id_partner", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["proposed_by_partner_id"], ["partner.id"],
                                name="fk_sharing_proposal_proposed_by_partner_id_partner", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_sharing_proposal"),
    )
    op.create_index("ix_sharing_proposal_owner_partner_id", "sharing_proposal", ["owner_partner_id"])
    op.create_index("ix_sharing_proposal_grantee_partner_id", "sharing_proposal", ["grantee_partner_id"])
    op.create_table(
        "sharing_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(128), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("owner_partner_id", sa.Integer(), nullable=True),
        sa.Column("grantee_partner_id", sa.Integer(), nullable=True),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sharing_event"),
    )
    op.create_index("ix_sharing_event_at", "sharing_event", ["at"])
    op.create_index("ix_sharing_event_owner_partner_id", "sharing_event", ["owner_partner_id"])
    op.create_index("ix_sharing_event_grantee_partner_id", "sharing_event", ["grantee_partner_id"])
    op.create_table(
        "species_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("who", sa.String(128), nullable=False),
        sa.Column("old_species_id", sa.Integer(), nullable=True),
        sa.Column("new_species_id", sa.Integer(), nullable=True),
        sa.Column("old_type", sa.String(16), nullable=True),
        sa.Column("new_type", sa.String(16), nullable=True),
        sa.Column("old_count", sa.Integer(), nullable=True),
        sa.Column("new_count", sa.Integer(), nullable=True),
        sa.Column("machine_species_id", sa.Integer(), nullable=True),
        sa.Column("machine_probability", sa.Float(), nullable=True),
        sa.Column("machine_by", sa.String(255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["observation_id"], ["observation.id"],
                                name="fk_species_review_observation_id_observation", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_species_review"),
    )
    op.create_index("ix_species_review_observation_id", "species_review", ["observation_id"])
    op.create_index("ix_species_review_at", "species_review", ["at"])


def downgrade() -> None:
    op.drop_table("species_review")
    op.drop_table("sharing_event")
    op.drop_table("sharing_proposal")
    with op.batch_alter_table("sharing_agreement") as batch:
        batch.drop_column("replaces_id")
        batch.drop_column("embargo_until")
