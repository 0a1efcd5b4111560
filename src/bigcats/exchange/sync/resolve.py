"""Settling a listed conflict: keep this node's row or take the owner's, recorded with who and why.

Taking the owner's values rewrites the local row through the same path as an owner's update (the row is set
aside, the owner's version imported, references re-pointed), inside one transaction with the record of the
decision, and the row's new hash becomes its base, so the next update from the owner applies cleanly.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import Engine, select, update

from bigcats.core.clock import utcnow
from bigcats.exchange.camtrapdp.exporter import export_package
from bigcats.exchange.camtrapdp.importer import import_package
from bigcats.exchange.sync import base
from bigcats.exchange.sync.changes import read_table
from bigcats.exchange.sync.errors import SyncError
from bigcats.exchange.sync.receive import UPDATABLE, _replace, _supersede
from bigcats.store.models_sync import SyncConflict
from bigcats.store.tx import one_transaction

CHOICES = ("keep-local", "take-incoming")


def resolve(engine: Engine, conflict_id: int, choice: str, who: str, why: str) -> dict:
    """Settle one open conflict (`keep-local` or `take-incoming`); returns the conflict as now recorded."""
    if choice not in CHOICES:
        raise SyncError(f"resolution {choice!r}: choose one of {', '.join(CHOICES)}")
    if not who or not who.strip() or not why or not why.strip():
        raise SyncError("a resolution needs who settles it and why (--who, --why)")
    with one_transaction(engine) as tx, tx.connect() as conn:
        row = conn.execute(select(SyncConflict).where(SyncConflict.id == int(conflict_id))).mappings().first()
        if row is None:
            raise SyncError(f"conflict {conflict_id}: no such conflict (see `bigcats exchange conflicts`)")
        if row["status"] != "open":
            raise SyncError(f"conflict {conflict_id} was settled already ({row['resolution']} by "
                            f"{row['resolved_by']})")
        if choice == "take-incoming":
            _take_incoming(tx, dict(row))
        conn.execute(update(SyncConflict).where(SyncConflict.id == row["id"]).values(
            status="resolved", resolution=choice, resolved_by=who.strip()[:128],
            resolved_at=utcnow(), resolution_note=why.strip()))
    return {**{k: v for k, v in row.items() if k not in ("fields", "local", "incoming")},
            "status": "resolved", "resolution": choice, "resolved_by": who.strip(), "resolution_note": why.strip()}


def _take_incoming(tx, row: dict) -> None:
    resource, key, partner, project = row["resource"], row["row_key"], row["partner"], row["project"]
    if resource not in UPDATABLE:
        raise SyncError(f"conflict {row['id']}: the owner's {resource} row cannot be taken over here yet; keep "
                        "this node's row (keep-local) and ask the owner to settle it on their side")
    incoming = json.loads(row["incoming"])
    work = Path(tempfile.mkdtemp(prefix="bigcats-resolve-"))
    try:
        only = {"media": [], "observations": []}
        only[resource] = [key]
        export_package(tx, work / "here", partner=partner, project=project, only=only)
        table = read_table(work / "here", resource)
        if table.empty:
            raise SyncError(f"conflict {row['id']}: {resource} row {key!r} is no longer here")
        if resource == "observations" and table["mediaID"].iloc[0]:
            only["media"] = [table["mediaID"].iloc[0]]
            shutil.rmtree(work / "here")
            export_package(tx, work / "here", partner=partner, project=project, only=only)
            table = read_table(work / "here", resource)
        for field, value in incoming.items():
            if field in table.columns:
                table.loc[:, field] = value
        table.to_csv(work / "here" / f"{resource}.csv", index=False)
        old = _supersede(tx, partner, project, {resource: [key]})
        import_package(tx, work / "here", partner, profile=False, fmt="bigcats-resolve",
                       source=f"conflict {row['id']} settled: the owner's {resource} row {key}")
        _replace(tx, partner, project, old)
        export_package(tx, work / "after", partner=partner, project=project, only=only)
        now = base.local_hashes(work / "after")
        base.remember(tx, partner, project, now[(now["resource"] == resource) & (now["row_key"] == key)])
    finally:
        shutil.rmtree(work, ignore_errors=True)
