"""Receive a peer's package: verify it, apply it in order and idempotently, list conflicts instead of overwriting."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, bindparam, delete, select, update

from bigcats.core.clock import utcnow
from bigcats.exchange.camtrapdp.exporter import export_package
from bigcats.exchange.camtrapdp.importer import _Checker, import_package
from bigcats.exchange.camtrapdp.package import contained, open_package
from bigcats.exchange.sync import base, decisions, state
from bigcats.exchange.sync.bundle import unpack, verify_bundle
from bigcats.exchange.sync.changes import KEYS, MARKED, MAX_LISTED, read_table
from bigcats.exchange.sync.conflicts import compare
from bigcats.exchange.sync.errors import SyncError
from bigcats.problems import DataError
from bigcats.store import load
from bigcats.store.models import Deployment, Individual, IndividualAlias, Media, Observation, Partner, Project
from bigcats.store.models_identify import IdentificationProposal, IndividualImage
from bigcats.store.models_sync import SyncConflict, SyncPeer
from bigcats.store.tx import one_transaction


def _local_projects(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        return {(a, b) for a, b in conn.execute(select(Partner.code, Project.code).join(Partner)).all()}


# Resources whose owner's updates are applied over an unchanged local copy (the others are listed as conflicts):
# the table and the columns elsewhere that refer to its rows, re-pointed at the owner's version.
UPDATABLE = {
    "observations": (Observation, [IdentificationProposal.observation_id]),
    "media": (Media, [Observation.media_id, IdentificationProposal.media_id, IndividualImage.media_id]),
}
# Resources whose owner's updates are written over the local row in place (small tables, rows others refer to).
IN_PLACE = ("deployments", "individuals")
SUPERSEDED = "\x1fsuperseded"  # suffix of a local row's key while its owner's update is imported


def incoming_keys(incoming: Path) -> dict[str, list[str]] | None:
    """The media and observation keys of an incoming project package (None: too many to list)."""
    out = {}
    for resource in MARKED:
        table = read_table(incoming, resource)
        out[resource] = table[KEYS[resource]].tolist() if not table.empty else []
    return None if sum(map(len, out.values())) > MAX_LISTED else out


def find_conflicts(engine: Engine, incoming: Path, partner: str, project: str, work: Path) -> pd.DataFrame:
    """Compare an incoming project package with this node's copy of the same project (all differing rows)."""
    export_package(engine, work, partner=partner, project=project, only=incoming_keys(incoming))
    found = [compare(r, read_table(incoming, r), read_table(work, r)) for r in KEYS]
    found.append(decisions.decision_conflicts(decisions.read_decisions(incoming),
                                              decisions.local_decisions(engine, partner, project)))
    return pd.concat([f for f in found if not f.empty], ignore_index=True) if any(
        not f.empty for f in found) else pd.DataFrame()


def split_updates(engine: Engine, found: pd.DataFrame, partner: str, project: str,
                  work: Path) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Differing rows split into conflicts (changed here too) and the owner's updates to apply, per resource."""
    if found.empty:
        return found, {}
    unchanged = base.unchanged_here(found, base.local_hashes(work),
                                    base.base_hashes(engine, partner, project, found[["resource", "row_key"]]))
    # A photo decided one way here and the other way by the owner keeps this node's identification.
    disputed = set(found.loc[found["resource"] == decisions.RESOURCE, "row_key"])
    apply = unchanged & found["resource"].isin([*UPDATABLE, *IN_PLACE]) & ~found["row_key"].isin(disputed)
    updates = {r: g["row_key"].tolist() for r, g in found[apply].groupby("resource")}
    return found[~apply].reset_index(drop=True), updates


def _project_rows(model, partner: str, project: str, keys: list[str]):
    return (select(model.id, model.deployment_id, model.source_id)
            .join(Deployment, Deployment.id == model.deployment_id)
            .join(Project, Project.id == Deployment.project_id).join(Partner, Partner.id == Project.partner_id)
            .where(Partner.code == partner, Project.code == project, model.source_id.in_(keys)))


def _rename(conn, model, old: pd.DataFrame, suffix: str) -> None:
    conn.execute(update(model).where(model.id == bindparam("oid")).values(source_id=bindparam("sid")),
                 [{"oid": int(i), "sid": k + suffix} for i, k in zip(old["id"], old["source_id"], strict=True)])


