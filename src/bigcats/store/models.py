"""The one survey schema every partner shares, in Camtrap DP 1.0 terms where they exist.

Timestamps are stored as naive UTC plus the local clock offset in minutes, so that SQLite and PostgreSQL keep
the same values and an export gives back exactly the offset the partner wrote.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names so Alembic migrations work the same on SQLite (batch mode) and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Partner(Base):
    """An organisation that contributes data (a park, an NGO, a research centre)."""

    __tablename__ = "partner"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(3))
    names: Mapped[dict | None] = mapped_column(JSON)  # {"en": ..., "ru": ..., "zh": ..., "mn": ...}
    projects: Mapped[list[Project]] = relationship(back_populates="partner")


class Project(Base):
    """A survey: one Camtrap DP package's worth of deployments, media and observations."""

    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("partner_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(Text)
    # The package descriptor as the partner wrote it (minus row data): nothing a user gave is lost.
    descriptor: Mapped[dict | None] = mapped_column(JSON)
    partner: Mapped[Partner] = relationship(back_populates="projects")


class Species(Base):
    """A taxon with its names in the four languages of the partners."""

    __tablename__ = "species"
    id: Mapped[int] = mapped_column(primary_key=True)
    scientific_name: Mapped[str] = mapped_column(String(255), unique=True)
    rank: Mapped[str | None] = mapped_column(String(32))
    group: Mapped[str | None] = mapped_column(String(32))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    name_en: Mapped[str | None] = mapped_column(String(255))
    name_ru: Mapped[str | None] = mapped_column(String(255))
    name_zh: Mapped[str | None] = mapped_column(String(255))
    name_mn: Mapped[str | None] = mapped_column(String(255))


class Station(Base):
    """A camera location (Camtrap DP locationID) with the country side and protected area it belongs to."""

    __tablename__ = "station"
    __table_args__ = (UniqueConstraint("partner_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    coordinate_uncertainty: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(3))
    protected_area: Mapped[str | None] = mapped_column(String(255))


class Deployment(Base):
    """A camera at a station between set-up and retrieval."""

    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("project_id", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), index=True)
    source_id: Mapped[str] = mapped_column(String(255))
    start_utc: Mapped[datetime] = mapped_column(DateTime)
    end_utc: Mapped[datetime] = mapped_column(DateTime)
    utc_offset: Mapped[int] = mapped_column(SmallInteger, default=0)
    setup_by: Mapped[str | None] = mapped_column(String(255))
    camera_id: Mapped[str | None] = mapped_column(String(255))
    camera_model: Mapped[str | None] = mapped_column(String(255))
    camera_delay: Mapped[int | None] = mapped_column(Integer)
    camera_height: Mapped[float | None] = mapped_column(Float)
    camera_depth: Mapped[float | None] = mapped_column(Float)
    camera_tilt: Mapped[int | None] = mapped_column(Integer)
    camera_heading: Mapped[int | None] = mapped_column(Integer)
    detection_distance: Mapped[float | None] = mapped_column(Float)
    timestamp_issues: Mapped[bool | None] = mapped_column(Boolean)
    bait_use: Mapped[bool | None] = mapped_column(Boolean)
    feature_type: Mapped[str | None] = mapped_column(String(32))
    habitat: Mapped[str | None] = mapped_column(Text)
    groups: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[str | None] = mapped_column(Text)
    comments: Mapped[str | None] = mapped_column(Text)


class DeploymentOutage(Base):
    """A period within a deployment when the camera did not work (battery, theft, snow): no effort."""

    __tablename__ = "deployment_outage"
    __table_args__ = (UniqueConstraint("deployment_id", "start_utc"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"), index=True)
    start_utc: Mapped[datetime] = mapped_column(DateTime)
    end_utc: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(Text)


class Media(Base):
    """A photo or video file recorded during a deployment."""

    __tablename__ = "media"
    __table_args__ = (UniqueConstraint("deployment_id", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(String(255))
    capture_method: Mapped[str | None] = mapped_column(String(32))
    timestamp_utc: Mapped[datetime] = mapped_column(DateTime)
    utc_offset: Mapped[int] = mapped_column(SmallInteger, default=0)
    file_path: Mapped[str] = mapped_column(Text)
    file_public: Mapped[bool] = mapped_column(Boolean, default=True)
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_mediatype: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    exif: Mapped[str | None] = mapped_column(Text)  # JSON text, kept verbatim
    favorite: Mapped[bool | None] = mapped_column(Boolean)
    comments: Mapped[str | None] = mapped_column(Text)


class Individual(Base):
    """One animal in the shared catalogue of its species; partners' own codes are its aliases."""

    __tablename__ = "individual"
    __table_args__ = (UniqueConstraint("species_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    species_id: Mapped[int] = mapped_column(ForeignKey("species.id"))
    code: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    sex: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(Text)


class IndividualAlias(Base):
    """A partner's own code for a catalogue individual (the same tiger has a Russian and a Chinese code)."""

    __tablename__ = "individual_alias"
    __table_args__ = (UniqueConstraint("partner_id", "species_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    individual_id: Mapped[int] = mapped_column(ForeignKey("individual.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    species_id: Mapped[int] = mapped_column(ForeignKey("species.id"))
    code: Mapped[str] = mapped_column(String(255))


class Observation(Base):
    """A classification of a media file or an event: species, count, individual, who classified it and how."""

    __tablename__ = "observation"
    __table_args__ = (
        UniqueConstraint("deployment_id", "source_id"),
        Index("ix_observation_species_start", "species_id", "event_start_utc"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[str | None] = mapped_column(String(255))
    event_start_utc: Mapped[datetime] = mapped_column(DateTime)
    event_end_utc: Mapped[datetime] = mapped_column(DateTime)
    utc_offset: Mapped[int] = mapped_column(SmallInteger, default=0)
    level: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(16))
    camera_setup_type: Mapped[str | None] = mapped_column(String(16))
    species_id: Mapped[int | None] = mapped_column(ForeignKey("species.id"))
    count: Mapped[int | None] = mapped_column(Integer)
    life_stage: Mapped[str | None] = mapped_column(String(16))
    sex: Mapped[str | None] = mapped_column(String(16))
    behavior: Mapped[str | None] = mapped_column(Text)
    individual_id: Mapped[int | None] = mapped_column(ForeignKey("individual.id"), index=True)
    position_radius: Mapped[float | None] = mapped_column(Float)
    position_angle: Mapped[float | None] = mapped_column(Float)
    speed: Mapped[float | None] = mapped_column(Float)
    bbox_x: Mapped[float | None] = mapped_column(Float)
    bbox_y: Mapped[float | None] = mapped_column(Float)
    bbox_width: Mapped[float | None] = mapped_column(Float)
    bbox_height: Mapped[float | None] = mapped_column(Float)
    classification_method: Mapped[str | None] = mapped_column(String(16))
    classified_by: Mapped[str | None] = mapped_column(String(255))
    classification_timestamp: Mapped[str | None] = mapped_column(String(40))
    classification_probability: Mapped[float | None] = mapped_column(Float)
    tags: Mapped[str | None] = mapped_column(Text)
    comments: Mapped[str | None] = mapped_column(Text)


class IntakeBatch(Base):
    """One import: what came in, from where, what was added, and every problem found (the intake report)."""

    __tablename__ = "intake_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict | None] = mapped_column(JSON)
    report: Mapped[dict | None] = mapped_column(JSON)


TABLES_IN_ORDER = [
    Partner, Project, Species, Station, Deployment, DeploymentOutage, Media, Individual, IndividualAlias,
    Observation, IntakeBatch,
]


# Tables of the other capabilities live in their own modules; importing them here puts them on the one metadata
# that the migrations are checked against.
from bigcats.store import models_access  # noqa: E402, F401
from bigcats.store import models_sync  # noqa: E402, F401
from bigcats.store import models_identify  # noqa: E402, F401
from bigcats.store import models_layers  # noqa: E402, F401
from bigcats.store import models_field  # noqa: E402, F401
from bigcats.store import models_partner  # noqa: E402, F401
from bigcats.store import models_census  # noqa: E402, F401
from bigcats.store import models_review  # noqa: E402, F401
