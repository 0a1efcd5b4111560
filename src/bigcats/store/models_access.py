"""Who may use the shared web application and what they may see: users, roles, sharing agreements, logs.

Users belong to partners with a role (administrator, editor, viewer); anyone not signed in is the public.
A sharing agreement lets one partner (or the public, when the grantee is empty) see another's data, and says
whether that includes exact locations of sensitive species. Sessions are kept server-side so that signing out
or disabling a user takes effect at once; only a hash of the session token is stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bigcats.store.models import Base

ROLES = ("administrator", "editor", "viewer")


class User(Base):
    """A person who signs in to the web application."""

    __tablename__ = "web_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))  # Argon2id, PHC string format
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Membership(Base):
    """A user's role within a partner organisation."""

    __tablename__ = "web_membership"
    __table_args__ = (UniqueConstraint("user_id", "partner_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_user.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))


class SharingAgreement(Base):
    """What the grantee partner (or the public, when grantee is empty) may see of the owner's data."""

    __tablename__ = "sharing_agreement"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    grantee_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    species: Mapped[list | None] = mapped_column(JSON)  # scientific names; empty = every species
    exact_locations: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[datetime | None] = mapped_column(DateTime)
    valid_until: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Observations made on or after `valid_from` (or `created_at`) stay hidden from the grantee until this date.
    embargo_until: Mapped[datetime | None] = mapped_column(DateTime)
    replaces_id: Mapped[int | None] = mapped_column(Integer)  # the agreement this one changed (ended when it began)


class SharingProposal(Base):
    """An agreement one side proposes and the other side's administrator accepts or declines (or a change of one)."""

    __tablename__ = "sharing_proposal"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    grantee_partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    species: Mapped[list | None] = mapped_column(JSON)
    exact_locations: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[datetime | None] = mapped_column(DateTime)
    valid_until: Mapped[datetime | None] = mapped_column(DateTime)
    embargo_until: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)
    replaces_id: Mapped[int | None] = mapped_column(Integer)  # an agreement in force that this proposal changes
    proposed_by_partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    proposed_by: Mapped[str] = mapped_column(String(128))
    proposed_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, accepted, declined, withdrawn
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    agreement_id: Mapped[int | None] = mapped_column(Integer)  # the agreement its acceptance made


class SharingEvent(Base):
    """The history of sharing: who proposed, accepted, declined, withdrew, changed or ended what, and when."""

    __tablename__ = "sharing_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    username: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))
    owner_partner_id: Mapped[int | None] = mapped_column(Integer, index=True)
    grantee_partner_id: Mapped[int | None] = mapped_column(Integer, index=True)
    agreement_id: Mapped[int | None] = mapped_column(Integer)
    proposal_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict | None] = mapped_column(JSON)


class WebSession(Base):
    """A signed-in browser: the SHA-256 of its session token, its user and when it expires."""

    __tablename__ = "web_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class LoginAttempt(Base):
    """One sign-in attempt, kept to limit password guessing per user name and per address."""

    __tablename__ = "web_login_attempt"
    __table_args__ = (Index("ix_web_login_attempt_username_at", "username", "at"),
                      Index("ix_web_login_attempt_address_at", "address", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(128))
    address: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
    success: Mapped[bool] = mapped_column(Boolean)


class AccessLog(Base):
    """Who saw or downloaded exact locations of sensitive species, when, through which route."""

    __tablename__ = "web_access_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("web_user.id", ondelete="SET NULL"))
    username: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))  # 'view' or 'download'
    route: Mapped[str] = mapped_column(String(255))
    partners: Mapped[list | None] = mapped_column(JSON)  # partner codes whose exact locations were returned
    rows: Mapped[int] = mapped_column(Integer, default=0)


class AppSetting(Base):
    """Installation-wide settings (the key that signs cookies), shared by every server process."""

    __tablename__ = "web_setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class WebChange(Base):
    """A mark left by a trigger on every write to what the web's caches depend on (migration 0013).

    kind 'access': users, memberships, agreements, partners, projects, species and their sensitivity;
    kind 'data': stations, deployments, individuals, people's changes to observations, map layers. A kind's version is
    (max id, rows, sum of n): PostgreSQL adds a row per writing statement, SQLite counts `n` up in one row.
    """

    __tablename__ = "web_change"
    __table_args__ = (Index("ix_web_change_kind_id", "kind", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    n: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


ACCESS_TABLES = [User, Membership, SharingAgreement, SharingProposal, SharingEvent, WebSession, LoginAttempt, AccessLog, AppSetting]
