"""The one exception of the population package."""

from __future__ import annotations

from bigcats.errors import BigcatsError


class PopulationError(BigcatsError):
    """Bad input to, or a failed fit of, a population analysis: the message says what is wrong and where."""


def listed(items: list, limit: int = 8) -> str:
    """A short, readable list of offending items for an error message."""
    items = [str(i) for i in items]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more
