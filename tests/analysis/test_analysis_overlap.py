"""Overlap: the R package overlap's published estimates and bandwidths for its simulated tiger and pig data."""

import numpy as np
import pandas as pd
import pytest

from bigcats.analysis.errors import AnalysisError
from bigcats.analysis.kernel import bandwidth
from bigcats.analysis.overlap import boot_ci, overlap, overlap_estimates


@pytest.fixture(scope="module")
def tiger_pig(shared_data):
    d = pd.read_csv(shared_data("reference", "overlap") / "simulated_observations.csv")
    return d.loc[d.species == "tiger", "time_radians"].to_numpy(), d.loc[d.species == "pig", "time_radians"].to_numpy()


def test_overlap_estimates_match_overlap_package(tiger_pig):
    tiger, pig = tiger_pig
    est = overlap_estimates(tiger, pig)
    assert est["Dhat1"] == pytest.approx(0.29086, abs=1e-4)
    assert est["Dhat4"] == pytest.approx(0.26920, abs=1e-4)
    assert est["Dhat5"] == pytest.approx(0.22750, abs=1e-4)
    assert bandwidth(tiger) == pytest.approx(29.9065, abs=1e-4)
    assert bandwidth(pig) == pytest.approx(10.4208, abs=1e-4)


def test_smoothed_bootstrap_interval_covers_true_overlap(tiger_pig):
    res = overlap(*tiger_pig, n_boot=300, seed=2)
    lo, hi = res.ci["Dhat4"]["basic0"]
    assert lo < 0.2910917 < hi  # the generating densities' true overlap
    assert np.isfinite(res.boot).all()


def test_boot_ci_basic0_is_percentile_minus_bias():
    bt = np.random.default_rng(0).normal(0.5, 0.05, 999)
    ci = boot_ci(0.45, bt)
    bias = bt.mean() - 0.45
    assert ci["basic0"][0] == pytest.approx(ci["perc"][0] - bias)
    assert ci["basic"][1] == pytest.approx(2 * 0.45 - ci["perc"][0])


def test_too_few_records_is_refused():
    with pytest.raises(AnalysisError, match="at least 2"):
        overlap_estimates(np.array([1.0]), np.array([1.0, 2.0, 3.0]), names=("Panthera tigris", "Sus scrofa"))