def _supersede(engine: Engine, partner: str, project: str, updates: dict[str, list[str]]) -> dict[str, pd.DataFrame]:
    """Set aside the local copies of updated rows so that the import writes the owner's version."""
    old = {}
    with engine.begin() as conn:
        for resource, keys in updates.items():
            model = UPDATABLE[resource][0]
            old[resource] = pd.DataFrame(conn.execute(_project_rows(model, partner, project, keys)).all(),
                                         columns=["id", "deployment_id", "source_id"])
            if not old[resource].empty:
                _rename(conn, model, old[resource], SUPERSEDED)
    return old


def _replace(engine: Engine, partner: str, project: str, old: dict[str, pd.DataFrame]) -> int:
    """Point what referred to the set-aside rows at the imported ones, drop the old copies; returns how many."""
    n = 0
    with engine.begin() as conn:
        for resource in ("media", "observations"):  # photos first: their observations are re-pointed, not lost
            rows = old.get(resource)
            if rows is None or rows.empty:
                continue
            model, refs = UPDATABLE[resource]
            new = pd.DataFrame(conn.execute(_project_rows(model, partner, project, rows["source_id"].tolist())).all(),
                               columns=["new", "deployment_id", "source_id"])
            pairs = rows.merge(new, on=["deployment_id", "source_id"])
            if not pairs.empty:
                moves = [{"oid": int(o), "nid": int(m)} for o, m in zip(pairs["id"], pairs["new"], strict=True)]
                for ref in refs:
                    conn.execute(update(ref.class_).where(ref == bindparam("oid")).values(
                        {ref.key: bindparam("nid")}), moves)
            conn.execute(delete(model).where(model.id.in_(rows["id"].astype(int).tolist())))
            n += len(rows)
    return n


def update_in_place(engine: Engine, incoming: Path, partner: str, project: str,
                    updates: dict[str, list[str]]) -> int:
    """Write the owner's updated deployments (with their stations) and individuals over the local rows."""
    n = 0
    with engine.begin() as conn:
        pid = conn.execute(select(Partner.id).where(Partner.code == partner)).scalar_one()
        if updates.get("deployments"):
            prj = conn.execute(select(Project.id).where(Project.partner_id == pid, Project.code == project)
                               ).scalar_one()
            package = open_package(incoming)
            try:
                checker = _Checker(package, 100_000, lambda stage, k: None, profile=False)
                typed = checker.deployments()
                if checker.problems:
                    raise DataError(checker.problems, f"package {incoming}")
            finally:
                package.close()
            rows = typed[typed["deploymentID"].isin(updates["deployments"])]
            n += load.update_deployments(conn, pid, prj, rows)
        if updates.get("individuals"):
            inds = read_table(incoming, "individuals")
            inds = inds[inds["individualID"].isin(updates["individuals"])]
            for code, name, sex in inds[["individualID", "individualName", "sex"]].itertuples(index=False):
                ind = conn.execute(select(IndividualAlias.individual_id).where(
                    IndividualAlias.partner_id == pid, IndividualAlias.code == code)).scalar_one_or_none()
                if ind is not None:
                    conn.execute(update(Individual).where(Individual.id == ind).values(
                        name=name or None, sex=sex or None))
                    n += 1
    return n


def _store_conflicts(engine: Engine, found: pd.DataFrame, peer: str, partner: str, project: str,
                     digest: str) -> int:
    if found.empty:
        return 0
    now = utcnow()
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


def _remember(engine: Engine, incoming: Path, conflicts: pd.DataFrame, partner: str, project: str,
              work: Path) -> None:
    """Store the local hashes of the rows just received (not those left in conflict) as their new base."""
    export_package(engine, work, partner=partner, project=project, only=incoming_keys(incoming))
    arrived = base.local_hashes(incoming)[["resource", "row_key"]]
    held = arrived.merge(base.local_hashes(work), on=["resource", "row_key"])
    if not conflicts.empty:
        held = held.merge(conflicts[["resource", "row_key"]].drop_duplicates(), how="left", indicator=True)
        held = held[held["_merge"] == "left_only"].drop(columns="_merge")
    base.remember(engine, partner, project, held)


