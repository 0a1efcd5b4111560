"""bigcats.population: spatial capture-recapture density, transboundary movement and home ranges."""

from bigcats.population.capthist import CaptureHistory, make_capthist
from bigcats.population.errors import PopulationError
from bigcats.population.homerange import country_share, href, kernel_home_range, lscv_bandwidth, mcp
from bigcats.population.mask import Mask, check_mask, make_mask, points_in
from bigcats.population.movement import (
    expected_use_share, individual_movement, joint_vs_separate, project_lonlat, seen_in_both, side_of,
    species_year_summary,
)
from bigcats.population.scr import SCRFit, fit_scr, fit_sessions, region_n
from bigcats.population.secr_io import read_capthist, read_captures, read_traps, write_capthist, write_traps
from bigcats.population.simulate import grid_traps, simulate_capthist

__all__ = [
    "CaptureHistory", "Mask", "PopulationError", "SCRFit", "check_mask", "country_share", "expected_use_share",
    "fit_scr", "fit_sessions", "grid_traps", "href", "individual_movement", "joint_vs_separate", "kernel_home_range",
    "lscv_bandwidth", "make_capthist", "make_mask", "mcp", "points_in", "project_lonlat", "read_capthist",
    "read_captures", "read_traps", "region_n", "seen_in_both", "side_of", "simulate_capthist", "species_year_summary",
    "write_capthist", "write_traps",
]
