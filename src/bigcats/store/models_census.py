"""Winter track census in the store: routes walked, crossings counted, and the estimates made from them.

One `census_survey` is one census run (a season's routes and sheets, or the demo's); its routes, crossings and
results hang from it. Storing a census again under the same code replaces its rows (the files are the source).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bigcats.store.models import Base

RESULT_KINDS = ("fmp-unit", "fmp-country", "fmp-total", "fmp-biomass", "tigers-unit")


class CensusSurvey(Base):
    """A census run: where it came from and with which settings."""

    __tablename__ = "census_survey"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(255), unique=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="SET NULL"))
    source: Mapped[str | None] = mapped_column(Text)  # the route and crossing files
    settings: Mapped[dict | None] = mapped_column(JSON)  # travel distances, tolerance, size classes...
    created: Mapped[datetime] = mapped_column(DateTime)  # UTC, naive


class CensusRoute(Base):
    """A route: its unit and country side, length and line (GeoJSON, WGS84), and the dates it was walked."""

    __tablename__ = "census_route"
    __table_args__ = (UniqueConstraint("survey_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("census_survey.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(255))
    unit: Mapped[str] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(3))
    length_km: Mapped[float] = mapped_column(Float)
    geometry: Mapped[str] = mapped_column(Text)
    visits: Mapped[list | None] = mapped_column(JSON)  # [{"date": "2025-01-18", "days_since_snow": 1.0}, ...]


class CensusCrossing(Base):
    """One line of a crossing sheet: species, count, track age, pad width, where and when."""

    __tablename__ = "census_crossing"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("census_survey.id", ondelete="CASCADE"), index=True)
    route_code: Mapped[str] = mapped_column(String(255))
    row: Mapped[int | None] = mapped_column(Integer)  # the sheet's line, for messages
    date: Mapped[datetime | None] = mapped_column(Date)
    species: Mapped[str] = mapped_column(String(255))
    count: Mapped[int] = mapped_column(Integer)
    track_age_days: Mapped[float | None] = mapped_column(Float)
    pad_width_cm: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)


class CensusResult(Base):
    """One estimate row: an FMP density (unit, country side or total) or a unit's minimum number of tigers."""

    __tablename__ = "census_result"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("census_survey.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # one of RESULT_KINDS
    unit: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(3))
    species: Mapped[str | None] = mapped_column(String(255))
    value: Mapped[float | None] = mapped_column(Float)  # density per km², biomass kg/km², or minimum tigers
    lower: Mapped[float | None] = mapped_column(Float)
    upper: Mapped[float | None] = mapped_column(Float)
    extra: Mapped[dict | None] = mapped_column(JSON)  # the rest of the result row as written by the estimator
