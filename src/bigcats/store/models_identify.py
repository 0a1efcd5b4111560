"""The identification catalogue in the store: proposed matches, the decision log, reference photos per flank.

The matcher only proposes (`identification_proposal`); people decide, and every decision is one row of
`catalogue_decision` with who, when, what, and the exact row changes it made, so that any decision (a merge,
a split, an import) can be undone by replaying those changes backwards. An observation's individual is set
only by a confirmed decision, which is what the capture-recapture analyses read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bigcats.store.models import Base

PROPOSAL_STATUS = ("pending", "confirmed", "rejected", "new")
DECISION_ACTIONS = ("confirm", "reject", "new_individual", "merge", "split", "undo", "import")


class IdentificationProposal(Base):
    """One candidate individual the matcher ranked for a photo (or an observation's box), awaiting a person."""

    __tablename__ = "identification_proposal"
    __table_args__ = (Index("ix_identification_proposal_status_score", "status", "score"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int | None] = mapped_column(ForeignKey("observation.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"), index=True)
    image: Mapped[str | None] = mapped_column(Text)  # file path when the photo is not (yet) in the store
    species_id: Mapped[int] = mapped_column(ForeignKey("species.id"))
    side: Mapped[str] = mapped_column(String(8))
    individual_id: Mapped[int | None] = mapped_column(ForeignKey("individual.id", ondelete="CASCADE"), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    proposed_at: Mapped[datetime] = mapped_column(DateTime)
    method: Mapped[str | None] = mapped_column(String(64))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))  # whose photo


class CatalogueDecision(Base):
    """One decision on the catalogue: who, when, which action, on what, and the row changes it made."""

    __tablename__ = "catalogue_decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    who: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(16))
    proposal_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the log outlives deleted proposals
    individual_id: Mapped[int | None] = mapped_column(Integer, index=True)
    other_individual_id: Mapped[int | None] = mapped_column(Integer)
    target: Mapped[int | None] = mapped_column(Integer)  # the decision an undo reverses
    undone_by: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    fields: Mapped[dict | None] = mapped_column(JSON)  # {"changes": [...], ...}: what undo replays backwards


class IndividualImage(Base):
    """A reference photo of one flank of a catalogue individual (a tiger's two flanks differ)."""

    __tablename__ = "individual_image"
    id: Mapped[int] = mapped_column(primary_key=True)
    individual_id: Mapped[int] = mapped_column(ForeignKey("individual.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    file_path: Mapped[str | None] = mapped_column(Text)
    side: Mapped[str] = mapped_column(String(8))
    encounter: Mapped[str | None] = mapped_column(String(255))
    added_at: Mapped[datetime] = mapped_column(DateTime)


IDENTIFY_TABLES = [IdentificationProposal, CatalogueDecision, IndividualImage]
