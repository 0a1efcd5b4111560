"""The one exception the analysis package raises for input it cannot use."""

from __future__ import annotations

from bigcats.errors import BigcatsError


class AnalysisError(BigcatsError):
    """Input an analysis cannot use; the message names what is wrong and where (station, species, row...)."""


def listed(values: object, limit: int = 5) -> str:
    """A short, readable list of offending values for an error message."""
    items = [str(v) for v in list(values)[:limit]]  # type: ignore[call-overload]
    total = len(values)  # type: ignore[arg-type]
    more = f" and {total - limit} more" if total > limit else ""
    return ", ".join(items) + more
