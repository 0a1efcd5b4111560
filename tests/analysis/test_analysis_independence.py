"""Independent detections: camtrapR's published event counts and the two reference rules."""

import numpy as np
import pandas as pd
import pytest

from bigcats.analysis.errors import AnalysisError
from bigcats.analysis.independence import check_within_deployments, count_events, independent_detections


def test_camtrapr_events_at_60_minutes(camtrapr_frames):
    ev = independent_detections(camtrapr_frames["observations"], "60min", "last_record")
    counts = count_events(ev, ["scientificName"]).set_index("scientificName")["events"].to_dict()
    assert counts == {"EGY": 6, "MNE": 2, "PBE": 18, "TRA": 8, "VTA": 5}


def _obs(minutes, station="S1", species="Panthera tigris"):
    t0 = pd.Timestamp("2024-01-01T00:00:00Z")
    return pd.DataFrame({"observationID": [f"o{i}" for i in range(len(minutes))], "deploymentID": "D1",
                         "locationID": station, "scientificName": species, "observationType": "animal", "count": 1,
                         "timestamp": [t0 + pd.Timedelta(minutes=m) for m in minutes], "utcOffset": 600})


def test_last_record_versus_last_independent():
    obs = _obs([0, 20, 40, 60, 200, 200])  # the two at 200 are duplicates
    assert len(independent_detections(obs, "30min", "last_record")) == 2
    ev = independent_detections(obs, "30min", "last_independent")
    assert ev["timestamp"].dt.minute.tolist() == [0, 40, 20]  # 00:00, 00:40, 03:20
    assert ev["eventRecords"].tolist() == [2, 2, 1]
    assert len(independent_detections(obs, "30min", "last_independent", remove_duplicates=False)) == 3


def test_vectorised_rule_matches_a_sequential_scan():
    rng = np.random.default_rng(4)
    minutes = np.sort(rng.integers(0, 5000, 400))
    obs = pd.concat([_obs(minutes[:200], "S1"), _obs(minutes[200:], "S2"), _obs(minutes[:150], "S1", "Sus scrofa")])
    obs["observationID"] = [f"o{i}" for i in range(len(obs))]
    ev = independent_detections(obs, "45min", "last_independent", remove_duplicates=False)
    expected = 0
    for _, grp in obs.groupby(["locationID", "scientificName"]):
        last = None
        for t in grp["timestamp"].sort_values():
            if last is None or t - last >= pd.Timedelta("45min"):
                expected += 1
                last = t
    assert len(ev) == expected


def test_records_outside_deployments_are_named(camtrapr_frames):
    obs = camtrapr_frames["observations"].copy()
    obs.loc[3, "timestamp"] = pd.Timestamp("2010-01-01T00:00:00Z")
    with pytest.raises(AnalysisError, match="recordTableSample.csv-3"):
        check_within_deployments(obs, camtrapr_frames["deployments"])
    obs = camtrapr_frames["observations"].assign(deploymentID="X9")
    with pytest.raises(AnalysisError, match="X9"):
        check_within_deployments(obs, camtrapr_frames["deployments"])
    with pytest.raises(AnalysisError, match="duration"):
        independent_detections(camtrapr_frames["observations"], "soon")
