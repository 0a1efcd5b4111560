"""The library API under every face: one function per question a user asks of the surveys.

The CLI, the web application, the reports and the demo all call these verbs, so the same selection gives the same
numbers wherever it is asked: `load` (survey frames of a selection from the store), `effort_by_side`,
`events`, `abundance_by_side`, `estimate_density`, `resident_home_ranges`. Each takes survey frames (or the store
for `load`) and returns plain tables and dictionaries; none prints, none knows about HTTP.
"""

from bigcats.survey.abundance import abundance_by_side
from bigcats.survey.density import DensityEstimate, estimate_density
from bigcats.survey.effort import EFFORT_TERM, effort_by_side, effort_per_station
from bigcats.survey.events import events
from bigcats.survey.selection import Selection, load

__all__ = ["EFFORT_TERM", "DensityEstimate", "Selection", "abundance_by_side", "effort_by_side",
           "effort_per_station", "estimate_density", "events", "load"]
