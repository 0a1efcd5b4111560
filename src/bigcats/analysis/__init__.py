"""bigcats.analysis: survey analytics over survey frames (effort, independence, RAI, histories, activity, occupancy)."""

from bigcats.analysis.abundance import relative_abundance
from bigcats.analysis.activity import ActivityFit, fit_activity
from bigcats.analysis.detection_history import DetectionHistory, detection_history, spatial_detection_history
from bigcats.analysis.effort import active_intervals, camera_operation, daily_effort, trap_nights
from bigcats.analysis.errors import AnalysisError
from bigcats.analysis.independence import check_within_deployments, count_events, independent_detections
from bigcats.analysis.occupancy import (
    OccupancyData,
    OccupancyFit,
    fit_occupancy,
    history_to_occupancy,
    long_to_occupancy,
)
from bigcats.analysis.overlap import OverlapResult, boot_ci, overlap, overlap_estimates
from bigcats.analysis.solar import record_times, sun_times, to_solar

__all__ = [
    "ActivityFit", "AnalysisError", "DetectionHistory", "OccupancyData", "OccupancyFit", "OverlapResult",
    "active_intervals", "boot_ci", "camera_operation", "check_within_deployments", "count_events", "daily_effort",
    "detection_history", "fit_activity", "fit_occupancy", "history_to_occupancy", "independent_detections",
    "long_to_occupancy", "overlap", "overlap_estimates", "record_times", "relative_abundance", "spatial_detection_history",
    "sun_times", "to_solar", "trap_nights",
]
