"""Partner intake: read image folders, camtrapR, Wildlife Insights, MegaDetector, SpeciesNet, Camtrap DP, tables."""

from bigcats.intake.detect import FORMATS, detect_format
from bigcats.intake.frames import SurveyFrames
from bigcats.intake.ingest import ingest
from bigcats.intake.report import IntakeError, IntakeReport

__all__ = ["FORMATS", "IntakeError", "IntakeReport", "SurveyFrames", "detect_format", "ingest"]
