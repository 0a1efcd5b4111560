"""The change sequence: every new or altered row of the survey tables and the catalogue gets the next number.

Rows are compared by a hash of their Camtrap DP form (the exporter's text), so the log needs no hook in the
store's write paths and sees changes made by any tool, the web app or by hand in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from bigcats.exchange.camtrapdp.exporter import export_package
from bigcats.exchange.sync import decisions
from bigcats.store.models import Partner, Project
from bigcats.store.models_sync import SyncChange

# Resource file and the column that identifies a row in it (outages travel with their deployments).
KEYS = {"deployments": "deploymentID", "media": "mediaID", "observations": "observationID",
        "individuals": "individualID"}
# Everything the change log numbers: the survey tables and the catalogue decisions on them.
LOGGED = {**KEYS, decisions.RESOURCE: decisions.KEY}


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


def latest_hashes(engine: Engine) -> pd.DataFrame:
    """The newest recorded hash and sequence number of every row the log knows."""
    q = select(SyncChange.seq, SyncChange.partner, SyncChange.project, SyncChange.resource, SyncChange.row_key,
               SyncChange.row_hash).order_by(SyncChange.seq)
    with engine.connect() as conn:
        log = pd.DataFrame(conn.execute(q).all(),
                           columns=["seq", "partner", "project", "resource", "row_key", "row_hash"])
    return log.drop_duplicates(["partner", "project", "resource", "row_key"], keep="last")


def snapshot(engine: Engine, folder: str | Path) -> Snapshot:
    """Export every project, give new or altered rows the next sequence numbers, and return the export."""
    folder = Path(folder)
    with engine.connect() as conn:
        projects = pd.DataFrame(conn.execute(select(Partner.code, Project.code).join(Partner)
                                             .order_by(Project.id)).all(), columns=["partner", "project"])
    projects["path"] = [folder / f"p{i}" for i in range(len(projects))]
    current = []
    for p in projects.itertuples():  # one export per project, not per record
        export_package(engine, p.path, partner=p.partner, project=p.project)
        decisions.project_decisions(engine, p.partner, p.project).to_csv(p.path / decisions.FILE, index=False)
        for resource, key in LOGGED.items():
            table = read_table(p.path, resource)
            if table.empty:
                continue
            current.append(pd.DataFrame({"partner": p.partner, "project": p.project, "resource": resource,
                                         "row_key": table[key].to_numpy(), "row_hash": row_hashes(table)}))
    recorded = 0
    if current:
        now = pd.concat(current, ignore_index=True)
        known = latest_hashes(engine)
        merged = now.merge(known, on=["partner", "project", "resource", "row_key"], how="left",
                           suffixes=("", "_old"))
        fresh = merged[merged["row_hash_old"].isna() | (merged["row_hash"] != merged["row_hash_old"])]
        recorded = len(fresh)
        if recorded:
            rows = fresh[["partner", "project", "resource", "row_key", "row_hash"]]
            with engine.begin() as conn:
                conn.execute(SyncChange.__table__.insert(), [
                    {"partner": a, "project": b, "resource": c, "row_key": d, "row_hash": int(e)}
                    for a, b, c, d, e in rows.itertuples(index=False, name=None)])
    return Snapshot(folder, projects, last_seq(engine), recorded)


def changed_keys(engine: Engine, since: int, until: int) -> pd.DataFrame:
    """Rows whose newest change lies in (since, until]: partner, project, resource, row_key, seq."""
    log = latest_hashes(engine)
    return log[(log["seq"] > since) & (log["seq"] <= until)].reset_index(drop=True)
