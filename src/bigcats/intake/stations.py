"""Attach records to their deployment: the one at the record's station whose window holds its time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bigcats.intake.timezones import localize


def match_deployments(records: pd.DataFrame, deployments: pd.DataFrame) -> pd.DataFrame:
    """deploymentID and utcOffset for each record (columns locationID, local); every station must be known.

    A station may hold several deployments (sessions, camera swaps): the window holding the record wins, else the
    nearest window (that record is then flagged as outside its deployment).
    """
    cand = records[["locationID", "local"]].reset_index(names="_row").merge(
        deployments[["deploymentID", "locationID", "deploymentStart", "deploymentEnd", "utcOffset"]],
        on="locationID")
    ts = localize(cand["local"], cand["utcOffset"])
    inside = (ts >= cand["deploymentStart"]) & (ts <= cand["deploymentEnd"])
    dist = np.minimum((ts - cand["deploymentStart"]).abs().dt.total_seconds(),
                      (ts - cand["deploymentEnd"]).abs().dt.total_seconds())
    cand["_rank"] = np.where(inside, 0.0, dist.fillna(np.inf))
    best = cand.sort_values(["_row", "_rank"]).drop_duplicates("_row").set_index("_row")
    return pd.DataFrame({"deploymentID": best["deploymentID"].reindex(records.index),
                         "utcOffset": best["utcOffset"].reindex(records.index).astype("int64")})
