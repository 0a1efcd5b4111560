"""Survey frames: the one object every reader returns, the store loads and returns, and every analysis takes.

Five pandas DataFrames with Camtrap DP column names: deployments, outages (periods a camera did not work),
observations, media and individuals. Timestamps are timezone-aware UTC; the local clock time of a record is
`timestamp + utcOffset` minutes. Readers (`bigcats.intake`), the simulator and the store (`bigcats.store.query`)
produce them; analyses, the report, the web and the demo consume them and select from them with `select()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable

import pandas as pd

from bigcats.core.period import Period, parse_period
from bigcats.errors import BigcatsError

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
FRAME_NAMES = ("deployments", "outages", "observations", "media", "individuals")


class SelectionError(BigcatsError):
    """A selection that names nothing in the data (an unknown partner, side, area, or no camera in the period)."""

    code = "empty-selection"


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


def _isin(frame: pd.DataFrame, column: str, values: Iterable) -> pd.Series:
    return frame[column].isin(list(values)) if column in frame.columns else pd.Series(False, index=frame.index)


@dataclass
class SurveyFrames:
    """Deployments, outages, observations, media and individuals of one selection of surveys, timestamps in UTC."""

    deployments: pd.DataFrame = field(default_factory=lambda: empty_frame(DEPLOYMENT_COLUMNS))
    outages: pd.DataFrame = field(default_factory=lambda: empty_frame(OUTAGE_COLUMNS))
    observations: pd.DataFrame = field(default_factory=lambda: empty_frame(OBSERVATION_COLUMNS))
    media: pd.DataFrame = field(default_factory=lambda: empty_frame(MEDIA_COLUMNS))
    individuals: pd.DataFrame = field(default_factory=lambda: empty_frame(INDIVIDUAL_COLUMNS))
    # Intake only: where each row came from, per frame (columns file, row, id; same order as the frame), so that a
    # problem the store finds names the user's own file and row, not the temporary package bigcats wrote.
    provenance: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # Callers may pass None for a frame they do not have: an empty frame with the right columns stands in.
        defaults = {"deployments": DEPLOYMENT_COLUMNS, "outages": OUTAGE_COLUMNS, "observations": OBSERVATION_COLUMNS,
                    "media": MEDIA_COLUMNS, "individuals": INDIVIDUAL_COLUMNS}
        for name, cols in defaults.items():
            frame = getattr(self, name)
            if frame is None or (frame.empty and len(frame.columns) == 0):
                setattr(self, name, empty_frame(cols))

    @classmethod
    def build(cls, deployments=None, outages=None, media=None, observations=None, individuals=None) -> SurveyFrames:
        """Frames conformed to the survey-frame columns and dtypes (None gives an empty frame)."""
        def c(df, cols):
            return empty_frame(cols) if df is None else conform(df, cols)
        return cls(deployments=c(deployments, DEPLOYMENT_COLUMNS), outages=c(outages, OUTAGE_COLUMNS),
                   observations=c(observations, OBSERVATION_COLUMNS), media=c(media, MEDIA_COLUMNS),
                   individuals=c(individuals, INDIVIDUAL_COLUMNS))

    def counts(self) -> dict[str, int]:
        """Number of rows per frame."""
        return {name: len(getattr(self, name)) for name in
                ("deployments", "outages", "media", "observations", "individuals")}

    @property
    def empty(self) -> bool:
        """True when there is no deployment (so nothing to analyse)."""
        return self.deployments.empty

    @property
    def sides(self) -> list[str]:
        """The country sides (ISO3) of the deployments, sorted."""
        if "country" not in self.deployments.columns:
            return []
        return sorted(self.deployments["country"].dropna().astype(str).unique())

    def select(self, *, partner: str | None = None, project: str | None = None, country: str | None = None,
               protected_area: str | None = None, species: str | Iterable[str] | None = None,
               period: str | Period | None = None) -> SurveyFrames:
        """The frames of a selection: deployments of a partner, project, country side or protected area, clipped to a
        period (effort counts only the days inside it), and observations of some species within the period.

        A value that names nothing in the data is refused with the choices that exist, so a typo never becomes a
        silently empty report.
        """
        deps = self.deployments
        for column, value in (("partner", partner), ("project", project), ("country", country),
                              ("protectedArea", protected_area)):
            if value is None or value == "":
                continue
            if column not in deps.columns:
                raise SelectionError(f"{column}: the deployments do not say which {column} they belong to")
            values = deps[column].astype("string")
            hit = values.str.casefold() == str(value).casefold()
            if not hit.any():
                choices = ", ".join(sorted(deps[column].dropna().astype(str).unique())) or "none"
                raise SelectionError(f"{column}: {value!r} is not in the data; choose one of: {choices}")
            deps = deps[hit.fillna(False).to_numpy()]
        if period is not None and period != "":
            period = parse_period(period) if isinstance(period, str) else period
            start = deps["deploymentStart"].clip(lower=period.start)
            end = deps["deploymentEnd"].clip(upper=period.end)
            deps = deps.assign(deploymentStart=start, deploymentEnd=end)[(end > start).to_numpy()]
            if deps.empty:
                raise SelectionError(f"no camera was working in this selection during {period.text!r}")
        deps = deps.reset_index(drop=True)
        keep = set(deps["deploymentID"])
        obs = self.observations[_isin(self.observations, "deploymentID", keep)]
        if species is not None:
            wanted = [species] if isinstance(species, str) else list(species)
            obs = obs[_isin(obs, "scientificName", wanted)]
        if isinstance(period, Period) and "timestamp" in obs.columns and len(obs):
            obs = obs[((obs["timestamp"] >= period.start) & (obs["timestamp"] < period.end)).fillna(False)]
        media = self.media[_isin(self.media, "deploymentID", keep)]
        if isinstance(period, Period) and "timestamp" in media.columns and len(media):
            media = media[((media["timestamp"] >= period.start) & (media["timestamp"] < period.end)).fillna(False)]
        outages = self.outages[_isin(self.outages, "deploymentID", keep)]
        return replace(self, deployments=deps, outages=outages.reset_index(drop=True),
                       observations=obs.reset_index(drop=True), media=media.reset_index(drop=True))
