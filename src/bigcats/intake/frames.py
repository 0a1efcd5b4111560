"""Survey frames: the Camtrap DP-named DataFrames every reader returns and the store loads in one call."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

DEPLOYMENT_COLUMNS = [
    "deploymentID", "locationID", "locationName", "latitude", "longitude", "deploymentStart", "deploymentEnd",
    "cameraID", "cameraModel", "utcOffset", "country", "protectedArea", "partner", "timestampIssues",
]
OUTAGE_COLUMNS = ["deploymentID", "start", "end", "reason"]
MEDIA_COLUMNS = [
    "mediaID", "deploymentID", "captureMethod", "timestamp", "filePath", "fileName", "fileMediatype", "sha256",
    "exifData",
]
OBSERVATION_COLUMNS = [
    "observationID", "deploymentID", "locationID", "eventID", "timestamp", "utcOffset", "scientificName", "count",
    "observationType", "individualID", "sex", "lifeStage", "classificationMethod", "classifiedBy",
    "classificationProbability", "bboxX", "bboxY", "bboxWidth", "bboxHeight", "mediaID", "observationTags",
    "observationComments",
]
INDIVIDUAL_COLUMNS = ["individualID", "scientificName", "partner", "partnerCode", "sex"]
TIME_COLUMNS = {"deploymentStart", "deploymentEnd", "start", "end", "timestamp"}
FLOAT_COLUMNS = {"latitude", "longitude", "classificationProbability", "bboxX", "bboxY", "bboxWidth", "bboxHeight"}
INT_COLUMNS = {"utcOffset", "count"}


def empty_frame(columns: list[str]) -> pd.DataFrame:
    """An empty frame with the given Camtrap DP columns and their dtypes."""
    return conform(pd.DataFrame(columns=columns), columns)


def conform(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Give a frame exactly the listed columns (missing ones empty) in order, with the survey-frame dtypes."""
    out = df.reindex(columns=columns).reset_index(drop=True)
    for col in columns:
        if col in TIME_COLUMNS:
            out[col] = pd.to_datetime(out[col], utc=True)
        elif col in FLOAT_COLUMNS:
            out[col] = pd.to_numeric(out[col]).astype("float64")
        elif col in INT_COLUMNS:
            out[col] = pd.to_numeric(out[col]).astype("Int64")
        elif col == "timestampIssues":
            text = out[col].astype("string").str.lower()
            out[col] = text.map({"true": True, "false": False, "1": True, "0": False}).astype("boolean")
        else:
            out[col] = out[col].astype("string")
    return out


@dataclass
class SurveyFrames:
    """The five survey frames of one intake: deployments, outages, media, observations, individuals."""

    deployments: pd.DataFrame = field(default_factory=lambda: empty_frame(DEPLOYMENT_COLUMNS))
    outages: pd.DataFrame = field(default_factory=lambda: empty_frame(OUTAGE_COLUMNS))
    media: pd.DataFrame = field(default_factory=lambda: empty_frame(MEDIA_COLUMNS))
    observations: pd.DataFrame = field(default_factory=lambda: empty_frame(OBSERVATION_COLUMNS))
    individuals: pd.DataFrame = field(default_factory=lambda: empty_frame(INDIVIDUAL_COLUMNS))

    @classmethod
    def build(cls, deployments=None, outages=None, media=None, observations=None, individuals=None) -> SurveyFrames:
        """Frames conformed to the survey-frame columns and dtypes (None gives an empty frame)."""
        def c(df, cols):
            return empty_frame(cols) if df is None else conform(df, cols)
        return cls(c(deployments, DEPLOYMENT_COLUMNS), c(outages, OUTAGE_COLUMNS), c(media, MEDIA_COLUMNS),
                   c(observations, OBSERVATION_COLUMNS), c(individuals, INDIVIDUAL_COLUMNS))

    def counts(self) -> dict[str, int]:
        """Number of rows per frame."""
        return {name: len(getattr(self, name)) for name in
                ("deployments", "outages", "media", "observations", "individuals")}
