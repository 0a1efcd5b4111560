"""bigcats against secr 5.5.0 itself: each expected value was computed once with the R call in the test's comment
(secr 5.5.0 built from github.com/MurrayEfford/secr 712df0b, R 4.2.2, setNumThreads(1)) and written here.

Tolerances: -LL and AIC agree to 1e-8 relative (both are exact functions of the data at the optimum). Estimates
agree to 1e-4 (in fact about 1e-5: secr's nlm optimum is itself only good to a few 1e-6; its full and
conditional fits of captdata differ by 3e-6 in lambda0). SEs and intervals come from each side's numerical
Hessian: secr's (nlm's finite differences of a finite-difference gradient) differs from its own other fit of the
same detection parameters by up to 1.3e-5 and from bigcats' (central differences of the analytic gradient,
identical between full and conditional fits) by up to 4e-4 (captdata: 3.5e-4 for SE(sigma), stoat: 3.6e-4 for
SE(g0)), so SEs and intervals are held to 5e-4; on captdata D's SE and every interval agree to 1e-4.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bigcats.population import PopulationError, fit_scr, make_mask, read_capthist
from bigcats.population.secr_io import read_mask

DATA = Path(__file__).resolve().parents[1] / "data"

# secr.fit(read.capthist("capt.txt", "trap.txt", fmt = "XY", detector = "multi"), buffer = 100,
#          detectfn = FN, CL = CL, trace = FALSE); predict(fit); derived(fit) for CL.
CAPTDATA = {
    ("HN", "full"): (759.025745732, {"D": (5.479798556736, 0.6467403695430, 4.351617880187, 6.900466228693),
                                     "g0": (0.273190663018, 0.0270512827428, 0.223476992226, 0.329273959958),
                                     "sigma": (29.365834838213, 1.3049382014794, 26.917573819391, 32.036774990619)}),
    ("HN", "conditional"): (755.940344043, {"g0": (0.273190643426, 0.0270513708551, 0.223476822096, 0.329274132894),
                                            "sigma": (29.365836052809, 1.3049550790883, 26.917544752759, 32.036812235337),
                                            "D": (5.47980741891, 0.644554097839, 4.35499565832, 6.89513646035)}),
    ("HHN", "full"): (758.86811021, {"D": (5.484623794621, 0.6470293691726, 4.355881781727, 6.905857338625),
                                     "lambda0": (0.306986153576, 0.0341327789157, 0.247039871806, 0.381478899736),
                                     "sigma": (28.764338602165, 1.3005469659437, 26.326184886164, 31.428297673881)}),
    ("HHN", "conditional"): (755.78270852, {"lambda0": (0.306985194465, 0.0341328454734, 0.247038829315, 0.381478125856),
                                            "sigma": (28.764416503376, 1.3005714390913, 26.326218659331, 31.428427587203),
                                            "D": (5.48461062921, 0.644842494945, 4.35923935106, 6.90050518716)}),
    ("EX", "full"): (767.119533264, {"D": (5.375984226351, 0.6391246678085, 4.262040966743, 6.781071938888),
                                     "g0": (0.662836670388, 0.0734724351021, 0.507900706324, 0.789234412944),
                                     "sigma": (18.619871600632, 1.0266193742319, 16.714012031576, 20.743051863851)}),
    ("EX", "conditional"): (764.034131574, {"g0": (0.662835111407, 0.0734723002639, 0.507899624244, 0.789232812354),
                                            "sigma": (18.619890948159, 1.0266269930494, 16.714017897582, 20.743087691170),
                                            "D": (5.37596290054, 0.636929703547, 4.2653965519, 6.77568351649)}),
}


def check(fit, ll: float, expected: dict, npar: int | None = None, se_rel: float = 5e-4) -> None:
    est = fit.estimates.set_index("parameter")
    assert -fit.loglik == pytest.approx(ll, rel=1e-8)
    if npar is not None:
        assert fit.aic == pytest.approx(2 * ll + 2 * npar, rel=1e-8)
    for name, (value, se, lcl, ucl) in expected.items():
        assert est.loc[name, "estimate"] == pytest.approx(value, rel=1e-4), name
        assert est.loc[name, "SE"] == pytest.approx(se, rel=se_rel), name
        assert est.loc[name, "lcl"] == pytest.approx(lcl, rel=se_rel), name
        assert est.loc[name, "ucl"] == pytest.approx(ucl, rel=se_rel), name


@pytest.mark.parametrize("detectfn,likelihood", list(CAPTDATA))
def test_captdata_equals_secr(captdata, detectfn, likelihood):
    ll, expected = CAPTDATA[(detectfn, likelihood)]
    fit = fit_scr(*captdata, detectfn=detectfn, likelihood=likelihood)
    check(fit, ll, expected, 3 if likelihood == "full" else 2)


def test_real_stoat_hair_tube_survey_equals_secr():
    # secr.fit(stoatCH, buffer = 1000, trace = FALSE); CL = TRUE with derived(fit) for D.
    ch = next(iter(read_capthist(DATA / "secr-stoat" / "stoatcapt.txt", DATA / "secr-stoat" / "stoattrap.txt").values()))
    mask = make_mask(ch.xy, 1000)
    check(fit_scr(ch, mask), 144.001516945, {
        "D": (0.0223629599344, 0.00654249629574, 0.0127525533711, 0.0392158309379),
        "g0": (0.0514652517715, 0.02170414473714, 0.0221954316658, 0.1148022688544),
        "sigma": (257.9159853576058, 44.74585909791443, 184.0334246649089, 361.4596404110105)},
        # 20 stoats: a flat likelihood, where nlm's finite-difference Hessian is noisier (SE(sigma) 5.9e-4 apart).
        se_rel=1e-3)
    cl = fit_scr(ch, mask, likelihood="conditional").estimates.set_index("parameter").loc["D"]
    assert cl["estimate"] == pytest.approx(0.0223629971844, rel=1e-4)
    assert cl["SE"] == pytest.approx(0.00640857837084, rel=1e-3)
    assert cl["lcl"] == pytest.approx(0.0128942922101, rel=1e-4) and cl["ucl"] == pytest.approx(0.0387848851974, rel=1e-4)


def test_real_possum_survey_with_secrs_own_mask_file_equals_secr():
    # secr.fit(possumCH, mask = possummask, trace = FALSE): single-catch traps fitted as multi-catch, as secr does.
    folder = DATA / "secr-possum"
    ch = next(iter(read_capthist(folder / "possumcapt.txt", folder / "possumtrap.txt").values()))
    mask = read_mask(folder / "possummask.txt")
    assert len(mask) == 5120 and mask.spacing == pytest.approx(20.0) and list(mask.covariates.columns) == ["d.to.shore"]
    check(fit_scr(ch, mask), 1097.10716584, {
        "D": (1.69179258301, 0.174433791068, 1.382977566613, 2.069565127458),
        "g0": (0.19224251613, 0.021814256741, 0.153055175369, 0.238636158788),
        "sigma": (51.49592432131, 2.556447898486, 46.724221044737, 56.754936998664)}, se_rel=1e-3)


def _constructed(name: str, **kwargs):
    folder = DATA / "secr-constructed"
    return read_capthist(folder / f"{name}_capt.txt", folder / f"{name}_trap.txt", detector="proximity", **kwargs)["1"]


def test_shared_histories_give_secrs_log_likelihood():
    # ch <- read.capthist("shared_capt.txt", "shared_trap.txt", detector = "proximity")
    # secr.fit(ch, buffer = 60, trace = FALSE)                                      -LL 121.360571876
    # secr.fit(ch, buffer = 60, trace = FALSE, details = list(fastproximity = FALSE)) -LL 202.118993928
    ch = _constructed("shared")
    mask = make_mask(ch.xy, 60)
    fast = fit_scr(ch, mask)
    check(fast, 121.360571876, {"D": (27.99026947653, 5.1754053099481, 19.540722528948, 40.09346042391),
                                "g0": (0.25190478864, 0.0581451583084, 0.155353033884, 0.38136947568),
                                "sigma": (10.29685436019, 1.0482855875821, 8.438594194681, 12.56432141054)}, 3)
    slow = fit_scr(ch, mask, fastproximity=False)
    check(slow, 202.118993928, {"D": (27.990215320356, 5.1753972691754, 19.540682089013, 40.093388250780)}, 3)
    # Identical histories count: S1-S4 are one collapsed history (4!), P1-P2 one history either way (2!).
    from bigcats.population.scr import history_keys, logmultinom

    import numpy as np

    zeros = np.zeros(ch.n, int)
    unique = logmultinom(np.arange(ch.n), zeros)
    # (simulated animals seen once may share a collapsed history too, so at least these)
    collapsed = unique - logmultinom(history_keys(ch, True), zeros)
    assert collapsed >= np.log(24 * 2) - 1e-9
    assert unique - logmultinom(history_keys(ch, False), zeros) == pytest.approx(np.log(2), abs=1e-9)
    sub = ch.subset_traps(np.isin(ch.traps["trapID"], ["8", "15", "16"]))
    keep = np.isin(sub.animals, ["S1", "S2", "S3", "S4", "P1", "P2"])
    assert keep.sum() == 6


def test_camera_day_usage_fits_secrs_binomial_and_the_bernoulli_model_by_name():
    # ch <- read.capthist("effort_capt.txt", "effort_trap.txt", detector = "proximity", binary.usage = FALSE)
    # secr.fit(ch, buffer = 2000, trace = FALSE)                    (fastproximity: binomial, size = camera-days)
    # secr.fit(ch, buffer = 2000, trace = FALSE, details = list(fastproximity = FALSE))  (1 - (1 - g)^usage)
    # secr.fit(ch, buffer = 2000, CL = TRUE, trace = FALSE); derived(fit)
    ch = _constructed("effort", binary_usage=False)
    assert ch.noccasions == 1 and ch.usage.max() == 40 and ch.usage.min() == 0
    mask = make_mask(ch.xy, 2000)
    check(fit_scr(ch, mask), 97.6320769985, {
        "D": (0.0159976972565, 5.58704512995e-03, 8.22799695712e-03, 0.0311043281669),
        "g0": (0.0150228278643, 4.05759188726e-03, 8.83203795367e-03, 0.0254416473388),
        "sigma": (544.7376338952163, 1.03795547607e+02, 3.76219560016e+02, 788.7391335239361)}, 3, se_rel=2e-3)
    check(fit_scr(ch, mask, fastproximity=False), 92.5093759539, {
        "D": (0.0161940523043, 0.00519765639261, 8.76641255267e-03, 0.0299150112386),
        "g0": (0.0206667306106, 0.00583733760703, 1.18486387028e-02, 0.0358096707480),
        "sigma": (490.9938300825871, 83.91660143523949, 3.52080219103e+02, 684.7159485221623)}, 3, se_rel=2e-3)
    cl = fit_scr(ch, mask, likelihood="conditional")
    assert -cl.loglik == pytest.approx(95.353558631, rel=1e-8)
    d = cl.estimates.set_index("parameter").loc["D"]
    assert d["estimate"] == pytest.approx(0.0159977003892, rel=1e-4)
    assert d["SE"] == pytest.approx(0.0054264382271, rel=1e-3)


def test_bigcats_standard_errors_do_not_depend_on_the_difference_step():
    """Where secr's SEs and bigcats' part (1.5e-3 for sigma above), bigcats' Hessian is the stable one."""
    import numpy as np

    from bigcats.population import scr

    ch = _constructed("effort", binary_usage=False)
    fit = fit_scr(ch, make_mask(ch.xy, 2000))

    def grad(b):
        return -scr._loglik(fit.sessions, fit._model, b, True)[1]

    ses = [np.sqrt(np.diag(np.linalg.inv(scr.hessian_from_gradient(grad, fit.beta, h)))) for h in (1e-3, 1e-4, 1e-6)]
    for other in ses[1:]:
        assert np.allclose(other, ses[0], rtol=1e-5)
    assert np.allclose(ses[1], fit.coefficients["SE.beta"], rtol=1e-6)


