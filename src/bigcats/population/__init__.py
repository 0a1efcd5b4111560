"""bigcats.population: spatial capture-recapture density, transboundary movement and home ranges.

Names are imported on first use (PEP 562), so that importing one light submodule (errors, a constant) does
not load pandas, SciPy or GeoPandas for every command of the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bigcats._lazy import lazy_exports

_WHERE = {
    "CaptureHistory": "bigcats.population.capthist",
    "make_capthist": "bigcats.population.capthist",
    "PopulationError": "bigcats.population.errors",
    "country_share": "bigcats.population.homerange",
    "href": "bigcats.population.homerange",
    "kernel_home_range": "bigcats.population.homerange",
    "lscv_bandwidth": "bigcats.population.homerange",
    "mcp": "bigcats.population.homerange",
    "Mask": "bigcats.population.mask",
    "check_mask": "bigcats.population.mask",
    "make_mask": "bigcats.population.mask",
    "points_in": "bigcats.population.mask",
    "expected_use_share": "bigcats.population.movement",
    "individual_movement": "bigcats.population.movement",
    "joint_vs_separate": "bigcats.population.movement",
    "project_lonlat": "bigcats.population.movement",
    "seen_in_both": "bigcats.population.movement",
    "side_of": "bigcats.population.movement",
    "species_year_summary": "bigcats.population.movement",
    "make_polygon_capthist": "bigcats.population.polygon",
    "make_polygon_mask": "bigcats.population.polygon",
    "read_polygon_capthist": "bigcats.population.polygon",
    "simulate_polygon_capthist": "bigcats.population.polygon",
    "SCRFit": "bigcats.population.scr",
    "fit_scr": "bigcats.population.scr",
    "fit_sessions": "bigcats.population.scr",
    "region_n": "bigcats.population.scr",
    "read_capthist": "bigcats.population.secr_io",
    "read_captures": "bigcats.population.secr_io",
    "read_traps": "bigcats.population.secr_io",
    "write_capthist": "bigcats.population.secr_io",
    "write_traps": "bigcats.population.secr_io",
    "grid_traps": "bigcats.population.simulate",
    "simulate_capthist": "bigcats.population.simulate",
}

if TYPE_CHECKING:
    from bigcats.population.capthist import CaptureHistory, make_capthist
    from bigcats.population.errors import PopulationError
    from bigcats.population.homerange import country_share, href, kernel_home_range, lscv_bandwidth, mcp
    from bigcats.population.mask import Mask, check_mask, make_mask, points_in
    from bigcats.population.movement import (
        expected_use_share, individual_movement, joint_vs_separate, project_lonlat, seen_in_both, side_of,
        species_year_summary,
    )
    from bigcats.population.polygon import (
        make_polygon_capthist, make_polygon_mask, read_polygon_capthist, simulate_polygon_capthist,
    )
    from bigcats.population.scr import SCRFit, fit_scr, fit_sessions, region_n
    from bigcats.population.secr_io import read_capthist, read_captures, read_traps, write_capthist, write_traps
    from bigcats.population.simulate import grid_traps, simulate_capthist

__all__ = [
    "CaptureHistory", "Mask", "PopulationError", "SCRFit", "check_mask", "country_share", "expected_use_share",
    "fit_scr", "fit_sessions", "grid_traps", "href", "individual_movement", "joint_vs_separate",
    "kernel_home_range", "lscv_bandwidth", "make_capthist", "make_mask", "make_polygon_capthist",
    "make_polygon_mask", "mcp", "points_in", "project_lonlat",
    "read_capthist", "read_captures", "read_polygon_capthist", "read_traps", "region_n", "seen_in_both", "side_of",
    "simulate_capthist", "simulate_polygon_capthist",
    "species_year_summary", "write_capthist", "write_traps",
]


lazy_exports(__name__, _WHERE)
