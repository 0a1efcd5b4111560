"""Survey frames as intake readers return them: the one `bigcats.core.frames.SurveyFrames` (re-exported here)."""

from bigcats.core.frames import (  # noqa: F401  (re-exported for the readers)
    DEPLOYMENT_COLUMNS,
    FLOAT_COLUMNS,
    INDIVIDUAL_COLUMNS,
    INT_COLUMNS,
    MEDIA_COLUMNS,
    OBSERVATION_COLUMNS,
    OUTAGE_COLUMNS,
    TIME_COLUMNS,
    SurveyFrames,
    conform,
    empty_frame,
)
