"""Field data that is not a camera photo: form submissions as received, patrols, incidental records, and clock
corrections a user confirmed after the camera health check.

A submission is kept verbatim (its JSON) under its instance id, so ingesting an export again adds nothing and
nothing a ranger typed is lost; deployments, outages and census files are derived from the stored submissions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bigcats.store.models import Base


class FieldSubmission(Base):
    """One filled-in form (ODK Collect, KoboToolbox, Enketo) as exported, keyed by its instance id."""

    __tablename__ = "field_submission"
    __table_args__ = (UniqueConstraint("partner_id", "instance_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    form_id: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[str] = mapped_column(String(255))  # meta/instanceID (uuid:...) or Kobo's _uuid
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)  # server's submission date, UTC
    payload: Mapped[dict] = mapped_column(JSON)  # the submission's fields, repeats and attachment names
    source: Mapped[str | None] = mapped_column(Text)  # the export it came from
    ingested_at: Mapped[datetime] = mapped_column(DateTime)


class Patrol(Base):
    """A ranger patrol (SMART or a form) with its effort: when, how far, by what means."""

    __tablename__ = "patrol"
    __table_args__ = (UniqueConstraint("partner_id", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[str] = mapped_column(String(255))  # SMART's patrol id
    start_utc: Mapped[datetime] = mapped_column(DateTime)
    end_utc: Mapped[datetime] = mapped_column(DateTime)
    utc_offset: Mapped[int] = mapped_column(SmallInteger, default=0)
    distance_km: Mapped[float | None] = mapped_column(Float)
    hours: Mapped[float | None] = mapped_column(Float)
    transport: Mapped[str | None] = mapped_column(String(64))
    station: Mapped[str | None] = mapped_column(String(255))  # SMART station / team base
    team: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str | None] = mapped_column(Text)


class IncidentalRecord(Base):
    """A sign, sighting or threat found outside camera traps: a SMART observation or an incidental-sign form."""

    __tablename__ = "incidental_record"
    __table_args__ = (UniqueConstraint("partner_id", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    patrol_id: Mapped[int | None] = mapped_column(ForeignKey("patrol.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[str] = mapped_column(String(255))  # waypoint id + observation number, or the instance id
    timestamp_utc: Mapped[datetime] = mapped_column(DateTime)
    utc_offset: Mapped[int] = mapped_column(SmallInteger, default=0)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    species_id: Mapped[int | None] = mapped_column(ForeignKey("species.id"))
    kind: Mapped[str] = mapped_column(String(32))  # track, scat, scrape, kill, sighting, snare, camp, shot...
    threat: Mapped[bool] = mapped_column(default=False)
    count: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(Text)  # the source's own category path, verbatim
    attributes: Mapped[dict | None] = mapped_column(JSON)  # everything else the source recorded
    source: Mapped[str | None] = mapped_column(Text)


class ClockCorrection(Base):
    """A confirmed shift of a deployment's photo times (a reset or wrong clock), applied once to its media."""

    __tablename__ = "clock_correction"
    __table_args__ = (UniqueConstraint("deployment_id", "start_utc"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"), index=True)
    start_utc: Mapped[datetime] = mapped_column(DateTime)  # first wrong timestamp as the camera wrote it
    end_utc: Mapped[datetime] = mapped_column(DateTime)  # last wrong timestamp as the camera wrote it
    offset_seconds: Mapped[int] = mapped_column(Integer)  # added to the camera's times
    reason: Mapped[str | None] = mapped_column(Text)
    confirmed_by: Mapped[str | None] = mapped_column(String(255))
    applied_at: Mapped[datetime] = mapped_column(DateTime)
