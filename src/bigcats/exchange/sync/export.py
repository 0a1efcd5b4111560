"""Export what changed since the last exchange with a peer, filtered by the sharing agreement, signed."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from bigcats.exchange.sync import decisions, state
from bigcats.exchange.sync.agreement import Grant, grants_for
from bigcats.exchange.sync.bundle import sign_bundle
from bigcats.exchange.camtrapdp.exporter import export_package
from bigcats.exchange.sync.changes import MAX_LISTED, changed_keys, read_table, snapshot
from bigcats.exchange.sync.errors import SyncError
from bigcats.exchange.sync.keys import NodeIdentity, default_key_dir, load_identity
from bigcats.store.models import Deployment, Media, Observation, Partner, Project
from bigcats.store.models_sync import SyncPeer
from bigcats.web.visibility import sanitise_package

OUTAGES_FILE = "deployment-outages.csv"


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)


def filter_project(src: Path, dst: Path, changed: pd.DataFrame, grant: Grant) -> dict[str, int] | None:
    """Write the changed, permitted rows of one exported project as a package; None when nothing is left."""
    keys = {r: set(changed.loc[changed["resource"] == r, "row_key"]) for r in
            ("deployments", "media", "observations", "individuals")}
    obs = read_table(src, "observations")
    media = read_table(src, "media")
    deps = read_table(src, "deployments")
    inds = read_table(src, "individuals")
    # The species granted, and under an embargo only what was recorded before it (as the web shows).
    allowed = grant.visible(obs["scientificName"], obs["eventStart"])
    obs_keep = obs[obs["observationID"].isin(keys["observations"]) & allowed]
    # A photo of a species the peer may not see, or taken in an embargo, stays home unless a permitted
    # observation needs it.
    hidden_media = set(obs.loc[~allowed, "mediaID"])
    media_time_ok = grant.visible(pd.Series("", index=media.index), media["timestamp"])
    media_keep = media[media["mediaID"].isin(set(obs_keep["mediaID"]))
                       | (media["mediaID"].isin(keys["media"]) & ~media["mediaID"].isin(hidden_media)
                          & media_time_ok)]
    # Individuals of species the peer may see (decisions on them may travel).
    seen_inds = set(inds.loc[inds["scientificName"].isin(grant.species), "individualID"]) if (
        not inds.empty and grant.species is not None) else (set(inds["individualID"]) if not inds.empty else set())
    if not inds.empty:
        ind_ok = inds["scientificName"].isin(grant.species) if grant.species is not None else True
        inds = inds[(inds["individualID"].isin(keys["individuals"])
                     | inds["individualID"].isin(set(obs_keep["individualID"]) - {""})) & ind_ok]
    # Decisions go only with observations the peer may see (all of them travel when those do).
    decided = decisions.read_decisions(src)
    decided = decided.reindex(columns=decisions.COLUMNS, fill_value="")
    on_photo = decided["observationID"].isin(set(obs.loc[allowed, "observationID"]))
    on_cats = (decided["action"].isin(decisions.CATALOGUE_ACTIONS)
               & (decided["individualID"].isin(seen_inds) | decided["otherIndividualID"].isin(seen_inds)))
    decided = decided[decided[decisions.KEY].isin(set(changed.loc[changed["resource"] == decisions.RESOURCE,
                                                                   "row_key"])) & (on_photo | on_cats)]
    if obs_keep.empty and media_keep.empty and inds.empty and decided.empty and not keys["deployments"]:
        return None
    dst.mkdir(parents=True)
    _write(deps, dst / "deployments.csv")
    _write(media_keep, dst / "media.csv")
    _write(obs_keep, dst / "observations.csv")
    if (src / OUTAGES_FILE).exists():
        shutil.copyfile(src / OUTAGES_FILE, dst / OUTAGES_FILE)
    if not inds.empty:
        _write(inds, dst / "individuals.csv")
    if not decided.empty:
        _write(decided, dst / decisions.FILE)
    desc = json.loads((src / "datapackage.json").read_text(encoding="utf-8"))
    present = {p.name for p in dst.iterdir()}
    desc["resources"] = [r for r in desc.get("resources", []) if r.get("path") in present or "data" in r]
    (dst / "datapackage.json").write_text(json.dumps(desc, indent=1, ensure_ascii=False), encoding="utf-8")
    if not grant.exact_locations:
        # Every field that can carry a position goes through the one sanitiser of what leaves the server.
        sanitise_package(dst, None, grant.cell_km)
    return {"deployments": len(deps), "media": len(media_keep), "observations": len(obs_keep),
            "individuals": len(inds), decisions.RESOURCE: len(decided)}


def rows_to_send(engine: Engine, partner: str, project: str, changed: pd.DataFrame) -> dict[str, list[str]] | None:
    """The media and observations a package of these changes needs (None: too many to list, export whole).

    The changed rows, the photos of changed observations (the receiver needs them) and the observations of
    changed photos (so that a photo of a species the peer may not see is recognised and stays home).
    """
    obs = changed.loc[changed["resource"] == "observations", "row_key"].tolist()
    media = changed.loc[changed["resource"] == "media", "row_key"].tolist()
    if len(obs) + len(media) > MAX_LISTED:
        return None
    scope = (select(Project.id).join(Partner).where(Partner.code == partner, Project.code == project)
             .scalar_subquery())
    in_project = Deployment.project_id == scope
    more_obs, more_media = [], []
    with engine.connect() as conn:
        for i in range(0, len(media), 500):
            more_obs += conn.execute(
                select(Observation.source_id).join(Media, Observation.media_id == Media.id)
                .join(Deployment, Media.deployment_id == Deployment.id)
                .where(in_project, Media.source_id.in_(media[i:i + 500]))).scalars().all()
        for i in range(0, len(obs), 500):
            more_media += conn.execute(
                select(Media.source_id).join(Observation, Observation.media_id == Media.id)
                .join(Deployment, Observation.deployment_id == Deployment.id)
                .where(in_project, Observation.source_id.in_(obs[i:i + 500]))).scalars().all()
    return {"observations": sorted(set(obs) | set(more_obs)), "media": sorted(set(media) | set(more_media))}


def peer_partner(engine: Engine, peer: str) -> str | None:
    """The partner a trusted peer speaks for (None if the peer is not registered)."""
    with engine.connect() as conn:
        return conn.execute(select(SyncPeer.partner).where(SyncPeer.node == peer)).scalar_one_or_none()


def export_changes(engine: Engine, peer: str, since: int | None = None, agreement: list[Grant] | None = None,
                   out: str | Path | None = None, identity: NodeIdentity | None = None,
                   key_dir: str | Path | None = None) -> Path:
    """Write a signed package of what changed since `since` (default: what the peer last acknowledged).

    Only the data of owners whose agreement grants the peer's partner travels (or `agreement`, when given),
    only the species it grants, with station locations generalised unless it grants exact locations.
    """
    identity = identity or load_identity(key_dir or default_key_dir(engine))
    partner = peer_partner(engine, peer)
    if agreement is None:
        if partner is None:
            raise SyncError(f"unknown peer '{peer}': register it with `bigcats exchange trust {peer} KEYFILE "
                            "--partner CODE` so its sharing agreements can be found")
        agreement = grants_for(engine, partner)
    # Only this node's own partners' data travels: never a peer's data back to it, nor data received from a
    # third node (its receivers accept from each peer only the partner that peer is trusted for).
    with engine.connect() as conn:
        relayed = set(conn.execute(select(SyncPeer.partner)).scalars())
    grants = {g.owner: g for g in agreement if g.owner != partner and g.owner not in relayed}
    if since is None:
        since = state.acknowledged(engine, peer)
    if since < 0:
        raise SyncError(f"since must be 0 or more, not {since}")
    out = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"bigcats-sync-{peer}-"))
    if out.exists() and any(out.iterdir()):
        raise SyncError(f"{out} is not empty: an exchange package needs a folder of its own")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bigcats-snapshot-", dir=out.parent))
    try:
        snap = snapshot(engine, work / "log")
        if since > snap.to_seq:
            raise SyncError(f"peer '{peer}' asks for changes after {since}, but this node's sequence ends at "
                            f"{snap.to_seq}: was the database replaced? Export with since=0")
        changed = changed_keys(engine, since, snap.to_seq)
        changed = changed[changed["partner"].isin(grants.keys())]
        # An embargo that ended since the last package to this peer: what it held back is due now, once.
        last = state.last_export(engine, peer)
        released = [o for o, g in grants.items() if since > 0 and g.embargo_ended is not None
                    and (last is None or last < g.embargo_ended)]
        if released:
            every = changed_keys(engine, 0, snap.to_seq)
            changed = pd.concat([changed[~changed["partner"].isin(released)],
                                 every[every["partner"].isin(released)]], ignore_index=True)
        projects = []
        for i, p in enumerate(snap.projects[snap.projects["partner"].isin(grants.keys())].itertuples()):
            mine = changed[(changed["partner"] == p.partner) & (changed["project"] == p.project)]
            if mine.empty:
                continue
            src = work / f"x{i}"
            export_package(engine, src, partner=p.partner, project=p.project,
                           only=rows_to_send(engine, p.partner, p.project, mine))
            decisions.project_decisions(engine, p.partner, p.project).to_csv(src / decisions.FILE, index=False)
            rows = filter_project(src, out / f"p{i}", mine, grants[p.partner])
            if rows is not None:
                g = grants[p.partner]
                projects.append({"partner": p.partner, "project": p.project, "path": f"p{i}", "rows": rows,
                                 "exact_locations": g.exact_locations,
                                 "embargo_from": g.embargo_from.isoformat() if g.embargo_from else None,
                                 "species": sorted(g.species) if g.species is not None else None})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    digest = sign_bundle(out, identity, peer, since, snap.to_seq, projects)
    state.record(engine, peer, "out", since, snap.to_seq, digest, "exported",
                 counts={p["path"]: p["rows"] for p in projects})
    return out
