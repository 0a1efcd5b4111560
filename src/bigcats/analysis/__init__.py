"""bigcats.analysis: survey analytics over survey frames (effort, independence, RAI, histories, activity, occupancy).

Names are imported on first use (PEP 562), so that importing one light submodule (errors, a constant) does
not load pandas, SciPy or GeoPandas for every command of the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bigcats._lazy import lazy_exports

_WHERE = {
    "relative_abundance": "bigcats.analysis.abundance",
    "ActivityFit": "bigcats.analysis.activity",
    "fit_activity": "bigcats.analysis.activity",
    "DetectionHistory": "bigcats.analysis.detection_history",
    "detection_history": "bigcats.analysis.detection_history",
    "spatial_detection_history": "bigcats.analysis.detection_history",
    "active_intervals": "bigcats.analysis.effort",
    "camera_operation": "bigcats.analysis.effort",
    "daily_effort": "bigcats.analysis.effort",
    "trap_nights": "bigcats.analysis.effort",
    "AnalysisError": "bigcats.analysis.errors",
    "check_within_deployments": "bigcats.analysis.independence",
    "count_events": "bigcats.analysis.independence",
    "independent_detections": "bigcats.analysis.independence",
    "OccupancyData": "bigcats.analysis.occupancy",
    "OccupancyFit": "bigcats.analysis.occupancy",
    "fit_occupancy": "bigcats.analysis.occupancy",
    "history_to_occupancy": "bigcats.analysis.occupancy",
    "long_to_occupancy": "bigcats.analysis.occupancy",
    "OverlapResult": "bigcats.analysis.overlap",
    "boot_ci": "bigcats.analysis.overlap",
    "overlap": "bigcats.analysis.overlap",
    "overlap_estimates": "bigcats.analysis.overlap",
    "record_times": "bigcats.analysis.solar",
    "sun_times": "bigcats.analysis.solar",
    "to_solar": "bigcats.analysis.solar",
}

if TYPE_CHECKING:
    from bigcats.analysis.abundance import relative_abundance
    from bigcats.analysis.activity import ActivityFit, fit_activity
    from bigcats.analysis.detection_history import DetectionHistory, detection_history, spatial_detection_history
    from bigcats.analysis.effort import active_intervals, camera_operation, daily_effort, trap_nights
    from bigcats.analysis.errors import AnalysisError
    from bigcats.analysis.independence import check_within_deployments, count_events, independent_detections
    from bigcats.analysis.occupancy import (
        OccupancyData, OccupancyFit, fit_occupancy, history_to_occupancy, long_to_occupancy,
    )
    from bigcats.analysis.overlap import OverlapResult, boot_ci, overlap, overlap_estimates
    from bigcats.analysis.solar import record_times, sun_times, to_solar

__all__ = [
    "ActivityFit", "AnalysisError", "DetectionHistory", "OccupancyData", "OccupancyFit", "OverlapResult",
    "active_intervals", "boot_ci", "camera_operation", "check_within_deployments", "count_events", "daily_effort",
    "detection_history", "fit_activity", "fit_occupancy", "history_to_occupancy", "independent_detections",
    "long_to_occupancy", "overlap", "overlap_estimates", "record_times", "relative_abundance",
    "spatial_detection_history", "sun_times", "to_solar", "trap_nights",
]


lazy_exports(__name__, _WHERE)
