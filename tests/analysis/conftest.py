"""Fixtures for the analysis tests: the camtrapR sample survey turned into Camtrap DP survey frames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
KL_OFFSET = 480  # the sample was recorded in Asia/Kuala_Lumpur (UTC+8)


def data_dir(*parts: str) -> Path:
    """A folder of the shared test data, or skip when the data are not on this machine."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not found: {path}")
    return path


def _local(text: pd.Series, fmt: str, hour: int = 0) -> pd.Series:
    # camtrapR dates carry no time: set-up and retrieval are taken at noon, problem periods span whole days.
    naive = pd.to_datetime(text, format=fmt) + pd.Timedelta(hours=hour)
    return (naive - pd.Timedelta(minutes=KL_OFFSET)).dt.tz_localize("UTC")


@pytest.fixture(scope="session")
def camtrapr_frames() -> dict[str, pd.DataFrame]:
    """deployments, outages, observations and individual observations of the camtrapR sample."""
    folder = data_dir("camtrapR-sample", "tables_csv")
    cams = pd.read_csv(folder / "camtraps.csv", dtype=str)
    deployments = pd.DataFrame({
        "deploymentID": cams["Station"], "locationID": cams["Station"], "locationName": cams["Station"],
        "latitude": 1.0, "longitude": 117.0,
        "deploymentStart": _local(cams["Setup_date"], "%d/%m/%Y", 12),
        "deploymentEnd": _local(cams["Retrieval_date"], "%d/%m/%Y", 12),
        "utcOffset": KL_OFFSET, "country": "MYS",
    })
    prob = cams.dropna(subset=["Problem1_from"])
    outages = pd.DataFrame({
        "deploymentID": prob["Station"],
        "start": _local(prob["Problem1_from"], "%d/%m/%Y", 0),
        "end": _local(prob["Problem1_to"], "%d/%m/%Y", 24),
    })

    def records(name: str) -> pd.DataFrame:
        rec = pd.read_csv(folder / name, dtype=str)
        out = pd.DataFrame({
            "observationID": [f"{name}-{i}" for i in range(len(rec))], "deploymentID": rec["Station"],
            "locationID": rec["Station"],
            "timestamp": _local(rec["DateTimeOriginal"], "%Y-%m-%d %H:%M:%S"), "utcOffset": KL_OFFSET,
            "scientificName": rec["Species"], "count": 1, "observationType": "animal",
        })
        if "Individual" in rec:
            out["individualID"] = rec["Individual"]
        return out

    return {"deployments": deployments, "outages": outages, "observations": records("recordTableSample.csv"),
            "individuals": records("recordTableIndividualSample.csv")}


@pytest.fixture(scope="session")
def shared_data():
    """The data_dir helper as a fixture (test modules here are not a package, so cannot import it)."""
    return data_dir
