"""Simulated transboundary camera-trap surveys with known truth: stations, cats, prey, photos, partner codes.

Names are imported on first use (PEP 562), so that importing one light submodule (errors, a constant) does
not load pandas, SciPy or GeoPandas for every command of the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bigcats._lazy import lazy_exports

_WHERE = {
    "CatTruth": "bigcats.simulate.cats",
    "CatSpecies": "bigcats.simulate.config",
    "OtherSpecies": "bigcats.simulate.config",
    "Partner": "bigcats.simulate.config",
    "SurveyConfig": "bigcats.simulate.config",
    "SimulationError": "bigcats.simulate.errors",
    "default_countries_path": "bigcats.simulate.geography",
    "load_countries": "bigcats.simulate.geography",
    "Rhythm": "bigcats.simulate.rhythm",
    "detections_by_side": "bigcats.simulate.summary",
    "summarise": "bigcats.simulate.summary",
    "PartnerShare": "bigcats.simulate.survey",
    "SimulatedSurvey": "bigcats.simulate.survey",
    "Truth": "bigcats.simulate.survey",
    "simulate_survey": "bigcats.simulate.survey",
    "save_truth": "bigcats.simulate.truthfiles",
    "truth_dict": "bigcats.simulate.truthfiles",
}

if TYPE_CHECKING:
    from bigcats.simulate.cats import CatTruth
    from bigcats.simulate.config import CatSpecies, OtherSpecies, Partner, SurveyConfig
    from bigcats.simulate.errors import SimulationError
    from bigcats.simulate.geography import default_countries_path, load_countries
    from bigcats.simulate.rhythm import Rhythm
    from bigcats.simulate.summary import detections_by_side, summarise
    from bigcats.simulate.survey import PartnerShare, SimulatedSurvey, Truth, simulate_survey
    from bigcats.simulate.truthfiles import save_truth, truth_dict

__all__ = [
    "CatSpecies", "CatTruth", "OtherSpecies", "Partner", "PartnerShare", "Rhythm", "SimulatedSurvey",
    "SimulationError", "SurveyConfig", "Truth", "default_countries_path", "detections_by_side", "load_countries",
    "save_truth", "simulate_survey", "summarise", "truth_dict",
]


lazy_exports(__name__, _WHERE)
