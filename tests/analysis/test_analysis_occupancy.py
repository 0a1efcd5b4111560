"""Occupancy: unmarked's published frog fit, simulation recovery, clear refusals."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from scipy.stats import chi2

from bigcats.analysis.errors import AnalysisError
from bigcats.analysis.occupancy import OccupancyData, fit_occupancy, long_to_occupancy


@pytest.fixture(scope="module")
def frogs(shared_data):
    f = pd.read_csv(shared_data("reference", "unmarked") / "frog2001pcru.csv")
    return long_to_occupancy(f, "RouteNumStopNum", "Pcru", "JulianDate", obs_covs=["MinAfterSunset", "Temperature"])


def test_unmarked_frog_reference(frogs):
    fit = fit_occupancy(frogs, p_covs=["MinAfterSunset", "Temperature"])
    s = fit.summary()
    assert frogs.y.shape == (130, 3)
    assert s["psi_at_mean"] == pytest.approx(0.823, abs=1e-3)
    assert s["p_at_mean"] == pytest.approx(0.552, abs=1e-3)
    assert s["negLogLik"] == pytest.approx(174.380, abs=1e-3)
    assert s["aic"] == pytest.approx(2 * 174.380 + 2 * 4, abs=2e-3)
    null = fit_occupancy(frogs)
    assert null.aic > fit.aic  # temperature matters for calling frogs


def test_simulated_occupancy_recovered():
    rng = np.random.default_rng(7)
    m, j = 300, 5
    elev = rng.normal(0, 1, m)
    effort = rng.uniform(3, 7, (m, j))
    beta, alpha = np.array([0.3, 0.8]), np.array([-0.5, 0.6])
    z = rng.random(m) < expit(beta[0] + beta[1] * elev)
    y = (rng.random((m, j)) < expit(alpha[0] + alpha[1] * (effort - 5))) & z[:, None]
    y = y.astype(float)
    y[rng.random((m, j)) < 0.1] = np.nan
    sites = [f"S{i}" for i in range(m)]
    data = OccupancyData(pd.DataFrame(y, index=sites), pd.DataFrame({"elevation": elev}, index=sites),
                         {"effort": pd.DataFrame(effort - 5, index=sites)})
    fit = fit_occupancy(data, psi_covs=["elevation"], p_covs=["effort"], standardise=False)
    diff = fit.coef["estimate"].to_numpy() - np.concatenate([beta, alpha])
    # Joint Wald test of the generating values at the 99% level, using the fitted covariance.
    assert diff @ np.linalg.solve(fit.vcov, diff) < chi2.ppf(0.99, 4)
    assert (np.abs(diff) < 3 * fit.coef["se"].to_numpy()).all()
    pred = fit.predict_psi()
    assert pred["psiConditional"][pred["detected"]].eq(1).all()
    assert fit.naive_occupancy < expit(beta[0])  # naive occupancy ignores imperfect detection


def test_missing_covariate_is_named(frogs):
    temp = frogs.obs_covs["Temperature"].copy()
    temp.iloc[4, 1] = np.nan
    bad = OccupancyData(frogs.y, frogs.site_covs, {**frogs.obs_covs, "Temperature": temp})
    with pytest.raises(AnalysisError, match=f"Temperature.*{frogs.y.index[4]}"):
        fit_occupancy(bad, p_covs=["Temperature"])
    with pytest.raises(AnalysisError, match="not among the site covariates"):
        fit_occupancy(frogs, psi_covs=["forest"])
