"""Everything a report reads from the store, as DataFrames: survey frames, the species table, the catalogue.

The only module of bigcats.report that touches the database; the rest works on what this returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from bigcats.core.frames import SurveyFrames
from bigcats.store.query import SPECIES_COLUMNS, catalogue_aliases, load_frames, species_names  # noqa: F401


@dataclass
class ReportInputs:
    """Survey frames of the whole store, the species table with names in four languages, and the catalogue."""

    frames: SurveyFrames
    species: pd.DataFrame  # scientificName, group, sensitive, en, ru, zh, mn
    catalogue: pd.DataFrame  # individualID, scientificName, partner, partnerCode, sex
    patrols: pd.DataFrame | None = None  # patrolID, partner, country, start, end, distance_km, hours
    incidental: pd.DataFrame | None = None  # SMART and sign-form records: country, timestamp, scientificName, threat
    census: dict[str, pd.DataFrame] | None = None  # the latest winter track census stored (prey, tigers)


def load_inputs(engine: Engine) -> ReportInputs:
    """Read the survey frames, species names and catalogue a report needs from the store."""
    from bigcats.census.store import census_report_tables
    from bigcats.store.query_field import field_records

    patrols, incidental = field_records(engine)
    return ReportInputs(load_frames(engine), species_names(engine), catalogue_aliases(engine), patrols, incidental,
                        census=census_report_tables(engine, "Panthera tigris"))