def test_count_detectors_under_fastproximity_use_secrs_hazard_mean(secr_dir):
    # secr.fit(read.capthist("capt.txt", "trap.txt", fmt = "XY", detector = "count"), buffer = 100, trace = FALSE)
    ch = read_capthist(secr_dir / "capt.txt", secr_dir / "trap.txt", detector="count")["1"]
    check(fit_scr(ch, make_mask(ch.xy, 100)), 526.149124514, {
        "D": (6.400527243499, 0.7548285290789, 5.083678469889, 8.05848545250),
        "g0": (0.143275617751, 0.0143081811236, 0.117449165366, 0.17366366759),
        "sigma": (28.314067584455, 1.2431831111599, 25.980447756742, 30.85729817605)}, 3)
    # details = list(fastproximity = FALSE): occasion by occasion, the same hazard mean, other constants.
    check(fit_scr(ch, make_mask(ch.xy, 100), fastproximity=False), 873.63299192, {
        "D": (6.400529956446, 0.7548286314728, 5.083680959848, 8.058488336881),
        "g0": (0.143275656703, 0.0143081913393, 0.117449186713, 0.173663729114)}, 3)


def test_proximity_hazard_detection_equals_secr(secr_dir):
    # secr.fit(read.capthist("capt.txt", "trap.txt", fmt = "XY", detector = "proximity"), buffer = 100,
    #          detectfn = "HHN", trace = FALSE)
    ch = read_capthist(secr_dir / "capt.txt", secr_dir / "trap.txt", detector="proximity")["1"]
    check(fit_scr(ch, make_mask(ch.xy, 100), detectfn="HHN"), 527.048753361, {
        "D": (6.364681596148, 0.748704621128, 5.058130633109, 8.00872392563),
        "lambda0": (0.165324514771, 0.017642187259, 0.134202451315, 0.20366390417),
        "sigma": (27.483900044994, 1.200911120230, 25.229159260861, 29.94014798008)}, 3)


