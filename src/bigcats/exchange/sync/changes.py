"""The change sequence: every new or altered row of the survey tables and the catalogue gets the next number.

The store keeps the marks: new media and observations are those above the highest id the log has seen of each
table (`sync_scan`), and updated ones are marked by database triggers (`sync_dirty`, migration 0009), so finding
what changed costs in proportion to the change, not to the project. Those rows, and the small tables whole
(deployments, individuals, catalogue decisions), are exported and compared by a hash of their Camtrap DP text
with the newest hash the log holds, so only real changes get numbers, whichever tool wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, delete, func, select

from bigcats.exchange.camtrapdp.exporter import export_package
from bigcats.exchange.sync import decisions
from bigcats.store.models import Deployment, Media, Observation, Partner, Project
from bigcats.store.models_sync import SyncChange, SyncDirty, SyncScan
from bigcats.store.tx import one_transaction

# Resource file and the column that identifies a row in it (outages travel with their deployments).
KEYS = {"deployments": "deploymentID", "media": "mediaID", "observations": "observationID",
        "individuals": "individualID"}
# Everything the change log numbers: the survey tables and the catalogue decisions on them.
LOGGED = {**KEYS, decisions.RESOURCE: decisions.KEY}
# The big tables, whose rows are found by id and trigger marks; the rest are small and compared whole.
MARKED = {"media": Media, "observations": Observation}
MAX_LISTED = 20_000  # above this many keys an export is whole and filtered afterwards (bound-variable limits)
_CHUNK = 500


@dataclass
class Snapshot:
    """This node's data as exported per project, and the change sequence it was recorded at."""

    folder: Path
    projects: pd.DataFrame  # partner, project, path
    to_seq: int
    recorded: int  # rows given a new sequence number by this snapshot


