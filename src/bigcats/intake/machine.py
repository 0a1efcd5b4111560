"""Shared by the AI-detector readers: join machine predictions to the photos' media rows by file path."""

from __future__ import annotations

import pandas as pd

from bigcats.intake.report import IntakeReport
from bigcats.problems import Problem


def normalise_path(paths: pd.Series) -> pd.Series:
    """Paths compared across tools: forward slashes, no leading './'."""
    return pd.Series(paths, dtype="string").str.replace("\\", "/", regex=False).str.replace(r"^\./", "", regex=True)


def join_media(pred: pd.DataFrame, media: pd.DataFrame, report: IntakeReport, file: str) -> pd.DataFrame:
    """Attach mediaID, deploymentID, timestamp to predictions (column 'file'); unknown files are listed, not kept."""
    keys = media.assign(_key=normalise_path(media["filePath"]))
    pred = pred.assign(_key=normalise_path(pred["file"]))
    # A detector run over a parent folder prefixes every path; match on the longest common tail instead.
    if len(pred) and not pred["_key"].isin(keys["_key"]).any():
        for prefix in sorted({k.split("/", 1)[0] for k in pred["_key"].dropna() if "/" in k}):
            trimmed = pred["_key"].str.removeprefix(prefix + "/")
            if trimmed.isin(keys["_key"]).any():
                pred["_key"] = pred["_key"].where(~pred["_key"].str.startswith(prefix + "/"), trimmed)
    joined = pred.merge(keys[["_key", "mediaID", "deploymentID", "timestamp"]], on="_key", how="left")
    missing = joined["mediaID"].isna()
    for f in joined.loc[missing, "file"].unique():
        report.skip(str(f), Problem("unknown-file", "prediction for a photo that is not in the image folder "
                                    "(or was skipped); not kept", file=file, value=str(f)))
    return joined[~missing].drop(columns="_key")
