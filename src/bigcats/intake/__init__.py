"""Partner intake: read image folders, camtrapR, Wildlife Insights, MegaDetector, SpeciesNet, Camtrap DP, tables.

Names are imported on first use (PEP 562), so that importing one light submodule (errors, a constant) does
not load pandas, SciPy or GeoPandas for every command of the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bigcats._lazy import lazy_exports

_WHERE = {
    "FORMATS": "bigcats.intake.detect",
    "detect_format": "bigcats.intake.detect",
    "SurveyFrames": "bigcats.intake.frames",
    "ingest": "bigcats.intake.ingest",
    "IntakeError": "bigcats.intake.report",
    "IntakeReport": "bigcats.intake.report",
}

if TYPE_CHECKING:
    from bigcats.intake.detect import FORMATS, detect_format
    from bigcats.intake.frames import SurveyFrames
    from bigcats.intake.ingest import ingest
    from bigcats.intake.report import IntakeError, IntakeReport

__all__ = [
    "FORMATS", "IntakeError", "IntakeReport", "SurveyFrames", "detect_format", "ingest",
]


lazy_exports(__name__, _WHERE)
