"""Conflicts: rows a peer sent that differ from this node's copy (pure functions over text tables)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from bigcats.exchange.sync.changes import KEYS

# Which differing field makes a conflict of which kind (the rest are "<resource>-changed").
KINDS = {
    "deployments": ({"latitude", "longitude"}, "station-moved"),
    "observations": ({"individualID"}, "identification"),
    "individuals": ({"individualName"}, "individual-renamed"),
}
CONFLICT_COLUMNS = ["resource", "row_key", "kind", "fields", "local", "incoming", "incoming_sha256"]


def compare(resource: str, incoming: pd.DataFrame, local: pd.DataFrame) -> pd.DataFrame:
    """Rows present on both sides whose values differ: key, kind, differing fields and both sides' values."""
    key = KEYS[resource]
    if incoming.empty or local.empty:
        return pd.DataFrame(columns=CONFLICT_COLUMNS)
    cols = [c for c in incoming.columns if c in local.columns and c != key]
    both = incoming[[key, *cols]].merge(local[[key, *cols]], on=key, suffixes=("_in", "_local"))
    if both.empty:
        return pd.DataFrame(columns=CONFLICT_COLUMNS)
    differs = pd.DataFrame({c: both[f"{c}_in"].to_numpy() != both[f"{c}_local"].to_numpy() for c in cols})
    hit = differs.any(axis=1).to_numpy()
    if not hit.any():
        return pd.DataFrame(columns=CONFLICT_COLUMNS)
    both, diff = both[hit].reset_index(drop=True), differs.to_numpy()[hit]
    inc = both[[f"{c}_in" for c in cols]].to_numpy(dtype=object)
    loc = both[[f"{c}_local" for c in cols]].to_numpy(dtype=object)
    where = [np.flatnonzero(row) for row in diff]  # plain lists: an owner's update can touch thousands of rows
    fields = [[cols[j] for j in w] for w in where]
    special, special_kind = KINDS.get(resource, (set(), ""))
    generic = f"{resource.rstrip('s')}-changed"
    out = pd.DataFrame({
        "resource": resource,
        "row_key": both[key].to_numpy(),
        "kind": [special_kind if special & set(f) else generic for f in fields],
        "fields": fields,
        "local": [{cols[j]: loc[i, j] for j in w} for i, w in enumerate(where)],
        "incoming": [{cols[j]: inc[i, j] for j in w} for i, w in enumerate(where)],
    })
    out["incoming_sha256"] = [hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest()
                              for v in out["incoming"]]
    return out
