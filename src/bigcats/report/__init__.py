"""bigcats.report: status reports and public brochures of a species, area and period, in en, ru, zh and mn."""

from bigcats.report.builder import (
    StatusReport, build_status, census_tables, movement_summary, population_table, public_cells, resolve_species,
)
from bigcats.report.errors import ReportError
from bigcats.report.inputs import ReportInputs, load_inputs, species_names
from bigcats.report.render import Rendered, render
from bigcats.report.selection import Area, Period, parse_period, resolve_area
from bigcats.report.words import Words

__all__ = [
    "Area", "Period", "Rendered", "ReportError", "ReportInputs", "StatusReport", "Words", "build_status",
    "census_tables", "load_inputs", "movement_summary", "parse_period", "population_table", "public_cells", "render",
    "resolve_area", "resolve_species", "species_names",
]
