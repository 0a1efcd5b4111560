"""Receive a peer's package: verify it, apply it in order and idempotently, list conflicts instead of overwriting."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from bigcats.exchange.camtrapdp.exporter import export_package
from bigcats.exchange.camtrapdp.importer import import_package
from bigcats.exchange.sync import state
from bigcats.exchange.sync.bundle import unpack, verify_bundle
from bigcats.exchange.sync.changes import KEYS, read_table
from bigcats.exchange.sync.conflicts import compare
from bigcats.exchange.sync.errors import SyncError
from bigcats.problems import DataError
from bigcats.store import load
from bigcats.store.models import Partner, Project
from bigcats.store.models_sync import SyncConflict


def _local_projects(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        return {(a, b) for a, b in conn.execute(select(Partner.code, Project.code).join(Partner)).all()}


def find_conflicts(engine: Engine, incoming: Path, partner: str, project: str, work: Path) -> pd.DataFrame:
    """Compare an incoming project package with this node's copy of the same project."""
    export_package(engine, work, partner=partner, project=project)
    found = [compare(r, read_table(incoming, r), read_table(work, r)) for r in KEYS]
    return pd.concat([f for f in found if not f.empty], ignore_index=True) if any(
        not f.empty for f in found) else pd.DataFrame()


def _store_conflicts(engine: Engine, found: pd.DataFrame, peer: str, partner: str, project: str,
                     digest: str) -> int:
    if found.empty:
        return 0
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    n = len(found)
    data = {"peer": [peer] * n, "partner": [partner] * n, "project": [project] * n,
            "resource": found["resource"].tolist(), "row_key": found["row_key"].tolist(),
            "kind": found["kind"].tolist(),
            "fields": [json.dumps(v, ensure_ascii=False) for v in found["fields"]],
            "local": [json.dumps(v, ensure_ascii=False) for v in found["local"]],
            "incoming": [json.dumps(v, ensure_ascii=False) for v in found["incoming"]],
            "incoming_sha256": found["incoming_sha256"].tolist(), "package_sha256": [digest] * n,
            "detected_at": [now] * n, "status": ["open"] * n}
    with engine.begin() as conn:
        load.insert_ignore(conn, SyncConflict.__tablename__, list(data), data)
    return n


def receive(engine: Engine, package: str | Path, peer: str | None = None, node: str | None = None) -> dict:
    """Verify and apply a peer's signed package (folder or .zip); the same package twice adds nothing.

    Refuses unknown signers, altered files, packages meant for another node and packages whose range skips
    changes not yet received. Rows that exist here with other values are listed as conflicts and kept as they
    are here. Each project is imported all-or-nothing; the exchange counts as applied only when all are in, so
    an interrupted receive is simply received again.
    """
    package = Path(package)
    tmp = Path(tempfile.mkdtemp(prefix="bigcats-receive-"))
    try:
        folder = package
        if package.is_file() and zipfile.is_zipfile(package):
            folder = unpack(package.read_bytes(), tmp / "package")
        elif not package.is_dir():
            raise SyncError(f"{package} is neither an exchange package folder nor a .zip of one")
        manifest, digest = verify_bundle(engine, folder, sender=peer)
        peer = manifest["sender"]
        if node is not None and manifest.get("receiver") != node:
            raise SyncError(f"package from '{peer}' is meant for '{manifest.get('receiver')}', not this node "
                            f"('{node}')")
        from_seq, to_seq = int(manifest["from_seq"]), int(manifest["to_seq"])
        result = {"peer": peer, "from_seq": from_seq, "to_seq": to_seq, "package": digest, "added": {},
                  "conflicts": 0, "status": "applied"}
        if state.was_applied(engine, peer, digest):
            result["status"] = "already-applied"
            return result
        last = state.applied(engine, peer)
        if from_seq > last:
            raise SyncError(f"package from '{peer}' holds changes {from_seq + 1}..{to_seq}, but changes "
                            f"{last + 1}..{from_seq} from '{peer}' have not been applied here: receive those first "
                            f"(pull since {last})")
        local = _local_projects(engine)
        for i, p in enumerate(manifest["projects"]):  # a few projects per package
            sub = folder / p["path"]
            if (p["partner"], p["project"]) in local:
                found = find_conflicts(engine, sub, p["partner"], p["project"], tmp / f"local{i}")
                result["conflicts"] += _store_conflicts(engine, found, peer, p["partner"], p["project"], digest)
            try:
                imported = import_package(engine, sub, p["partner"], profile=False, fmt="bigcats-sync",
                                          source=f"sync from {peer}, package {digest[:16]}, {p['path']}")
            except DataError as exc:
                raise SyncError(f"package from '{peer}', project {p['partner']}/{p['project']}: {exc}") from exc
            for k, v in imported.added.items():
                result["added"][k] = result["added"].get(k, 0) + v
        state.record(engine, peer, "in", from_seq, to_seq, digest, "applied",
                     counts={"added": result["added"], "conflicts": result["conflicts"]})
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
