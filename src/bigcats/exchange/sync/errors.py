"""The one exception of the exchange between nodes."""

from __future__ import annotations


class SyncError(ValueError):
    """An exchange refused or failed: says what was wrong (signer, file, sequence range, peer) and what to do."""
