"""Web application access: users, partner roles, sharing agreements, sessions, login attempts, access log

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_user"),
        sa.UniqueConstraint("username", name="uq_web_user_username"),
    )
    op.create_table(
        "web_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["web_user.id"], name="fk_web_membership_user_id_web_user",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name="fk_web_membership_partner_id_partner",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_web_membership"),
        sa.UniqueConstraint("user_id", "partner_id", name="uq_web_membership_user_id_partner_id"),
    )
    op.create_index("ix_web_membership_user_id", "web_membership", ["user_id"])
    op.create_table(
        "sharing_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_partner_id", sa.Integer(), nullable=False),
        sa.Column("grantee_partner_id", sa.Integer(), nullable=True),
        sa.Column("species", sa.JSON(), nullable=True),
        sa.Column("exact_locations", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=True),
        sa.Column("valid_until", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_partner_id"], ["partner.id"],
                                name="fk_sharing_agreement_owner_partner_id_partner", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["grantee_partner_id"], ["partner.id"],
                                name="fk_sharing_agreement_grantee_partner_id_partner", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_sharing_agreement"),
    )
    op.create_index("ix_sharing_agreement_owner_partner_id", "sharing_agreement", ["owner_partner_id"])
    op.create_index("ix_sharing_agreement_grantee_partner_id", "sharing_agreement", ["grantee_partner_id"])
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["web_user.id"], name="fk_web_session_user_id_web_user",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_web_session"),
        sa.UniqueConstraint("token_hash", name="uq_web_session_token_hash"),
    )
    op.create_index("ix_web_session_user_id", "web_session", ["user_id"])
    op.create_table(
        "web_login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_login_attempt"),
    )
    op.create_index("ix_web_login_attempt_username_at", "web_login_attempt", ["username", "at"])
    op.create_index("ix_web_login_attempt_address_at", "web_login_attempt", ["address", "at"])
    op.create_table(
        "web_access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(128), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("route", sa.String(255), nullable=False),
        sa.Column("partners", sa.JSON(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["web_user.id"], name="fk_web_access_log_user_id_web_user",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_web_access_log"),
    )
    op.create_index("ix_web_access_log_at", "web_access_log", ["at"])
    op.create_table(
        "web_setting",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_web_setting"),
    )


def downgrade() -> None:
    for index, table in (("ix_web_access_log_at", "web_access_log"),
                         ("ix_web_login_attempt_address_at", "web_login_attempt"),
                         ("ix_web_login_attempt_username_at", "web_login_attempt"),
                         ("ix_web_session_user_id", "web_session"),
                         ("ix_sharing_agreement_grantee_partner_id", "sharing_agreement"),
                         ("ix_sharing_agreement_owner_partner_id", "sharing_agreement"),
                         ("ix_web_membership_user_id", "web_membership")):
        op.drop_index(index, table_name=table)
    for table in ("web_setting", "web_access_log", "web_login_attempt", "web_session", "sharing_agreement",
                  "web_membership", "web_user"):
        op.drop_table(table)