def read_table(folder: Path, resource: str) -> pd.DataFrame:
    """A package table as text exactly as written ('' for empty), so hashes and comparisons are exact."""
    path = folder / f"{resource}.csv"
    if not path.exists():
        return pd.DataFrame()
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit content hash per row (as signed integers, the database's BIGINT)."""
    return pd.util.hash_pandas_object(frame, index=False).to_numpy().view(np.int64)


def last_seq(engine: Engine) -> int:
    """The newest number of this node's change sequence (0 before anything was recorded)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(SyncChange.seq), 0))).scalar_one())


def latest_of(conn, partner: str, project: str, resource: str, keys: list[str] | None) -> pd.DataFrame:
    """row_key, row_hash: the newest hash the log holds of these rows (all of the resource's rows for None)."""
    q = (select(SyncChange.row_key, SyncChange.row_hash, SyncChange.seq)
         .where(SyncChange.partner == partner, SyncChange.project == project, SyncChange.resource == resource))
    parts = []
    if keys is None:
        parts.append(conn.execute(q).all())
    else:
        for i in range(0, len(keys), _CHUNK):
            parts.append(conn.execute(q.where(SyncChange.row_key.in_(keys[i:i + _CHUNK]))).all())
    rows = [r for part in parts for r in part]
    df = pd.DataFrame(rows, columns=["row_key", "row_hash", "seq"])
    return df.sort_values("seq").drop_duplicates("row_key", keep="last")[["row_key", "row_hash"]]


def _marked(conn, first: bool) -> tuple[dict[str, pd.DataFrame], dict[str, int], int]:
    """Per big table: (project id, source id) of new rows and of rows marked as updated; the new marks."""
    marks = dict(conn.execute(select(SyncScan.resource, SyncScan.max_id)).all())
    dirty_to = conn.execute(select(func.coalesce(func.max(SyncDirty.id), 0))).scalar_one()
    found, tops = {}, {}
    for resource, model in MARKED.items():
        top = conn.execute(select(func.coalesce(func.max(model.id), 0))).scalar_one()
        tops[resource] = int(top)
        if first:
            continue
        base = select(Deployment.project_id, model.source_id).join(Deployment, model.deployment_id == Deployment.id)
        new = conn.execute(base.where(model.id > marks.get(resource, 0), model.id <= top)).all()
        updated = conn.execute(base.where(model.id.in_(
            select(SyncDirty.row_id).where(SyncDirty.resource == resource, SyncDirty.id <= dirty_to)))).all()
        found[resource] = pd.DataFrame(new + updated, columns=["project_id", "key"]).drop_duplicates()
    return found, tops, int(dirty_to)


def snapshot(engine: Engine, folder: str | Path) -> Snapshot:
    """Give the rows changed since the last snapshot the next sequence numbers; returns the change range.

    The first snapshot exports everything; later ones only the rows the store marked (plus the small tables).
    Runs under the writers' lock, so an import cannot slip rows in between the marks read and the marks kept.
    """
    folder = Path(folder)
    with one_transaction(engine) as tx, tx.connect() as conn:
        projects = pd.DataFrame(conn.execute(select(Project.id, Partner.code, Project.code).join(Partner)
                                             .order_by(Project.id)).all(), columns=["id", "partner", "project"])
        projects["path"] = [folder / f"p{i}" for i in range(len(projects))]
        first = conn.execute(select(func.count()).select_from(SyncScan)).scalar_one() == 0
        found, tops, dirty_to = _marked(conn, first)
        fresh_parts = []
        for p in projects.itertuples():  # one small export per project
            only = None if first else {r: found[r].loc[found[r]["project_id"] == p.id, "key"].tolist()
                                       for r in MARKED}
            if only is not None and any(len(v) > MAX_LISTED for v in only.values()):
                only_sql = None  # too many to list: export whole, keep the marked rows below
            else:
                only_sql = only
            export_package(tx, p.path, partner=p.partner, project=p.project, only=only_sql)
            decisions.project_decisions(tx, p.partner, p.project).to_csv(p.path / decisions.FILE, index=False)
            for resource, key in LOGGED.items():
                table = read_table(p.path, resource)
                if table.empty:
                    continue
                keys = None
                if only is not None and resource in MARKED:
                    wanted = set(only[resource])
                    table = table[table[key].isin(wanted)]
                    keys = table[key].tolist()
                    if table.empty:
                        continue
                now = pd.DataFrame({"row_key": table[key].to_numpy(), "row_hash": row_hashes(table)})
                known = latest_of(conn, p.partner, p.project, resource, keys)
                merged = now.merge(known, on="row_key", how="left", suffixes=("", "_old"))
                new = merged[merged["row_hash_old"].isna() | (merged["row_hash"] != merged["row_hash_old"])]
                if not new.empty:
                    fresh_parts.append(new.assign(partner=p.partner, project=p.project, resource=resource))
        recorded = 0
        if fresh_parts:
            fresh = pd.concat(fresh_parts, ignore_index=True)
            recorded = len(fresh)
            conn.execute(SyncChange.__table__.insert(), [
                {"partner": a, "project": b, "resource": c, "row_key": d, "row_hash": int(e)}
                for a, b, c, d, e in fresh[["partner", "project", "resource", "row_key", "row_hash"]]
                .itertuples(index=False, name=None)])
        conn.execute(delete(SyncDirty).where(SyncDirty.id <= dirty_to))
        conn.execute(delete(SyncScan))
        conn.execute(SyncScan.__table__.insert(), [{"resource": r, "max_id": v} for r, v in tops.items()])
        to_seq = int(conn.execute(select(func.coalesce(func.max(SyncChange.seq), 0))).scalar_one())
    return Snapshot(folder, projects[["partner", "project", "path"]], to_seq, recorded)


def changed_keys(engine: Engine, since: int, until: int) -> pd.DataFrame:
    """Rows changed in (since, until]: partner, project, resource, row_key, seq (the newest change of each)."""
    q = (select(SyncChange.partner, SyncChange.project, SyncChange.resource, SyncChange.row_key,
                func.max(SyncChange.seq))
         .where(and_(SyncChange.seq > since, SyncChange.seq <= until))
         .group_by(SyncChange.partner, SyncChange.project, SyncChange.resource, SyncChange.row_key))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).all(), columns=["partner", "project", "resource", "row_key", "seq"])
