"""The one exception of bigcats.report: a report that cannot be made, and why."""

from __future__ import annotations

from bigcats.errors import BigcatsError


class ReportError(BigcatsError):
    """A report request or its inputs are wrong (species, area, period, language, missing font...)."""
