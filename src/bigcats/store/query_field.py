"""Patrols and incidental records out of the store as DataFrames (for reports and the web)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from bigcats.store.models import Partner, Species
from bigcats.store.models_field import IncidentalRecord, Patrol

PATROL_COLUMNS = ["patrolID", "partner", "country", "start", "end", "distance_km", "hours"]
RECORD_COLUMNS = ["recordID", "partner", "country", "patrolID", "timestamp", "utcOffset", "latitude", "longitude",
                  "scientificName", "kind", "threat", "count", "category"]


def field_records(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(patrols, incidental records) with their partner's country side; times in UTC."""
    with engine.connect() as conn:
        patrols = pd.DataFrame(conn.execute(
            select(Patrol.source_id, Partner.code, Partner.country, Patrol.start_utc, Patrol.end_utc,
                   Patrol.distance_km, Patrol.hours).join(Partner, Partner.id == Patrol.partner_id)).all(),
            columns=PATROL_COLUMNS)
        records = pd.DataFrame(conn.execute(
            select(IncidentalRecord.source_id, Partner.code, Partner.country, Patrol.source_id,
                   IncidentalRecord.timestamp_utc, IncidentalRecord.utc_offset, IncidentalRecord.latitude,
                   IncidentalRecord.longitude, Species.scientific_name, IncidentalRecord.kind,
                   IncidentalRecord.threat, IncidentalRecord.count, IncidentalRecord.category)
            .join(Partner, Partner.id == IncidentalRecord.partner_id)
            .outerjoin(Patrol, Patrol.id == IncidentalRecord.patrol_id)
            .outerjoin(Species, Species.id == IncidentalRecord.species_id)).all(), columns=RECORD_COLUMNS)
    for frame, cols in ((patrols, ("start", "end")), (records, ("timestamp",))):
        for c in cols:
            frame[c] = pd.to_datetime(frame[c]).dt.tz_localize("UTC")
    return patrols, records
