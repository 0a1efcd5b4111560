"""The base of a three-way merge: each received row's hash as this node held it right after receiving it.

An incoming row that differs from the local copy is the owner's update when the local copy still has its base
hash (nobody here touched it since), and a conflict when the local copy changed too.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, and_, delete, select

from bigcats.exchange.sync.changes import KEYS, read_table, row_hashes
from bigcats.store.models_sync import SyncBase

_CHUNK = 500  # keys per IN list, well under SQLite's bound-variable limit


def local_hashes(folder: Path) -> pd.DataFrame:
    """resource, row_key, row_hash of every row of an exported package folder."""
    frames = []
    for resource, key in KEYS.items():
        table = read_table(folder, resource)
        if not table.empty:
            frames.append(pd.DataFrame({"resource": resource, "row_key": table[key].to_numpy(),
                                        "row_hash": row_hashes(table)}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["resource", "row_key", "row_hash"])


def base_hashes(engine: Engine, partner: str, project: str, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """resource, row_key, row_hash of the rows of a project as last received (only `rows`' keys, if given)."""
    q = select(SyncBase.resource, SyncBase.row_key, SyncBase.row_hash).where(
        SyncBase.partner == partner, SyncBase.project == project)
    with engine.connect() as conn:
        if rows is None:
            return pd.DataFrame(conn.execute(q).all(), columns=["resource", "row_key", "row_hash"])
        got = []
        for resource, part in rows.groupby("resource"):
            keys = part["row_key"].tolist()
            for i in range(0, len(keys), _CHUNK):
                got += conn.execute(q.where(SyncBase.resource == resource,
                                            SyncBase.row_key.in_(keys[i:i + _CHUNK]))).all()
    return pd.DataFrame(got, columns=["resource", "row_key", "row_hash"])


def unchanged_here(found: pd.DataFrame, local: pd.DataFrame, base: pd.DataFrame) -> pd.Series:
    """For each conflict candidate (resource, row_key): True where the local copy still has its base hash."""
    if found.empty:
        return pd.Series(dtype=bool)
    on = ["resource", "row_key"]
    m = found[on].merge(local, on=on, how="left").merge(base, on=on, how="left", suffixes=("", "_base"))
    return pd.Series((m["row_hash"] == m["row_hash_base"]).fillna(False).to_numpy(dtype=bool), index=found.index)


def remember(engine: Engine, partner: str, project: str, hashes: pd.DataFrame) -> None:
    """Store (replace) the base hashes of these rows of a project."""
    if hashes.empty:
        return
    with engine.begin() as conn:
        for resource, rows in hashes.groupby("resource"):
            keys = rows["row_key"].tolist()
            for i in range(0, len(keys), _CHUNK):
                conn.execute(delete(SyncBase).where(and_(
                    SyncBase.partner == partner, SyncBase.project == project, SyncBase.resource == resource,
                    SyncBase.row_key.in_(keys[i:i + _CHUNK]))))
        conn.execute(SyncBase.__table__.insert(), [
            {"partner": partner, "project": project, "resource": r, "row_key": k, "row_hash": int(h)}
            for r, k, h in hashes[["resource", "row_key", "row_hash"]].itertuples(index=False, name=None)])
