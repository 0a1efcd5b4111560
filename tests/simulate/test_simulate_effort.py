"""Camera effort: one year of deployments, card swaps and failures, and no photo outside working time."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _inside_deployment(survey, table: str, start_col: str, end_col: str) -> None:
    dep = survey.frame("deployments").set_index("deploymentID")
    rows = survey.frame(table)
    start, end = rows[start_col], rows[end_col]
    ds = dep.loc[rows["deploymentID"], "deploymentStart"].to_numpy()
    de = dep.loc[rows["deploymentID"], "deploymentEnd"].to_numpy()
    assert (start.to_numpy() >= ds).all() and (end.to_numpy() <= de).all()
    out = survey.frame("outages")
    joined = rows[["deploymentID"]].assign(s=start, e=end).merge(out, on="deploymentID")
    assert len(joined) > 0  # some detections were made by cameras that failed at another time
    during = (joined["s"] < joined["end"]) & (joined["e"] > joined["start"])
    assert not during.any(), joined[during].head()


def test_no_detection_outside_effort(survey):
    _inside_deployment(survey, "observations", "eventStart", "eventEnd")
    _inside_deployment(survey, "media", "timestamp", "timestamp")


def test_deployments_cover_the_year_with_swaps_and_failures(survey):
    dep = survey.frame("deployments")
    assert dep["deploymentID"].is_unique
    local_start = dep["deploymentStart"].dt.tz_localize(None) + pd.to_timedelta(dep["utcOffset"], unit="min")
    local_end = dep["deploymentEnd"].dt.tz_localize(None) + pd.to_timedelta(dep["utcOffset"], unit="min")
    assert (local_end > local_start).all()
    assert local_start.min() >= pd.Timestamp("2024-01-01") and local_end.max() <= pd.Timestamp("2024-12-31 23:59")
    # Set-up staggered over days, in the field team's working hours.
    first = dep.sort_values("deploymentStart").groupby("locationID").head(1)
    assert first["deploymentStart"].dt.normalize().nunique() > 5
    assert local_start[first.index].dt.hour.between(9, 16).all()
    per_station = dep.groupby("locationID").size()
    assert 1 <= (per_station == 2).sum() <= 20 and per_station.max() == 2
    # The second deployment of a card swap starts after the first ends.
    swapped = per_station[per_station == 2].index
    two = dep[dep["locationID"].isin(swapped)].sort_values(["locationID", "deploymentStart"])
    gap = two.groupby("locationID").apply(
        lambda g: g["deploymentStart"].iloc[1] - g["deploymentEnd"].iloc[0], include_groups=False)
    assert (gap > pd.Timedelta(0)).all()
    out = survey.frame("outages")
    share = out["deploymentID"].nunique() / len(dep)
    assert 0.03 < share < 0.2
    assert set(out["reason"]) <= {"battery", "theft", "snow", "malfunction", "wildlife damage"}
    d = dep.set_index("deploymentID").loc[out["deploymentID"]]
    assert (out["start"].to_numpy() >= d["deploymentStart"].to_numpy()).all()
    assert (out["end"].to_numpy() <= d["deploymentEnd"].to_numpy()).all()
    assert (out["end"] > out["start"]).all()


def test_trap_days_equal_deployment_time_less_failures(survey):
    dep = survey.frame("deployments")
    out = survey.frame("outages")
    days = (dep["deploymentEnd"] - dep["deploymentStart"]).dt.total_seconds() / 86400
    lost = ((out["end"] - out["start"]).dt.total_seconds() / 86400).groupby(out["deploymentID"]).sum()
    net = (days - dep["deploymentID"].map(lost).fillna(0)).groupby(dep["locationID"]).sum()
    st = survey.truth.stations.set_index("locationID")
    np.testing.assert_allclose(st.loc[net.index, "trap_days"], net, rtol=1e-9)


def test_hibernating_bear_and_unoccupied_stations_have_no_records(survey):
    ev = survey.truth.events
    bear = ev[ev["label"] == "Ursus thibetanus"]
    local = bear["eventStart"].dt.tz_localize(None) + pd.to_timedelta(
        np.where(bear["partner"] == "LLNP", 600, 480), unit="min")
    assert len(bear) > 0 and local.dt.day_of_year.between(100, 320).all()
    occ = survey.truth.occupancy
    empty = occ[~occ["occupied"]]
    assert len(empty) > 0
    seen = ev.groupby(["locationID", "label"]).size()
    keys = pd.MultiIndex.from_frame(empty[["locationID", "label"]])
    assert seen.reindex(keys).isna().all()
    # Cattle graze on the Chinese side: occupancy follows the country setting.
    cattle = occ[occ["label"] == "Bos taurus"].merge(survey.truth.stations[["locationID", "country"]])
    assert cattle.groupby("country")["occupied"].mean()["CHN"] > 0.2
