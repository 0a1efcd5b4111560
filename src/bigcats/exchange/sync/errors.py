"""The one exception of the exchange between nodes."""

from __future__ import annotations

from bigcats.errors import BigcatsError


class SyncError(BigcatsError):
    """An exchange refused or failed: says what was wrong (signer, file, sequence range, peer) and what to do."""
