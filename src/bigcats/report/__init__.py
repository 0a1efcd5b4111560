"""bigcats.report: status reports and public brochures of a species, area and period, in en, ru, zh and mn.

Names are imported on first use (PEP 562), so that importing one light submodule (errors, a constant) does
not load pandas, SciPy or GeoPandas for every command of the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bigcats._lazy import lazy_exports

_WHERE = {
    "StatusReport": "bigcats.report.builder",
    "build_status": "bigcats.report.builder",
    "census_tables": "bigcats.report.builder",
    "movement_summary": "bigcats.report.builder",
    "population_table": "bigcats.report.builder",
    "public_cells": "bigcats.report.builder",
    "resolve_species": "bigcats.report.builder",
    "ReportError": "bigcats.report.errors",
    "ReportInputs": "bigcats.report.inputs",
    "load_inputs": "bigcats.report.inputs",
    "species_names": "bigcats.report.inputs",
    "Rendered": "bigcats.report.render",
    "render": "bigcats.report.render",
    "Area": "bigcats.report.selection",
    "Period": "bigcats.report.selection",
    "parse_period": "bigcats.report.selection",
    "resolve_area": "bigcats.report.selection",
    "Words": "bigcats.report.words",
}

if TYPE_CHECKING:
    from bigcats.report.builder import (
        StatusReport, build_status, census_tables, movement_summary, population_table, public_cells,
        resolve_species,
    )
    from bigcats.report.errors import ReportError
    from bigcats.report.inputs import ReportInputs, load_inputs, species_names
    from bigcats.report.render import Rendered, render
    from bigcats.report.selection import Area, Period, parse_period, resolve_area
    from bigcats.report.words import Words

__all__ = [
    "Area", "Period", "Rendered", "ReportError", "ReportInputs", "StatusReport", "Words", "build_status",
    "census_tables", "load_inputs", "movement_summary", "parse_period", "population_table", "public_cells",
    "render", "resolve_area", "resolve_species", "species_names",
]


lazy_exports(__name__, _WHERE)