def _trusted_partner(engine: Engine, peer: str) -> str:
    with engine.connect() as conn:
        partner = conn.execute(select(SyncPeer.partner).where(SyncPeer.node == peer)).scalar_one_or_none()
    if partner is None:  # verify_bundle has already refused unknown signers; kept for direct callers
        raise SyncError(f"unknown peer '{peer}'")
    return partner


def check_projects(manifest: dict, peer: str, partner: str) -> list[dict]:
    """The manifest's projects, refused unless each is the trusted partner's own and its folder stays inside.

    A peer is trusted for one partner: it may write that partner's data only, never another partner's (nor
    this node's own), whatever its signed manifest names.
    """
    projects = manifest.get("projects")
    if not isinstance(projects, list):
        raise SyncError(f"package from '{peer}': the manifest lists no projects")
    for p in projects:
        if not isinstance(p, dict) or not {"partner", "project", "path"} <= p.keys():
            raise SyncError(f"package from '{peer}': a project entry of the manifest lacks partner, project or path")
        if p["partner"] != partner:
            raise SyncError(f"package from '{peer}' holds data of partner '{p['partner']}', but '{peer}' is trusted "
                            f"for partner '{partner}' only: a peer may write its own partner's data, nothing else; "
                            "nothing was written")
        try:
            contained(str(p["path"]))
        except DataError as exc:
            raise SyncError(f"package from '{peer}': project folder {str(p['path'])[:200]!r} is not inside the "
                            "package") from exc
    return projects


def receive(engine: Engine, package: str | Path, peer: str | None = None, node: str | None = None) -> dict:
    """Verify and apply a peer's signed package (folder or .zip); the same package twice adds nothing.

    Refuses unknown signers, altered files, packages meant for another node, data of any partner but the one
    the peer is trusted for, and packages whose range skips changes not yet received. Rows that exist here with
    other values are listed as conflicts and kept as they are here. Everything the receive writes (rows,
    conflicts, catalogue decisions, bases, the exchange record) is one transaction: a failure at any point
    leaves this node exactly as before, and the same package received again later resumes.
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
        projects = check_projects(manifest, peer, _trusted_partner(engine, peer))
        from_seq, to_seq = int(manifest["from_seq"]), int(manifest["to_seq"])
        with one_transaction(engine) as tx:
            return _apply(tx, folder, tmp, manifest, projects, peer, digest, from_seq, to_seq)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _apply(engine, folder: Path, tmp: Path, manifest: dict, projects: list[dict], peer: str, digest: str,
           from_seq: int, to_seq: int) -> dict:
    """Apply a verified package inside the receive's one transaction (`engine` is its shared connection)."""
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
    result["updated"], result["decisions"] = 0, 0
    for i, p in enumerate(projects):  # a few projects per package
        sub = folder / p["path"]
        found, updates = pd.DataFrame(columns=["resource", "row_key"]), {}
        if (p["partner"], p["project"]) in local:
            found = find_conflicts(engine, sub, p["partner"], p["project"], tmp / f"local{i}")
            found, updates = split_updates(engine, found, p["partner"], p["project"], tmp / f"local{i}")
            result["conflicts"] += _store_conflicts(engine, found, peer, p["partner"], p["project"], digest)
        old = _supersede(engine, p["partner"], p["project"], {k: v for k, v in updates.items() if k in UPDATABLE})
        try:
            imported = import_package(engine, sub, p["partner"], profile=False, fmt="bigcats-sync",
                                      source=f"sync from {peer}, package {digest[:16]}, {p['path']}")
        except DataError as exc:
            raise SyncError(f"package from '{peer}', project {p['partner']}/{p['project']}: {exc}; nothing was "
                            "written") from exc
        result["updated"] += _replace(engine, p["partner"], p["project"], old)
        result["updated"] += update_in_place(engine, sub, p["partner"], p["project"], updates)
        for k, v in imported.added.items():
            result["added"][k] = result["added"].get(k, 0) + v
        result["decisions"] += decisions.record_decisions(engine, decisions.read_decisions(sub), peer,
                                                          p["partner"], p["project"])
        _remember(engine, sub, found, p["partner"], p["project"], tmp / f"after{i}")
    state.record(engine, peer, "in", from_seq, to_seq, digest, "applied",
                 counts={"added": result["added"], "conflicts": result["conflicts"],
                         "updated": result["updated"], "decisions": result["decisions"]})
    return result