def test_known_class_covariate_conditional_equals_secr(captdata):
    # ch <- read.capthist("capt.txt", "trap.txt", fmt = "XY", detector = "multi", covnames = "cov1")
    # covariates(ch)$cov1 <- factor(covariates(ch)$cov1)
    # fit <- secr.fit(ch, buffer = 100, CL = TRUE, model = list(g0 ~ cov1, sigma ~ cov1)); derived(fit)
    fit = fit_scr(*captdata, likelihood="conditional", covariate="cov1")
    est = fit.estimates.set_index("parameter")
    assert -fit.loglik == pytest.approx(754.535318821, rel=1e-8)
    assert est.loc["g0[1]", "estimate"] == pytest.approx(0.273489126765, rel=1e-4)
    assert est.loc["sigma[1]", "estimate"] == pytest.approx(28.994822757411, rel=1e-4)
    assert est.loc["D", "estimate"] == pytest.approx(5.47884173847, rel=1e-4)
    assert est.loc["D", "SE"] == pytest.approx(0.644862357478, rel=5e-4)


def test_density_on_a_mask_covariate_equals_secr(captdata):
    # m <- make.mask(traps(ch), buffer = 100); covariates(m) <- data.frame(side = ifelse(m$x < 500, "W", "E"))
    # fit <- secr.fit(ch, mask = m, model = list(D ~ side), trace = FALSE); coef(fit)
    # -LL 758.96702149401; beta (SE.beta): D 1.739696708171 (0.1659510853848), D.sideW -0.079355365959
    # (0.2443703216130), g0 -0.978975978849 (0.1362512676451), sigma 3.380133677500 (0.0444538977322).
    # make.mask's default type is "traprect" (4,096 points), not secr.fit's trapbuffer (3,936): the 0.0059 in
    # -LL once put down to D~side was the 160 corner points.
    # At fixed beta (details = list(LLonly = TRUE)): D~side with side effect 0 equals D~1, 759.02823659117;
    # with D.sideW 0.3 (log 5.5, logit 0.27, log 29.4) 761.26207454584.
    import numpy as np

    from bigcats.population import scr
    from scipy import special

    ch, _ = captdata
    rect = make_mask(ch.xy, 100, kind="traprect")
    assert len(rect) == 4096
    with pytest.raises(PopulationError, match="traprect"):
        make_mask(ch.xy, 100, kind="rect; rm -rf /")
    rect.covariates = pd.DataFrame({"side": np.where(rect.xy[:, 0] < 500, "W", "E")})
    fit = fit_scr(ch, rect, density="~side")
    assert -fit.loglik == pytest.approx(758.96702149401, rel=1e-9)
    coef = fit.coefficients.set_index("parameter")
    for name, (beta, se) in {"D": (1.739696708171, 0.1659510853848), "D.sideW": (-0.079355365959, 0.2443703216130),
                             "g0": (-0.978975978849, 0.1362512676451), "sigma": (3.380133677500, 0.0444538977322)}.items():
        assert coef.loc[name, "beta"] == pytest.approx(beta, rel=1e-4, abs=1e-5), name
        assert coef.loc[name, "SE.beta"] == pytest.approx(se, rel=5e-4), name
    for b, ll in (([np.log(5.5), 0.0], 759.02823659117), ([np.log(5.5), 0.3], 761.26207454584)):
        beta = np.r_[b, special.logit(0.27), np.log(29.4)]
        assert -scr._loglik(fit.sessions, fit._model, beta) == pytest.approx(ll, rel=1e-11)


