"""Batch identification of a season's photos on Dask: the same code on a local cluster or a remote scheduler.

Photos are split into chunks; each worker loads the saved catalogue index once (cached per process) and
identifies its chunk serially with one core. Photos that cannot be identified come back with their reason.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from bigcats.identify.errors import IdentifyError, UnidentifiableImage
from bigcats.identify.features import extract_file
from bigcats.identify.index import Catalogue, load
from bigcats.identify.match import MatchParams, match_features

RESULT_COLUMNS = ["image", "status", "reason", "best_individual", "score", "candidates", "seconds"]


@lru_cache(maxsize=4)
def _catalogue(index_dir: str) -> Catalogue:
    return load(index_dir)


def _check_photos(photos: pd.DataFrame) -> None:
    missing = [c for c in ("image", "scientificName", "side") if c not in photos.columns]
    if missing:
        raise IdentifyError(f"photo table lacks column(s) {', '.join(missing)} (need image, scientificName, side)")


def identify_chunk(photos: pd.DataFrame, index_dir: str, params: dict | None = None, root: str | None = None) -> pd.DataFrame:
    """Identify a chunk of photos (image path, scientificName, side[, x, y, w, h]) against a saved index."""
    _check_photos(photos)
    cat = _catalogue(str(index_dir))
    p = MatchParams(**(params or {}))
    has_box = all(c in photos.columns for c in "xywh")
    out = []
    for rec in photos.to_dict(orient="records"):  # one photo at a time: extraction and RANSAC are per image
        t0 = time.perf_counter()
        path = Path(root) / rec["image"] if root else Path(rec["image"])
        box = tuple(int(rec[c]) for c in "xywh") if has_box and not any(pd.isna(rec[c]) for c in "xywh") else None
        try:
            feat = extract_file(path, box, work_size=cat.work_size)
            res = match_features(feat, cat, str(rec["scientificName"]), str(rec["side"]), p)
            top = res.candidates.head(3)
            out.append((rec["image"], "new_individual" if res.new_individual else "match", None,
                        None if res.new_individual else top["individual"].iloc[0], res.best_score,
                        ";".join(f"{a}:{s:.2f}" for a, s in zip(top["individual"], top["score"], strict=True)), time.perf_counter() - t0))
        except UnidentifiableImage as err:
            out.append((rec["image"], "unidentifiable", f"{err.reason}: {err.detail}", None, np.nan, "", time.perf_counter() - t0))
        except IdentifyError as err:
            out.append((rec["image"], "error", str(err), None, np.nan, "", time.perf_counter() - t0))
    return pd.DataFrame(out, columns=RESULT_COLUMNS)


def warm(client: object, index_dir: str | Path) -> None:
    """Load the catalogue index on every worker of a client once, before timing or a long batch."""
    client.run(_catalogue, str(Path(index_dir).resolve()))


def identify_batch(
    photos: pd.DataFrame,
    index_dir: str | Path,
    address: str | None = None,
    n_workers: int = 2,
    chunk_size: int = 25,
    params: MatchParams = MatchParams(),
    root: str | Path | None = None,
    client: object | None = None,
) -> pd.DataFrame:
    """Identify many photos on Dask: a `client`, a scheduler `address` ('tcp://host:8786') or a local cluster."""
    from dask.distributed import Client, LocalCluster

    _check_photos(photos)
    if not (Path(index_dir) / "catalogue.json").exists():
        raise IdentifyError(f"{index_dir}: not a bigcats identification index (no catalogue.json)")
    index_dir = str(Path(index_dir).resolve())
    root = None if root is None else str(Path(root).resolve())
    chunks = [photos.iloc[i : i + chunk_size] for i in range(0, len(photos), chunk_size)]
    own = client is None
    cluster = None
    if client is not None:
        pass
    elif address:
        client = Client(address)
    else:
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = client.map(identify_chunk, chunks, index_dir=index_dir, params=asdict(params), root=root, pure=False)
        parts = client.gather(futures)
    finally:
        if own:
            client.close()
        if cluster is not None:
            cluster.close()
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RESULT_COLUMNS)
