"""Independent detection events of animals, each with its station's country side."""

from __future__ import annotations

import pandas as pd

from bigcats.analysis.independence import independent_detections
from bigcats.core.frames import SurveyFrames

THRESHOLD = "30min"


def events(frames: SurveyFrames, threshold: str = THRESHOLD) -> pd.DataFrame:
    """Independent detections (camtrapR's rule, `threshold` apart per station and species) with a country column."""
    obs = frames.observations
    if obs is None or obs.empty or "observationType" not in obs.columns:
        return pd.DataFrame(columns=["observationID", "deploymentID", "locationID", "timestamp", "utcOffset",
                                     "scientificName", "observationType", "individualID", "country"])
    animal = obs[(obs["observationType"] == "animal") & obs["timestamp"].notna()]
    if animal.empty:
        return animal.assign(country=pd.Series(dtype="object"))
    ev = independent_detections(animal, threshold, by=("locationID", "scientificName"))
    if "country" not in ev:
        ev = ev.join(frames.deployments.set_index("deploymentID")["country"], on="deploymentID")
    return ev
