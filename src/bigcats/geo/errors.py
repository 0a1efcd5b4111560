"""The one exception of bigcats.geo: geographic input refused, with the file, feature and field named."""

from __future__ import annotations

from bigcats.errors import BigcatsError


class GeoError(BigcatsError):
    """Geographic input refused (missing CRS, invalid geometry, unknown class...); nothing was written."""
