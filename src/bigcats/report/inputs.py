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
    photos: pd.DataFrame | None = None  # catalogue reference photos: individualID, scientificName, side, path, bbox*


def catalogue_photos(engine: Engine) -> pd.DataFrame:
    """The catalogue's reference photos: individual, species, flank, file, and the animal's box where the photo's
    observation has one (Camtrap DP fractions of the frame)."""
    from sqlalchemy import func, select

    from bigcats.store.models import Individual, Media, Observation, Species
    from bigcats.store.models_identify import IndividualImage

    box = (select(Observation.media_id, func.min(Observation.bbox_x).label("bboxX"),
                  func.min(Observation.bbox_y).label("bboxY"), func.min(Observation.bbox_width).label("bboxWidth"),
                  func.min(Observation.bbox_height).label("bboxHeight"))
           .where(Observation.bbox_width.is_not(None)).group_by(Observation.media_id).subquery())
    q = (select(Individual.code.label("individualID"), Species.scientific_name.label("scientificName"),
                IndividualImage.side, func.coalesce(IndividualImage.file_path, Media.file_path).label("path"),
                box.c.bboxX, box.c.bboxY, box.c.bboxWidth, box.c.bboxHeight)
         .join(Individual, IndividualImage.individual_id == Individual.id)
         .join(Species, Individual.species_id == Species.id)
         .outerjoin(Media, IndividualImage.media_id == Media.id)
         .outerjoin(box, box.c.media_id == IndividualImage.media_id)
         .order_by(IndividualImage.id))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).mappings().all(),
                            columns=["individualID", "scientificName", "side", "path", "bboxX", "bboxY", "bboxWidth",
                                     "bboxHeight"])


def load_inputs(engine: Engine) -> ReportInputs:
    """Read the survey frames, species names and catalogue a report needs from the store."""
    from bigcats.census.store import census_report_tables
    from bigcats.store.query_field import field_records

    patrols, incidental = field_records(engine)
    return ReportInputs(load_frames(engine), species_names(engine), catalogue_aliases(engine), patrols, incidental,
                        census=census_report_tables(engine, "Panthera tigris"), photos=catalogue_photos(engine))
