"""Simulated transboundary camera-trap surveys with known truth: stations, cats, prey, photos, partner codes."""

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
