"""Per-partner and per-project settings of the survey data: the column map a partner's tables are read with, and
which species are sensitive (exact locations hidden) in a project or for a partner beyond the shipped list.

A jaguar in Brazil is as sensitive as a leopard in Primorye: `species.sensitive` is the shipped default, a row here
overrides it for one partner (all its projects) or one project (`project_id` set wins over the partner's row).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bigcats.store.models import Base


class ColumnMap(Base):
    """The column map a partner gave once for its plain tables (`bigcats ingest --columns map.yaml`), reused later."""

    __tablename__ = "intake_column_map"
    __table_args__ = (UniqueConstraint("partner_id", "format"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(32))  # the intake format it is for ("table")
    columns: Mapped[dict] = mapped_column(JSON)  # the map as the user wrote it (YAML parsed)
    source: Mapped[str | None] = mapped_column(String(1024))  # the file it came from
    updated: Mapped[datetime] = mapped_column(DateTime)  # UTC, naive


class SpeciesSensitivity(Base):
    """A species declared sensitive (or not) for one partner, or for one project of it."""

    __tablename__ = "species_sensitivity"
    __table_args__ = (UniqueConstraint("species_id", "partner_id", "project_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    species_id: Mapped[int] = mapped_column(ForeignKey("species.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    sensitive: Mapped[bool] = mapped_column(Boolean)
    updated: Mapped[datetime] = mapped_column(DateTime)


__all__ = ["ColumnMap", "SpeciesSensitivity"]
