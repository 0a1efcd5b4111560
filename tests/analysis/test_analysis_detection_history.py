"""Detection histories: camtrapR's spatial detection history of the leopard cat, effort per occasion."""

import numpy as np

from bigcats.analysis.detection_history import detection_history, spatial_detection_history


def test_spatial_detection_history_leopard_cat(camtrapr_frames):
    caps, usage = spatial_detection_history(camtrapr_frames["individuals"], camtrapr_frames["deployments"], "LeopardCat",
                                            camtrapr_frames["outages"], occasion_length=10, day1="survey")
    assert caps["individualID"].nunique() == 3
    assert caps["detections"].sum() == 15
    assert usage.to_numpy().sum() == 42.0 + 43.0 + 37.5


def test_detection_history_effort_and_masking(camtrapr_frames):
    f = camtrapr_frames
    dh = detection_history(f["observations"], f["deployments"], "VTA", f["outages"], occasion_length=7, day1="station")
    assert np.nansum(dh.effort.to_numpy()) == 42.0 + 43.0 + 37.5
    assert np.nansum(dh.history.to_numpy()) == 5  # VTA's 5 records fall in 5 different station-weeks
    assert np.isnan(dh.history.loc["StationC", 6])  # no effort left in StationC's 7th week (problem period)
    strict = detection_history(f["observations"], f["deployments"], "VTA", f["outages"], 7, "station", include_effort=False)
    assert np.isnan(strict.history.iloc[:, 0]).all()  # set-up week has a half day
    counts = detection_history(f["observations"], f["deployments"], "PBE", f["outages"], 7, "survey", output="count")
    assert np.nansum(counts.history.to_numpy()) == 18
