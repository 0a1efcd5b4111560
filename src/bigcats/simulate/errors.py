"""The one exception class of the simulation package."""

from __future__ import annotations

from bigcats.errors import BigcatsError


class SimulationError(BigcatsError):
    """A survey configuration that cannot be simulated: names the setting, species or partner at fault."""
