"""Map layers published into the store: parks, zones, census units and habitat as GeoJSON features in WGS84.

Every web client, on a laptop or on the shared server, reads the same boundaries from the database instead of
a GeoPackage on someone's disk; one row is one feature of one named layer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bigcats.store.models import Base

LAYER_KINDS = ("parks", "zones", "units", "habitat", "other")


class MapLayerFeature(Base):
    """One feature of a published map layer: its layer name and kind, country, properties and geometry."""

    __tablename__ = "map_layer"
    __table_args__ = (Index("ix_map_layer_name", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))  # the layer's name, as in the GeoPackage
    kind: Mapped[str] = mapped_column(String(16))  # one of LAYER_KINDS
    country: Mapped[str | None] = mapped_column(String(3))  # ISO3 of the feature, when known
    properties: Mapped[dict | None] = mapped_column(JSON)  # the feature's attributes, JSON-ready
    geometry: Mapped[str] = mapped_column(Text)  # GeoJSON geometry text, EPSG:4326 (lon, lat)
    source: Mapped[str | None] = mapped_column(Text)  # the file it was published from
    created: Mapped[datetime] = mapped_column(DateTime)  # when it was published (UTC, naive)
