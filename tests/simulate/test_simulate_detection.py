"""The detection process matches its model: half-normal in distance, rhythm in time of day, Poisson in number."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bigcats.simulate import Rhythm
from bigcats.simulate.detection import draw_events, weighted_effort

TIGER = "Panthera tigris altaica"
LEOPARD = "Panthera pardus orientalis"


def _local_days(ts: pd.Series, offset_min: np.ndarray) -> np.ndarray:
    start = pd.Timestamp("2024-01-01")
    local = ts.dt.tz_convert("UTC").dt.tz_localize(None) + pd.to_timedelta(offset_min, unit="min")
    return ((local - start).dt.total_seconds() / 86400).to_numpy()


def _weighted_effort_from_frames(survey, rhythm: Rhythm) -> pd.Series:
    """Rhythm-weighted working days per deployment, recomputed from the deployment and outage frames."""
    dep = survey.frame("deployments")
    out = survey.frame("outages").merge(dep[["deploymentID", "utcOffset"]], on="deploymentID")
    whole = rhythm.weighted_days(_local_days(dep["deploymentStart"], dep["utcOffset"].to_numpy()),
                                 _local_days(dep["deploymentEnd"], dep["utcOffset"].to_numpy()))
    lost = rhythm.weighted_days(_local_days(out["start"], out["utcOffset"].to_numpy()),
                                _local_days(out["end"], out["utcOffset"].to_numpy()))
    lost = pd.Series(lost).groupby(out["deploymentID"].to_numpy()).sum()
    return pd.Series(whole - dep["deploymentID"].map(lost).fillna(0).to_numpy(), index=dep["deploymentID"])


@pytest.mark.parametrize("species", [TIGER, LEOPARD])
def test_detections_follow_the_half_normal_model(survey, species):
    truth = survey.truth
    cat = truth.cats[species]
    rhythm = truth.rhythms[species]
    effort = _weighted_effort_from_frames(survey, rhythm)
    dep = survey.frame("deployments").set_index("deploymentID")
    st = truth.stations.set_index("locationID")
    sx = st.loc[dep["locationID"], "x"].to_numpy()
    sy = st.loc[dep["locationID"], "y"].to_numpy()
    c = cat.centres
    d = np.hypot(c["x"].to_numpy()[:, None] - sx[None, :], c["y"].to_numpy()[:, None] - sy[None, :])
    expected = cat.g0 * np.exp(-d ** 2 / (2 * cat.sigma_m ** 2)) * effort.to_numpy()[None, :]
    np.testing.assert_allclose(
        truth.expected[truth.expected["label"] == species].set_index("deploymentID").loc[dep.index,
                                                                                         "expected_events"],
        expected.sum(axis=0), rtol=1e-6)

    ev = truth.events[truth.events["scientificName"] == species]
    assert len(ev) > 300
    total = expected.sum()
    assert abs(len(ev) - total) < 4 * np.sqrt(total)
    # The shape in distance: counts in bands of sigma agree with the half-normal expectation.
    ind = pd.Series(np.arange(len(c)), index=c["trueID"]).loc[ev["trueID"]].to_numpy()
    col = pd.Series(np.arange(len(dep)), index=dep.index).loc[ev["deploymentID"]].to_numpy()
    edges = np.array([0, 1, 2, 3, np.inf]) * cat.sigma_m
    seen = np.histogram(d[ind, col], edges)[0]
    exp_band = np.array([expected[(d >= lo) & (d < hi)].sum() for lo, hi in zip(edges[:-1], edges[1:])])
    assert (np.abs(seen - exp_band) < 4 * np.sqrt(exp_band) + 5).all(), (seen, exp_band)


@pytest.mark.parametrize("label", [TIGER, "Homo sapiens", "Cervus nippon"])
def test_times_of_day_follow_the_species_rhythm(survey, label):
    ev = survey.truth.events
    ev = ev[ev["label"] == label]
    offset = np.where(ev["partner"] == "LLNP", 600, 480)
    frac = np.mod(_local_days(ev["eventStart"], offset), 1.0)
    rhythm = survey.truth.rhythms[label]
    ks = stats.kstest(frac, lambda f: rhythm.cumulative(np.asarray(f)))
    assert ks.statistic < 0.05, ks
    # And not what a flat rhythm would give.
    assert stats.kstest(frac, "uniform").statistic > 0.08


def test_rhythm_integrates_to_one_day_and_samples_its_own_density():
    rhythm = Rhythm(means_h=(6.0, 20.0), kappas=(3.0, 1.0), weights=(2.0, 1.0))
    np.testing.assert_allclose(rhythm.weighted_days(np.array([0.0, 3.25]), np.array([1.0, 4.25])), [1.0, 1.0])
    np.testing.assert_allclose(rhythm.weighted_days(np.array([2.0]), np.array([12.0])), [10.0])
    hours = np.linspace(0, 24, 2001)
    assert np.trapezoid(rhythm.density(hours), hours / 24) == pytest.approx(1.0, abs=1e-6)
    draws = rhythm.sample_day_fraction(np.random.default_rng(3), 20_000)
    assert stats.kstest(draws, lambda f: rhythm.cumulative(np.asarray(f))).pvalue > 1e-3


def test_poisson_thinning_is_exact_on_a_known_design():
    """Many cameras, one constant rate: the count matches rate x working days, and failures are respected."""
    rng = np.random.default_rng(11)
    n = 400
    start = rng.integers(0, 5 * 86400, n)
    end = start + rng.integers(20 * 86400, 40 * 86400, n)
    out_start = np.where(np.arange(n) % 2 == 0, start + 5 * 86400, -1)
    out_end = np.where(np.arange(n) % 2 == 0, start + 12 * 86400 + 3600, -1)
    flat = Rhythm(means_h=(0.0,), kappas=(0.0,), weights=(1.0,))
    rates = np.full((1, n), 0.4)
    ev = draw_events(rng, rates, start, end, out_start, out_end, flat, (0, 400), max_photos=1)
    has = out_start >= 0
    dep = np.concatenate([np.arange(n), np.flatnonzero(has), np.flatnonzero(~has)])
    ws = np.concatenate([start, out_end[has], start[~has]])
    we = np.concatenate([np.where(has, out_start, end), end[has], start[~has]])
    effort = weighted_effort(flat, dep, ws, we, n, (0, 400))
    np.testing.assert_allclose(effort, (end - start - np.where(has, out_end - out_start, 0)) / 86400)
    total = (rates[0] * effort).sum()
    assert abs(len(ev) - total) < 4 * np.sqrt(total)
    assert not ((ev.start_s < out_end[ev.dep]) & (ev.end_s > out_start[ev.dep])).any()
    assert (ev.start_s >= start[ev.dep]).all() and (ev.end_s <= end[ev.dep]).all()
