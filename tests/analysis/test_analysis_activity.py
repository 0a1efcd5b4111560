"""Activity: offline sunrise and sunset, solar time, and recovery of known activity curves by simulation."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import vonmises

from bigcats.analysis.activity import fit_activity
from bigcats.analysis.errors import AnalysisError
from bigcats.analysis.kernel import TWO_PI
from bigcats.analysis.solar import record_times, sun_times, to_solar


def test_sun_times_greenwich_midsummer():
    # Greenwich, 21 June 2024 (UTC+1): sunrise 04:43, sunset 21:21 (HM Nautical Almanac Office tables).
    day = np.datetime64("2024-06-21", "D").astype(int)
    sr, ss = sun_times(np.array([51.4779]), np.array([0.0]), np.array([day]), np.array([60]))
    assert sr[0] * 24 * 60 == pytest.approx(4 * 60 + 43, abs=2)
    assert ss[0] * 24 * 60 == pytest.approx(21 * 60 + 21, abs=2)


def test_solar_time_anchors_and_polar_refusal():
    sr, ss = np.array([0.2]), np.array([0.8])
    assert to_solar(np.array([0.2 * TWO_PI + 1e-9]), sr, ss)[0] == pytest.approx(np.pi / 2)
    assert to_solar(np.array([0.5 * TWO_PI]), sr, ss)[0] == pytest.approx(np.pi)
    day = np.datetime64("2024-06-21", "D").astype(int)
    with pytest.raises(AnalysisError, match="polar"):
        sun_times(np.array([75.0]), np.array([20.0]), np.array([day]), np.array([60]))


def test_solar_record_times_use_station_coordinates():
    dep = pd.DataFrame({"deploymentID": ["D1"], "latitude": [43.1], "longitude": [131.9]})
    day = np.datetime64("2024-03-20", "D").astype(int)
    sr, ss = sun_times(np.array([43.1]), np.array([131.9]), np.array([day]), np.array([600]))
    # Half-way between sunrise and sunset is solar noon (pi); 150E is the zone meridian, so that is ~13:20 local.
    mid_local = pd.Timestamp("2024-03-20") + pd.Timedelta(days=float((sr[0] + ss[0]) / 2))
    assert 13.1 < (mid_local - pd.Timestamp("2024-03-20")).total_seconds() / 3600 < 13.5
    obs = pd.DataFrame({"deploymentID": ["D1"], "utcOffset": [600],
                        "timestamp": [(mid_local - pd.Timedelta(hours=10)).tz_localize("UTC")]})
    assert record_times(obs, dep, "solar")[0] == pytest.approx(np.pi, abs=1e-6)
    assert record_times(obs, dep, "clock")[0] == pytest.approx((mid_local.hour + mid_local.minute / 60
                                                                + mid_local.second / 3600) / 24 * TWO_PI, abs=1e-3)


def _mixture_pdf(grid):
    return 0.6 * vonmises.pdf(grid, 3.0, loc=np.pi * 1.6) + 0.4 * vonmises.pdf(grid, 2.0, loc=np.pi * 0.4)


def test_simulated_activity_is_recovered_within_its_band():
    rng = np.random.default_rng(11)
    n = 600
    first = rng.random(n) < 0.6
    x = np.where(first, vonmises.rvs(3.0, loc=np.pi * 1.6, size=n, random_state=rng),
                 vonmises.rvs(2.0, loc=np.pi * 0.4, size=n, random_state=rng))
    x = np.mod(x, TWO_PI)
    fit = fit_activity(x, n_boot=200, seed=3)
    truth = _mixture_pdf(fit.grid)
    inside = (fit.lower <= truth) & (truth <= fit.upper)
    # Pointwise 95% percentile band: kernel smoothing bias at the peaks keeps it a little below 95% in places.
    assert inside.mean() > 0.8
    true_level = 1 / (TWO_PI * truth.max())
    assert fit.level_ci[0] < true_level < fit.level_ci[1]


def test_one_record_is_refused():
    with pytest.raises(AnalysisError, match="Panthera pardus.*at least 2"):
        fit_activity(np.array([1.0]), what="Panthera pardus")