def test_h2_mixture_on_captdata_equals_secr_not_the_degenerate_optimum(captdata):
    # secr.fit(read.capthist("capt.txt", "trap.txt", fmt = "XY", detector = "multi"),
    #          model = list(g0 ~ h2, sigma ~ h2), buffer = 100, trace = FALSE); predict(fit)
    # -LL 758.47921735; D 5.5774839498 (SE 0.69067151902); class 1: g0 0.1547002413 (0.1104237880),
    # sigma 22.5699178266 (12.2105547469), pmix 0.1238229256 (0.1638150979); class 2: g0 0.2932205552
    # (0.03881822111), sigma 29.6324137919 (1.45642325538). The likelihood also has a higher, degenerate optimum
    # (-LL 756.85: a class with sigma 1 m, under the 7.3 m mask spacing, of 0.3 animals) that one start reaches;
    # bigcats fits from several starts and reports the best non-degenerate optimum, with a warning.
    ch, mask = captdata
    fit = fit_scr(ch, mask, mixture="h2")
    est = fit.estimates.set_index("parameter")
    assert -fit.loglik == pytest.approx(758.47921735, rel=1e-9)
    assert any("degenerate" in w for w in fit.warnings)
    # secr's class labels come from its start: match the classes by g0.
    small = min(("h1", "h2"), key=lambda c: est.loc[f"g0[{c}]", "estimate"])
    large = "h2" if small == "h1" else "h1"
    # The small class is weakly determined (SE of log sigma 0.5): secr's nlm stops within 2e-4 of the optimum
    # there (bigcats' -LL is 6e-8 lower) and its numerical Hessian differs from bigcats' by up to 2e-3 (pmix).
    for name, (value, se) in {"D": (5.5774839498, 0.69067151902), f"g0[{small}]": (0.1547002413, 0.1104237880),
                              f"sigma[{small}]": (22.5699178266, 12.2105547469),
                              f"pmix[{small}]": (0.1238229256, 0.1638150979),
                              f"g0[{large}]": (0.2932205552, 0.03881822111),
                              f"sigma[{large}]": (29.6324137919, 1.45642325538)}.items():
        assert est.loc[name, "estimate"] == pytest.approx(value, rel=5e-4), name
        assert est.loc[name, "SE"] == pytest.approx(se, rel=5e-3), name
