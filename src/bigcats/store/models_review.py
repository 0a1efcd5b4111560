"""People's decisions on machine species identifications, kept beside the machine's (who changed what, when)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bigcats.store.models import Base


class SpeciesReview(Base):
    """One change of an observation's species by a person; the first keeps what the machine had said."""

    __tablename__ = "species_review"
    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("observation.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    who: Mapped[str] = mapped_column(String(128))
    old_species_id: Mapped[int | None] = mapped_column(Integer)
    new_species_id: Mapped[int | None] = mapped_column(Integer)
    old_type: Mapped[str | None] = mapped_column(String(16))
    new_type: Mapped[str | None] = mapped_column(String(16))
    old_count: Mapped[int | None] = mapped_column(Integer)
    new_count: Mapped[int | None] = mapped_column(Integer)
    machine_species_id: Mapped[int | None] = mapped_column(Integer)  # the machine's guess, whatever came since
    machine_probability: Mapped[float | None] = mapped_column(Float)
    machine_by: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
