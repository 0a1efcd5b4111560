"""Sessions together, h2 mixtures, density on mask covariates, the AIC table, masks and habitat from files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from bigcats.population import PopulationError, fit_scr, grid_traps, make_mask, simulate_capthist
from bigcats.population import scr
from bigcats.population.mask import clip_mask, mask_spacing, read_habitat
from bigcats.population.scr import aic_table, detectfn_name, parse_density_model, region_n
from bigcats.population.secr_io import read_capthist, read_mask, read_traps, write_mask


@pytest.fixture(scope="module")
def grid():
    traps = grid_traps(7, 7, 20.0)
    mask = make_mask(traps[["x", "y"]].to_numpy(), 75, nx=24)
    mask.covariates = pd.DataFrame({"side": np.where(mask.xy[:, 0] < 60, "A", "B"), "east": mask.xy[:, 0] / 100})
    return traps, mask


@pytest.mark.parametrize("detectfn", ["HN", "HHN", "EX"])
def test_general_gradient_matches_finite_differences(secr_dir, detectfn):
    ch = read_capthist(secr_dir / "capt.txt", secr_dir / "trap.txt", detector="proximity")["1"]
    mask = make_mask(ch.xy, 100, nx=20)
    mask.covariates = pd.DataFrame({"side": np.where(mask.xy[:, 0] < 450, "W", "E"), "north": mask.xy[:, 1] / 100})
    names, xs, _ = scr._density_design(["side", "north"], ["1"], [mask])
    prep = scr._prepare(ch, mask, detectfn, np.zeros(ch.n, int), ["h1", "h2"], True)
    sessions = [scr._Session("1", prep, xs[0]), scr._Session("2", prep, xs[0])]
    for full, distribution in ((True, "poisson"), (True, "binomial"), (False, "poisson")):
        model = scr._Model(full, distribution, detectfn, ["h1", "h2"], True, True, True, names)
        beta = np.r_[[1.7, 0.3, -0.1][: 3 if full else 0], -1.0, -0.5, 3.2, 3.5, 0.4]
        _, grad = scr._loglik(sessions, model, beta, True)
        numeric = scr._gradient(lambda b: scr._loglik(sessions, model, b), beta, 1e-6)
        assert np.allclose(grad, numeric, rtol=1e-5, atol=1e-5)
    known = scr._prepare(ch, mask, detectfn, ch.covariates["cov1"].astype(int).to_numpy() - 1, ["1", "2"], True)
    model = scr._Model(False, "poisson", detectfn, ["1", "2"], False, True, True, names)
    beta = np.array([-1.0, -0.5, 3.2, 3.4])
    _, grad = scr._loglik([scr._Session("1", known, xs[0])], model, beta, True)
    numeric = scr._gradient(lambda b: scr._loglik([scr._Session("1", known, xs[0])], model, b), beta, 1e-6)
    assert np.allclose(grad, numeric, rtol=1e-5, atol=1e-5)


def test_sessions_together_share_detection_and_estimate_density_per_session(grid, tmp_path):
    traps, mask = grid
    rng = np.random.default_rng(7)
    chs = {s: simulate_capthist(rng, traps, mask, d, 0.2, 15.0, 5, session=s)[0]
           for s, d in (("2019", 20.0), ("2020", 30.0), ("2021", 40.0))}
    by_session = fit_scr(chs, mask, density="~session")
    trend = fit_scr(chs, mask, density="~Session")
    same = fit_scr(chs, mask)
    est = by_session.estimates.set_index("parameter")
    assert {"D[2019]", "D[2020]", "D[2021]", "g0", "sigma", "D ratio 2021/2020"} <= set(est.index)
    assert est.loc["D[2019]", "estimate"] < est.loc["D[2021]", "estimate"]
    # Shared detection: one g0 and sigma for all sessions; the log-likelihood is the sum over sessions.
    assert by_session.npar == 5 and trend.npar == 4 and same.npar == 3
    assert by_session.loglik >= trend.loglik - 1e-6 >= same.loglik - 1e-6
    r = trend.estimates.set_index("parameter")
    assert r.loc["D ratio 2020/2019", "estimate"] == pytest.approx(r.loc["D ratio 2021/2020", "estimate"])
    table = aic_table({"session": by_session, "trend": trend, "constant": same})
    assert table.iloc[-1]["name"] == "constant"  # three sessions with D 20, 30, 40: one D is far worse
    assert table["AICcwt"].sum() == pytest.approx(1.0)
    assert list(table["AICc"]) == sorted(table["AICc"])
    # Per-session quantities come from the session's own mask and posterior.
    n_2020 = region_n(by_session, np.ones(len(mask), bool), "2020")
    assert n_2020["E.N"] == pytest.approx(est.loc["D[2020]", "estimate"] * mask.area_ha, rel=1e-9)
    with pytest.raises(PopulationError, match="no session"):
        by_session.posterior("1999")
    # secr's verify() refuses a plain list of masks ("argument is of length zero"): the script gives it the class
    # make.mask() gives multi-session masks, by session (checked with secr 5.5.0).
    from bigcats.population.secr_io import write_secr_script

    write_secr_script(tmp_path / "refit.R", by_session)
    text = (tmp_path / "refit.R").read_text()
    assert 'class(mask) <- c("mask", "list"); names(mask) <- session(ch)' in text
    assert "model = list(D ~ session" in text


def test_density_on_a_mask_covariate_gives_density_per_side_from_one_model(grid):
    traps, mask = grid
    rng = np.random.default_rng(11)
    surface = np.where(mask.covariates["side"] == "A", 15.0, 45.0)
    ch, _ = simulate_capthist(rng, traps, mask, surface, 0.2, 15.0, 5)
    fit = fit_scr(ch, mask, density="~side")
    est = fit.estimates.set_index("parameter")
    assert est.loc["D[side=A]", "estimate"] < est.loc["D[side=B]", "estimate"]
    a = region_n(fit, (mask.covariates["side"] == "A").to_numpy())
    b = region_n(fit, (mask.covariates["side"] == "B").to_numpy())
    whole = region_n(fit, np.ones(len(mask), bool))
    assert a["E.N"] + b["E.N"] == pytest.approx(whole["E.N"], rel=1e-9)
    assert a["E.N"] / a["area_ha"] == pytest.approx(est.loc["D[side=A]", "estimate"], rel=1e-9)
    numeric = fit_scr(ch, mask, density="~east")
    assert "D.east" in set(numeric.coefficients["parameter"])
    with pytest.raises(PopulationError, match="mask covariate 'habitat' is missing"):
        fit_scr(ch, mask, density="~habitat")
    with pytest.raises(PopulationError, match="full likelihood"):
        fit_scr(ch, mask, density="~side", likelihood="conditional")


def test_h2_mixture_beats_one_class_on_two_class_data(grid):
    traps, mask = grid
    rng = np.random.default_rng(3)
    ch, truth = simulate_capthist(rng, traps, mask, 40.0, (0.1, 0.4), (10.0, 20.0), 5, pmix=(0.5, 0.5))
    mix = fit_scr(ch, mask, mixture="h2")
    one = fit_scr(ch, mask)
    est = mix.estimates.set_index("parameter")
    assert {"g0[h1]", "g0[h2]", "sigma[h1]", "sigma[h2]", "pmix[h2]", "pmix[h1]"} <= set(est.index)
    assert est.loc["pmix[h1]", "estimate"] + est.loc["pmix[h2]", "estimate"] == pytest.approx(1.0)
    assert mix.npar == 6 and mix.loglik > one.loglik
    assert aic_table({"h2": mix, "null": one}).iloc[0]["name"] == "h2"
    assert mix.model_formula == "D~1 g0~h2 sigma~h2"
    with pytest.raises(PopulationError, match="either a class covariate or a mixture"):
        fit_scr(ch, mask, mixture="h2", covariate="sex")


def test_aic_table_refuses_models_of_different_data(grid, captdata_full):
    traps, mask = grid
    ch, _ = simulate_capthist(np.random.default_rng(5), traps, mask, 30.0, 0.2, 15.0, 5)
    with pytest.raises(PopulationError, match="same data"):
        aic_table({"a": fit_scr(ch, mask), "b": captdata_full})


def test_detectfn_codes_and_density_formulas():
    assert [detectfn_name(c) for c in (0, "14", 2, "hn")] == ["HN", "HHN", "EX", "HN"]
    with pytest.raises(PopulationError, match="code 1 is not fitted"):
        detectfn_name(1)
    assert parse_density_model("D ~ session + side") == ["session", "side"]
    assert parse_density_model("~1") == []
    for bad in ("session", "~session*side", "~log(x)"):
        with pytest.raises(PopulationError):
            parse_density_model(bad)


def test_secr_mask_file_round_trip_and_spacing(tmp_path, captdata):
    _, mask = captdata
    mask = clip_mask(mask, shapely.box(0, 0, 10_000, 10_000))
    mask.covariates = pd.DataFrame({"habitat": np.where(mask.xy[:, 1] > 400, "forest", "open"), "elev": mask.xy[:, 0]})
    write_mask(tmp_path / "m.txt", mask)
    again = read_mask(tmp_path / "m.txt")
    assert again.spacing == pytest.approx(7.34375, rel=1e-6)  # derived as read.mask: median nearest distance
    assert len(again) == len(mask) and list(again.covariates.columns) == ["habitat", "elev"]
    assert again.covariates["elev"].dtype.kind == "f"
    # secr's write.mask: '#' comment lines, then a header; read.table with header = TRUE.
    (tmp_path / "w.txt").write_text("# Habitat mask points exported from m\n# Tue\nx y\n0 0\n10 0\n0 10\n10 10\n30 30\n")
    small = read_mask(tmp_path / "w.txt")
    assert small.spacing == pytest.approx(10.0) and small.covariates is None
    (tmp_path / "h.csv").write_text("x,y,HABITAT\n0,0,1\n5,0,1\n10,0,0\n")
    assert len(read_mask(tmp_path / "h.csv")) == 2  # secr drops rows with HABITAT other than 1
    (tmp_path / "bad.txt").write_text("x y\n0 zero\n")
    with pytest.raises(PopulationError, match="line 2"):
        read_mask(tmp_path / "bad.txt")
    assert mask_spacing(np.array([[0, 0], [0, 0], [3, 4]])) == pytest.approx(5.0)


def test_habitat_polygons_from_geopackage_clip_the_mask(tmp_path, captdata):
    import geopandas as gpd

    ch, mask = captdata
    west = shapely.box(200, 200, 500, 700)
    gpd.GeoDataFrame({"name": ["west"]}, geometry=[west], crs="EPSG:32652").to_file(tmp_path / "h.gpkg")
    habitat = read_habitat(tmp_path / "h.gpkg", "EPSG:32652")
    clipped = clip_mask(mask, habitat)
    assert 0 < len(clipped) < len(mask) and clipped.xy[:, 0].max() <= 500
    gpd.GeoDataFrame(geometry=[shapely.box(130, 42, 131, 43)], crs="EPSG:4326").to_file(tmp_path / "ll.gpkg")
    with pytest.raises(PopulationError, match="longitude/latitude"):
        read_habitat(tmp_path / "ll.gpkg")
    (tmp_path / "junk.gpkg").write_bytes(b"not a geopackage")
    with pytest.raises(PopulationError, match="cannot read"):
        read_habitat(tmp_path / "junk.gpkg")
    with pytest.raises(PopulationError, match="no point lies in the habitat"):
        clip_mask(mask, shapely.box(1e6, 1e6, 1e6 + 1, 1e6 + 1))


def test_usage_counts_need_binary_usage_false(tmp_path):
    (tmp_path / "t.txt").write_text("A 0 0 344\nB 100 0 120\nC 0 100 1\n")
    with pytest.raises(PopulationError, match="binary_usage=False"):
        read_traps(tmp_path / "t.txt")
    traps, usage = read_traps(tmp_path / "t.txt", binary_usage=False)
    assert usage.tolist() == [[344.0], [120.0], [1.0]]
    (tmp_path / "u.txt").write_text("A 0 0 1101\nB 100 0 11\n")
    with pytest.raises(PopulationError, match="same number of occasions"):
        read_traps(tmp_path / "u.txt")


def _truth(make, fit, true: dict, reps: int) -> dict:
    """Relative bias and 95% interval coverage of each true value over `reps` simulated surveys."""
    est = {k: [] for k in true}
    cover = {k: 0 for k in true}
    for i in range(reps):
        table = fit(make(i)).estimates.set_index("parameter")
        for k, v in true.items():
            est[k].append(table.loc[k, "estimate"])
            cover[k] += table.loc[k, "lcl"] <= v <= table.loc[k, "ucl"]
    return {k: (float(np.mean(est[k]) / v - 1), cover[k] / reps) for k, v in true.items()}


# Fast truth checks (12 surveys each; bias within 10% and at least 9 of 12 intervals covering, which a correct
# estimator fails with probability under 2%); the 200-survey versions (bias < 5%, coverage 92-98%) are in
# benchmarks/bench_population.py --truth-only.
def test_sessions_together_recover_the_truth(grid):
    traps, mask = grid
    rng = np.random.default_rng(2026)
    out = _truth(lambda i: {s: simulate_capthist(rng, traps, mask, d, 0.2, 15.0, 5, session=s)[0]
                            for s, d in (("1", 20.0), ("2", 25.0), ("3", 30.0))},
                 lambda c: fit_scr(c, mask, density="~session"), {"D[1]": 20.0, "D[3]": 30.0, "sigma": 15.0}, 12)
    for name, (bias, cover) in out.items():
        assert abs(bias) < 0.10 and cover >= 9 / 12, (name, bias, cover)


def test_density_on_a_mask_covariate_recovers_the_truth(grid):
    traps, mask = grid
    rng = np.random.default_rng(2027)
    surface = np.where(mask.covariates["side"] == "A", 15.0, 35.0)
    out = _truth(lambda i: simulate_capthist(rng, traps, mask, surface, 0.2, 15.0, 5)[0],
                 lambda c: fit_scr(c, mask, density="~side"), {"D[side=A]": 15.0, "D[side=B]": 35.0}, 12)
    for name, (bias, cover) in out.items():
        assert abs(bias) < 0.10 and cover >= 9 / 12, (name, bias, cover)


def test_h2_mixture_recovers_the_truth(grid):
    traps, mask = grid
    rng = np.random.default_rng(2028)
    # h1 is the class with the lower g0 (0.1), h2 the higher (0.4) with pmix 0.6
    out = _truth(lambda i: simulate_capthist(rng, traps, mask, 40.0, (0.1, 0.4), (10.0, 18.0), 10, pmix=(0.4, 0.6))[0],
                 lambda c: fit_scr(c, mask, mixture="h2"), {"D": 40.0, "pmix[h2]": 0.6, "g0[h2]": 0.4}, 12)
    for name, (bias, cover) in out.items():
        assert abs(bias) < 0.10 and cover >= 9 / 12, (name, bias, cover)
