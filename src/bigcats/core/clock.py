"""'Now' in the store's convention: naive UTC (SQLite and PostgreSQL then hold identical values), to the second."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """The current time as naive UTC, as every timestamp column of the store holds it."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def utcnow_iso() -> str:
    """The current UTC time as ISO 8601 text with an explicit offset, to the second (reports, manifests)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def utcnow_z() -> str:
    """The current UTC time as `YYYY-MM-DDTHH:MM:SSZ` (Camtrap DP's `created`, exchange manifests)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
