"""Relative abundance: events per 100 trap-nights and station-bootstrap intervals."""

import numpy as np
import pandas as pd
import pytest

from bigcats.analysis.abundance import relative_abundance
from bigcats.analysis.effort import trap_nights
from bigcats.analysis.errors import AnalysisError
from bigcats.analysis.independence import independent_detections


def test_rai_per_station_and_overall(camtrapr_frames):
    ev = independent_detections(camtrapr_frames["observations"], "60min")
    eff = trap_nights(camtrapr_frames["deployments"], camtrapr_frames["outages"], by=["locationID", "country"])
    st = relative_abundance(ev, eff).set_index(["locationID", "scientificName"])
    assert st.loc[("StationC", "TRA"), "rai"] == pytest.approx(8 / 37.5 * 100)
    assert st.loc[("StationA", "TRA"), "rai"] == 0 and st.loc[("StationA", "TRA"), "upper"] > 0
    allr = relative_abundance(ev, eff, by=["country"], n_boot=500).set_index("scientificName")
    assert allr.loc["PBE", "rai"] == pytest.approx(18 / 122.5 * 100)
    assert (allr["lower"] <= allr["rai"]).all() and (allr["rai"] <= allr["upper"]).all()
    assert (allr["ciMethod"] == "station-bootstrap").all()


def test_station_bootstrap_covers_the_true_rate():
    # 40 stations with Poisson events at a known rate of 5 per 100 trap-nights: the 95% interval should cover it.
    rng = np.random.default_rng(1)
    effort = rng.uniform(20, 60, 40)
    counts = rng.poisson(0.05 * effort)
    ev = pd.DataFrame({"locationID": np.repeat([f"S{i}" for i in range(40)], counts), "scientificName": "Panthera tigris"})
    eff = pd.DataFrame({"locationID": [f"S{i}" for i in range(40)], "trapNights": effort, "country": "RUS"})
    r = relative_abundance(ev, eff, by=["country"], n_boot=2000).iloc[0]
    assert r["lower"] < 5.0 < r["upper"]


def test_zero_effort_group_is_refused():
    ev = pd.DataFrame({"locationID": [], "scientificName": []})
    eff = pd.DataFrame({"locationID": ["S1"], "trapNights": [0.0]})
    with pytest.raises(AnalysisError, match="no trap-nights"):
        relative_abundance(ev, eff, species=["Panthera tigris"])
    ev = pd.DataFrame({"locationID": ["S2"], "scientificName": ["Panthera tigris"]})
    with pytest.raises(AnalysisError, match="S2"):
        relative_abundance(ev, eff)
