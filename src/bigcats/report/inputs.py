"""Everything a report reads from the store, as DataFrames: survey frames, the species table, the catalogue.

The only module of bigcats.report that touches the database; the rest works on what this returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, select

from bigcats.store.models import Species
from bigcats.store.query import SurveyFrames, catalogue_aliases, load_frames

SPECIES_COLUMNS = ["scientificName", "group", "sensitive", "en", "ru", "zh", "mn"]


@dataclass
class ReportInputs:
    """Survey frames of the whole store, the species table with names in four languages, and the catalogue."""

    frames: SurveyFrames
    species: pd.DataFrame  # scientificName, group, sensitive, en, ru, zh, mn
    catalogue: pd.DataFrame  # individualID, scientificName, partner, partnerCode, sex


def species_names(engine: Engine) -> pd.DataFrame:
    """The species table of the store: scientific name, group, sensitive flag and names in en, ru, zh, mn."""
    q = select(Species.scientific_name, Species.group, Species.sensitive, Species.name_en, Species.name_ru,
               Species.name_zh, Species.name_mn)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    table = pd.DataFrame(rows, columns=SPECIES_COLUMNS)
    table["sensitive"] = table["sensitive"].fillna(False).astype(bool)
    return table


def load_inputs(engine: Engine) -> ReportInputs:
    """Read the survey frames, species names and catalogue a report needs from the store."""
    return ReportInputs(load_frames(engine), species_names(engine), catalogue_aliases(engine))
