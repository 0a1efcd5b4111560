"""Effort: camtrapR's published trap-nights and camera-operation conventions."""

import numpy as np
import pandas as pd
import pytest

from bigcats.analysis.effort import camera_operation, daily_effort, trap_nights
from bigcats.analysis.errors import AnalysisError


def test_trap_nights_match_camtrapr_survey_report(camtrapr_frames):
    t = trap_nights(camtrapr_frames["deployments"], camtrapr_frames["outages"], by=["locationID"])
    assert t.set_index("locationID")["trapNights"].to_dict() == {"StationA": 42.0, "StationB": 43.0, "StationC": 37.5}


def test_camera_operation_matrix_conventions(camtrapr_frames):
    m = camera_operation(camtrapr_frames["deployments"], camtrapr_frames["outages"])
    c = m.loc["StationC"]
    assert c[pd.Timestamp("2009-04-04")] == 0.5  # set-up day
    assert np.isnan(c[pd.Timestamp("2009-04-03")])  # not yet deployed
    assert c[pd.Timestamp("2009-05-11")] == 1.0
    assert (c[pd.Timestamp("2009-05-12"):pd.Timestamp("2009-05-17")] == 0).all()  # problem period
    assert m.loc["StationA", pd.Timestamp("2009-05-14")] == 0.5  # retrieval day
    assert m.sum(axis=1).to_dict() == {"StationA": 42.0, "StationB": 43.0, "StationC": 37.5}


def test_year_split_adds_up_and_cameras_union(camtrapr_frames):
    dep = camtrapr_frames["deployments"].copy()
    by_month = trap_nights(dep, camtrapr_frames["outages"], by=["locationID", "year", "month"])
    assert by_month["trapNights"].sum() == pytest.approx(122.5)
    # Two cameras at one station: independent cameras add up, a union counts overlapping days once.
    twin = dep.iloc[[0]].assign(deploymentID="StationA-2")
    both = pd.concat([dep, twin], ignore_index=True)
    summed = daily_effort(both, by="locationID").groupby("locationID")["effort"].sum()
    union = daily_effort(both, by="locationID", cameras_independent=False).groupby("locationID")["effort"].sum()
    assert summed["StationA"] == 84.0 and union["StationA"] == 42.0


def test_bad_deployments_are_named(camtrapr_frames):
    dep = camtrapr_frames["deployments"].copy()
    dep.loc[1, "deploymentEnd"] = dep.loc[1, "deploymentStart"]
    with pytest.raises(AnalysisError, match="StationB"):
        trap_nights(dep)
    out = camtrapr_frames["outages"].assign(deploymentID="Nowhere")
    with pytest.raises(AnalysisError, match="Nowhere"):
        trap_nights(camtrapr_frames["deployments"], out)
    naive = camtrapr_frames["deployments"].assign(deploymentStart=pd.Timestamp("2009-04-01"))
    with pytest.raises(AnalysisError, match="timezone-aware"):
        trap_nights(naive)


def test_outages_overlapping_each_other_are_not_double_counted(camtrapr_frames):
    dep = camtrapr_frames["deployments"]
    a = dep.iloc[0]
    day = pd.Timedelta(days=1)
    out = pd.DataFrame({"deploymentID": ["StationA"] * 3,
                        "start": [a.deploymentStart + 2 * day, a.deploymentStart + 4 * day, a.deploymentEnd - day],
                        "end": [a.deploymentStart + 6 * day, a.deploymentStart + 5 * day, a.deploymentEnd + 9 * day]})
    t = trap_nights(dep, out).set_index("deploymentID")["trapNights"]
    assert t["StationA"] == pytest.approx(42.0 - 4 - 1)
