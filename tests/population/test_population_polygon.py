"""Polygon and transect detectors (search-encounter data) against secr 5.5.0 itself, truth by simulation, bad files.

Each expected value was computed once with the R call in its comment (secr 5.5.0 built from github.com/MurrayEfford/
secr 712df0b with secrfunc 1.1.5, R 4.2.2) on the files in tests/data, and written here; R is not needed to run them.

Tolerances: -LL to 1e-9 relative: bigcats integrates the half-normal over polygons exactly (normal distribution
function along each edge, Gauss-Legendre across) and along transects in closed form, secr by adaptive Gauss-Kronrod
to its default 1e-6 relative tolerance, and the two -LL agree to ~1e-11 (hornedlizard) — secr's quadrature is far
better than its tolerance on these smooth integrands; at secr's own optimum bigcats' -LL equals secr's to 1e-12.
Estimates to 2e-5: secr's nlm optimum is itself good only to about 1e-5 (at its optimum of the 'polygon' fit the
gradient is 7e-4; bigcats' optimum has a gradient under 1e-12 and a -LL 6e-9 lower). SEs and intervals come from each
side's numerical Hessian and agree to 5e-4, as for the point detectors (tests/population/test_population_secr_reference.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from bigcats.population.errors import PopulationError
from bigcats.population.polygon import (
    check_geometry, make_polygon_mask, polygon_integrals, read_polygon_capthist, simulate_polygon_capthist,
    transect_integrals, with_detector,
)
from bigcats.population.scr import _loglik, fit_scr
from bigcats.population.secr_io import read_capthist, read_mask

DATA = Path(__file__).resolve().parents[1] / "data"
HL = DATA / "secr-hornedlizard"
TR = DATA / "secr-transect"


def check(fit, ll: float, expected: dict, est_rel: float = 2e-5, se_rel: float | None = 5e-4, ll_rel: float = 1e-9) -> None:
    est = fit.estimates.set_index("parameter")
    assert -fit.loglik == pytest.approx(ll, rel=ll_rel)
    for name, (value, se, lcl, ucl) in expected.items():
        assert est.loc[name, "estimate"] == pytest.approx(value, rel=est_rel), name
        if se_rel is None:
            continue
        assert est.loc[name, "SE"] == pytest.approx(se, rel=se_rel), name
        assert est.loc[name, "lcl"] == pytest.approx(lcl, rel=se_rel), name
        assert est.loc[name, "ucl"] == pytest.approx(ucl, rel=se_rel), name


@pytest.fixture(scope="module")
def hornedlizard():
    ch = read_capthist(HL / "hornedlizardcapt.txt", HL / "hornedlizardtrap.txt", detector="polygonX")["1"]
    return ch, read_mask(HL / "hornedlizard_mask.txt")


# ch <- read.capthist("hornedlizardcapt.txt", "hornedlizardtrap.txt", detector = "polygonX", fmt = "XY")
# mask <- read.mask("hornedlizard_mask.txt", header = TRUE)
# fit <- secr.fit(ch, mask = mask, detectfn = 14, CL = CL, trace = FALSE); -logLik(fit); predict(fit); derived(fit)
# ('polygon': detector(traps(ch)) <- "polygon" before the fit)
HORNEDLIZARD = {
    ("polygonX", "full"): (1755.09906921666, [2.08316353950358, -2.02713034219329, 2.91802953211941], {
        "D": (8.02983146447, 1.063921488240, 6.200344961389, 10.399130007988),
        "lambda0": (0.13171295044, 0.015128255774, 0.105240166558, 0.164844867515),
        "sigma": (18.50478842024, 1.199371443560, 16.299416591934, 21.008555278444)}),
    ("polygonX", "conditional"): (1752.06915134988, [-2.02713112131755, 2.91802898570921], {
        "lambda0": (0.131712847819, 0.0151280151541, 0.10524043942, 0.164844183245),
        "sigma": (18.504778309042, 1.1993711372622, 16.29940708507, 21.008544573413),
        "D": (8.02983855636, 1.05940687502, 6.20709980003, 10.3878315668)}),
    ("polygon", "full"): (1762.90803501382, [2.13038051242205, -2.12904012628923, 2.91802841372620], {
        "D": (8.41806938206, 1.1309105511159, 6.4769467269778, 10.940941018713),
        "lambda0": (0.11895141741, 0.0138116280025, 0.0948125958304, 0.149235864496),
        "sigma": (18.50476772463, 1.1986402169754, 16.3006545167470, 21.006912832278)}),
}


@pytest.mark.parametrize("detector,likelihood", list(HORNEDLIZARD))
def test_hornedlizard_matches_secr(hornedlizard, detector, likelihood):
    ch, mask = hornedlizard
    assert (ch.n, int(ch.count.sum()), len(mask)) == (68, 134, 3988)
    fit = fit_scr(with_detector(ch, detector), mask, likelihood=likelihood)
    ll, beta, expected = HORNEDLIZARD[(detector, likelihood)]
    check(fit, ll, expected)
    # the same likelihood: at secr's own optimum (fit$fit$par) bigcats' -LL is secr's to rounding, while secr's
    # nlm stops with gradients up to 7e-4, which is why its estimates differ from bigcats' by up to 1.2e-5
    assert -_loglik(fit.sessions, fit._model, np.array(beta)) == pytest.approx(ll, rel=1e-12)
    assert fit.detectfn == "HHN" and fit.npar == (3 if likelihood == "full" else 2)


# Usage (search effort) per polygon and occasion scales the hazard, as secr's Tsk; secr reads no usage for polygons
# from files, so it is set on the object:
# usage(traps(ch)) <- matrix(c(1, 1, 2, 1, 0.5, 1, 1, 1, 2, 1, 1, 1.5, 1, 1), nrow = 1)
# secr.fit(ch, mask = mask, detectfn = 14, trace = FALSE)   (then detector(traps(ch)) <- "polygon" and again)
HL_USAGE = [1, 1, 2, 1, 0.5, 1, 1, 1, 2, 1, 1, 1.5, 1, 1]
HORNEDLIZARD_USAGE = {
    "polygonX": (1760.62603695987, [2.08216546815736, -2.15840860907973, 2.91797120880266], {
        "D": (8.021821117888, 1.0625614607828, 6.1946058585211, 10.388007811487),
        "lambda0": (0.115508794498, 0.0132654157775, 0.0922954438145, 0.144560566101),
        "sigma": (18.503709191081, 1.1993413090471, 16.2983974641518, 21.007418341660)}),
    "polygon": (1768.59872341032, [2.13039187472643, -2.26258533468129, 2.91802558920675], {
        "D": (8.418165031272, 1.1309247957309, 6.4770182450832, 10.941068839435),
        "lambda0": (0.104081052264, 0.0120851113373, 0.0829597146503, 0.130579830055),
        "sigma": (18.504715457624, 1.1986325222638, 16.3006158917442, 21.006843940238)}),
}


@pytest.mark.parametrize("detector", list(HORNEDLIZARD_USAGE))
def test_hornedlizard_with_search_effort_matches_secr(hornedlizard, detector):
    import dataclasses

    ch, mask = hornedlizard
    ch = dataclasses.replace(with_detector(ch, detector), usage=np.array([HL_USAGE], float))
    fit = fit_scr(ch, mask)
    ll, beta, expected = HORNEDLIZARD_USAGE[detector]
    check(fit, ll, expected)
    assert -_loglik(fit.sessions, fit._model, np.array(beta)) == pytest.approx(ll, rel=1e-12)


def test_polygon_integrals_are_exact_for_concave_rings_either_way_round():
    """An L-shaped (east-west concave) ring: the integral is the sum of its two rectangles, which are products of
    normal distribution functions; secr's default convexpolygon = TRUE would not get this right."""
    from scipy.special import ndtr

    ring = np.array([[0, 0], [0, 300], [100, 300], [100, 100], [300, 100], [300, 0], [0, 0]], float)
    pts = np.array([[50, 50], [200, 200], [150, 50], [-100, 400], [50, 250]], float)
    sig = 40.0

    def rect(x0, x1, y0, y1):
        return ((ndtr((x1 - pts[:, 0]) / sig) - ndtr((x0 - pts[:, 0]) / sig))
                * (ndtr((y1 - pts[:, 1]) / sig) - ndtr((y0 - pts[:, 1]) / sig)))

    exact = rect(0, 100, 0, 300) + rect(100, 300, 0, 100)
    for r in (ring, ring[::-1]):
        a, da = polygon_integrals(r, pts, sig, deriv=True)
        np.testing.assert_allclose(a, exact, rtol=1e-12, atol=1e-15)
        h = 1e-6
        num = (polygon_integrals(r, pts, sig * np.exp(h))[0] - polygon_integrals(r, pts, sig * np.exp(-h))[0]) / (2 * h)
        np.testing.assert_allclose(da, num, rtol=1e-6, atol=1e-10)
    # a point on a straight, very long transect sees all of its home range along it
    line = np.array([[-1e5, 0.0], [1e5, 0.0]])
    a, _ = transect_integrals(line, np.array([[0.0, 0.0], [0.0, 40.0]]), sig)
    np.testing.assert_allclose(a, [1.0, np.exp(-0.5)], rtol=1e-12)


@pytest.mark.parametrize("detector", ["polygonX", "polygon", "transect", "transectX"])
def test_analytic_gradient_matches_finite_differences(hornedlizard, detector):
    if detector.startswith("polygon"):
        ch, mask = hornedlizard
        ch = with_detector(ch, detector)
    else:
        stem = "threetransectsX" if detector == "transectX" else "threetransects"
        ch = read_polygon_capthist(TR / f"{stem}capt.txt", TR / f"{stem}trap.txt", detector)["1"]
        mask = _three_transect_mask()
    fit = fit_scr(ch, mask)
    beta = fit.beta + np.array([0.05, -0.1, 0.07])
    _, grad = _loglik(fit.sessions, fit._model, beta, deriv=True)
    h = 1e-6
    num = [(_loglik(fit.sessions, fit._model, beta + h * e) - _loglik(fit.sessions, fit._model, beta - h * e)) / (2 * h)
           for e in np.eye(3)]
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-6)


# mask3 <- read.mask("threetransects_mask.txt", header = TRUE)     (the points of _three_transect_mask())
# ch3 <- read.capthist("threetransects[X]capt.txt", "threetransects[X]trap.txt", detector = DET, fmt = "XY")
# secr.fit(ch3, mask = mask3, detectfn = 14, CL = CL, trace = FALSE)
# winding: cht <- read.capthist("windingcapt.txt", "windingtrap.txt", detector = "transect", fmt = "XY");
#          secr.fit(cht, mask = read.mask("winding_mask.txt", header = TRUE), detectfn = 14, trace = FALSE)
TRANSECTS = {
    ("threetransects", "transect", "full"): (1432.12899205169, [1.608280466208680, -0.722336633464829, 3.679143821079852], {
        "D": (4.994216116786, 0.6796495053012, 3.829663359520, 6.512894810756),
        "lambda0": (0.485616222114, 0.0590718687278, 0.382939682698, 0.615823133081),
        "sigma": (39.612464192804, 2.7615635943935, 34.559119717323, 45.404724780640)}),
    ("threetransectsX", "transectX", "full"): (1037.28179220588, [1.271865467140328, -0.740181240225975, 3.839300148914197], {
        "D": (3.567501415483, 0.5821817820668, 2.596378430186, 4.901853366791),
        "lambda0": (0.477027451123, 0.0726282192464, 0.354558804297, 0.641798162581),
        "sigma": (46.492924927219, 5.4857960618836, 36.923154685112, 58.542995221360)}),
    ("threetransectsX", "transectX", "conditional"): (1034.20969500627, [-0.740183737948811, 3.839299436656555], {
        "lambda0": (0.477026259642, 0.072626067566, 0.354560740094, 0.64179145251),
        "sigma": (46.492891812290, 5.484358374286, 36.925337179575, 58.53945161170),
        "D": (3.56752228029, 0.578335343404, 2.60178433305, 4.89172567409)}),
    ("winding", "transect", "full"): (537.78473052447, [1.37553315951980, -0.99435234709704, 3.57366880994091], {
        "D": (3.957185971960, 0.9107561376293, 2.535144582731, 6.176894573724),
        "lambda0": (0.369962974564, 0.0767030223668, 0.247477303842, 0.553071333909),
        "sigma": (35.647136103863, 4.5251114936895, 27.822947109875, 45.671592854243)}),
}


@pytest.mark.parametrize("stem,detector,likelihood", list(TRANSECTS))
def test_transects_match_secr(stem, detector, likelihood):
    ch = read_capthist(TR / f"{stem}capt.txt", TR / f"{stem}trap.txt", detector=detector)["1"]
    mask = read_mask(TR / "winding_mask.txt") if stem == "winding" else _three_transect_mask()
    fit = fit_scr(ch, mask, likelihood=likelihood)
    ll, beta, expected = TRANSECTS[(stem, detector, likelihood)]
    # secr integrates along transects by adaptive Gauss-Kronrod over the whole (bent) line; its h_k differ from the
    # closed form by up to 4e-4 relative (checked with secrfunc::makegkPolygoncpp on threetransects), so -LL agree
    # to 2e-8 (4e-6 to 1.2e-5 absolute, bigcats' lower), estimates to 2e-5, and SEs, which secr takes from a
    # numerical Hessian of that noisy function, to 1e-2 — except transectX, where secr's SE(sigma) is 39% larger
    # than the curvature of the exact likelihood (bigcats' SEs are checked against a large-step curvature below).
    exclusive = detector == "transectX"
    check(fit, ll, expected, se_rel=None if exclusive else 1e-2, ll_rel=2e-8)
    # the same likelihood at secr's optimum, up to secr's quadrature error
    assert -_loglik(fit.sessions, fit._model, np.array(beta)) == pytest.approx(ll, rel=2e-8)
    if exclusive:
        f = lambda b: -_loglik(fit.sessions, fit._model, b)  # noqa: E731
        h, b, e = 0.02, fit.beta, np.eye(len(fit.beta)) * 0.02
        hess = np.array([[(f(b + e[i] + e[j]) - f(b + e[i] - e[j]) - f(b - e[i] + e[j]) + f(b - e[i] - e[j])) / (4 * h * h)
                          for j in range(len(b))] for i in range(len(b))])
        np.testing.assert_allclose(np.sqrt(np.diag(np.linalg.inv(hess))), fit.coefficients["SE.beta"], rtol=1e-3)


def _three_transect_mask():
    parts = {"A": np.array([[0, 0], [400, 0]], float), "B": np.array([[0, 150], [200, 250], [400, 150]], float),
             "C": np.array([[0, 400], [400, 400], [400, 200]], float)}
    return make_polygon_mask(check_geometry(parts, "transect"), "transect", 160, spacing=10)


# ---------------------------------------------------------------------------------------------------------------
# truth by simulation (fast version; the full one is `benchmarks/bench_population.py --polygon-truth`)
# ---------------------------------------------------------------------------------------------------------------

def test_polygon_density_truth_by_simulation():
    """Four searched squares, polygonX, HHN: mean D over replicates within 15% of the truth and most 95% intervals
    covering it (a loose bound for 6 replicates that a biased or badly scaled likelihood still fails)."""
    parts = {f"P{i}": np.array([[x, y], [x, y + 150], [x + 150, y + 150], [x + 150, y]], float)
             for i, (x, y) in enumerate([(0, 0), (250, 0), (0, 250), (250, 250)])}
    geometry = check_geometry(parts, "polygonX")
    mask = make_polygon_mask(geometry, "polygonX", 120, spacing=15)
    rng = np.random.default_rng(2026)
    true_d, est, cover = 3.0, [], 0
    for _ in range(6):
        ch, _truth = simulate_polygon_capthist(rng, parts, "polygonX", mask, true_d, 0.4, 30.0, 6)
        d = fit_scr(ch, mask).estimates.set_index("parameter").loc["D"]
        est.append(d["estimate"])
        cover += d["lcl"] <= true_d <= d["ucl"]
    assert abs(np.mean(est) / true_d - 1) < 0.15
    assert cover >= 4


# ---------------------------------------------------------------------------------------------------------------
# attacks: malformed polygon files and detections
# ---------------------------------------------------------------------------------------------------------------

def _files(tmp_path, traps: str, capt: str) -> tuple[Path, Path]:
    t, c = tmp_path / "trap.txt", tmp_path / "capt.txt"
    t.write_text(traps)
    c.write_text(capt)
    return c, t


SQUARE = "1 0 0\n1 0 100\n1 100 100\n1 100 0\n1 0 0\n"
CAPT = "1 a 1 10 10\n1 a 2 50 50\n1 b 1 60 20\n"


def test_open_ring_is_closed_as_secr_does(tmp_path):
    c, t = _files(tmp_path, "1 0 0\n1 0 100\n1 100 100\n1 100 0\n", CAPT)
    ch = read_capthist(c, t, detector="polygon")["1"]
    np.testing.assert_array_equal(ch.geometry[0][0], ch.geometry[0][-1])
    assert ch.n == 2 and ch.count.sum() == 3


@pytest.mark.parametrize("traps,message", [
    ("1 0 0\n1 100 0\n1 0 0\n", r"trap\.txt, line 1: polygon 1 has 2 distinct vertices"),
    ("1 0 0\n1 100 100\n1 100 0\n1 0 100\n1 0 0\n", r"trap\.txt, line 1: polygon 1 is not a simple polygon \(Self-intersection"),
    (SQUARE + "2 50 50\n2 50 150\n2 150 150\n2 150 50\n", r"line 6: polygons 1 and 2 overlap"),
    ("1 0 0\n1 0 100\n2 0 0\n2 5 5\n2 9 0\n1 100 100\n", r"line 6: vertices of polygon 1 are not on consecutive lines"),
    ("1 0 0 11111\n1 0 100 11111\n1 100 100 11111\n", r"line 1: extra fields after polyID x y \('11111'\)"),
    ("1 0 zero\n1 0 100\n1 100 100\n", r"line 1: x and y of polygon 1 must be numbers"),
    ("A 0 0\nB 10 10\nC 20 0\n", r"polygon A has 1 distinct vertices.*point-detector file"),
])
def test_malformed_polygon_files_name_file_and_line(tmp_path, traps, message):
    c, t = _files(tmp_path, traps, CAPT)
    with pytest.raises(PopulationError, match=message):
        read_capthist(c, t, detector="polygon")


@pytest.mark.parametrize("detector,capt,message", [
    ("polygon", "1 a 1 10 10\n1 a 2 150 50\n", r"capt\.txt, line 2: detection of animal a at x=150, y=50 \(fields x, y\) is inside no polygon"),
    ("polygonX", "1 a 1 10 10\n1 a 1 20 20\n", r"line 2: animal a detected twice on occasion 1; an exclusive detector \(polygonX\)"),
    ("polygon", "1 a 1 1\n1 b 1 1\n", r"capt\.txt, line 1: polygon detections need session, animal, occasion, x and y \(secr's fmt XY\), got 4"),
    ("polygon", "1 a x 10 10\n", r"line 1: occasion must be a whole number from 1 \(field occasion\)"),
    ("polygon", "1 a 1 10 ten\n", r"line 1: x and y of a detection must be numbers"),
    ("transect", "1 a 1 10 0.5\n", r"line 1: detection of animal a .* more than 0.01 m from every transect"),
])
def test_bad_detections_name_file_line_and_field(tmp_path, detector, capt, message):
    traps = SQUARE if detector.startswith("polygon") else "1 0 0\n1 100 0\n"
    c, t = _files(tmp_path, traps, capt)
    with pytest.raises(PopulationError, match=message):
        read_capthist(c, t, detector=detector)


def test_mixed_detector_types_are_refused(tmp_path, hornedlizard):
    ch, mask = hornedlizard
    # polygon detections read as trapID captures, and sessions of different detector types in one fit
    c, t = _files(tmp_path, SQUARE, CAPT)
    with pytest.raises(PopulationError, match="fmt XY"):
        read_capthist(c, t, detector="polygon", fmt="trapID")
    with pytest.raises(PopulationError, match="different detector types"):
        fit_scr({"1": ch, "2": with_detector(ch, "polygon")}, mask)
    with pytest.raises(PopulationError, match="polygons and transects differ"):
        with_detector(ch, "transect")
    with pytest.raises(PopulationError, match=r"hazard half-normal detection function \(HHN, secr's code 14"):
        fit_scr(ch, mask, detectfn="HN")


def test_default_mask_is_secrs_trapbuffer_around_the_polygon(hornedlizard):
    """secr's make.mask(traps(hornedlizardCH), buffer = 80, type = "trapbuffer") is the mask file (written by
    write.mask to 2 decimals): make_polygon_mask rebuilds the same 3988 points."""
    ch, mask = hornedlizard
    ours = make_polygon_mask(ch.geometry, ch.detector, 80)
    assert len(ours) == len(mask) == 3988
    np.testing.assert_allclose(ours.xy, mask.xy, atol=0.006)
    assert ours.spacing == pytest.approx(460 / 64)


def test_density_command_fits_polygon_files(tmp_path):
    """`bigcats density` on secr's polygonX files with secr's defaults for them (HHN; mask buffer given) prints
    secr's estimates, and a polygon detector file read as point detectors fails with a clear message."""
    import json

    from typer.testing import CliRunner

    from bigcats.cli.population import app

    runner = CliRunner()
    args = ["density", "--captures", str(HL / "hornedlizardcapt.txt"), "--traps", str(HL / "hornedlizardtrap.txt"),
            "--detector", "polygonX", "--mask", str(HL / "hornedlizard_mask.txt"), "--json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["detector"] == "polygonX" and out["detectfn"] == "HHN"
    assert out["negloglik"] == pytest.approx(HORNEDLIZARD[("polygonX", "full")][0], rel=1e-9)
    d = {r["parameter"]: r for r in out["estimates"]}["D"]
    assert d["estimate"] == pytest.approx(8.02983146447, rel=2e-5)
    res = runner.invoke(app, args[:5] + ["--detector", "multi"])
    assert res.exit_code == 1 and "duplicate detector id 1" in res.output
    res = runner.invoke(app, args + ["--detectfn", "EX"])
    assert res.exit_code == 1 and "hazard half-normal" in res.output


def test_secr_script_for_a_polygon_fit_reads_back_the_same(hornedlizard, tmp_path):
    """--secr-script writes secr's polyID x y file and XY detections (read back here to the same history) and an R
    call with fmt XY and HHN; usage, which secr cannot read for polygons from files, is refused."""
    from bigcats.population.secr_io import write_secr_script

    ch, mask = hornedlizard
    fit = fit_scr(ch, mask, likelihood="conditional")
    paths = write_secr_script(tmp_path / "refit.R", fit)
    script = paths[0].read_text()
    assert 'detector = "polygonX", fmt = "XY"' in script and 'detectfn = "HHN"' in script and "CL = TRUE" in script
    capt = next(p for p in paths if p.name.endswith("capt.txt"))
    trap = next(p for p in paths if p.name.endswith("trap.txt"))
    back = read_capthist(capt, trap, detector="polygonX")["1"]
    np.testing.assert_array_equal(back.detection_xy, ch.detection_xy)
    np.testing.assert_array_equal(back.animals, ch.animals)
    import dataclasses

    busy = dataclasses.replace(ch, usage=ch.usage * 2)
    with pytest.raises(PopulationError, match="no usage or covariates for polygon"):
        write_secr_script(tmp_path / "u.R", fit_scr(busy, mask, likelihood="conditional"))


def test_narrow_mask_around_a_polygon_warns(hornedlizard):
    """The buffer check measures from the polygon's edges, not its centre or corners: a 20-m buffer (about one
    sigma) is flagged, secr's 80 m is not."""
    ch, mask = hornedlizard
    assert not [w for w in fit_scr(ch, mask).warnings if "widen the buffer" in w]
    narrow = make_polygon_mask(ch.geometry, ch.detector, 20, spacing=5)
    warned = [w for w in fit_scr(ch, narrow).warnings if "widen the buffer" in w]
    assert warned and re.search(r"reaches only (1\d|20) m", warned[0])


# ---------------------------------------------------------------------------------------------------------------
# winter census routes (census.routes.RouteSet, as read from files or kept in the store) as transects
# ---------------------------------------------------------------------------------------------------------------

def _routes():
    import geopandas as gpd
    import pandas as pd
    import shapely as shp

    from bigcats.census.routes import route_set

    lines = {"R1": [(131.50, 43.50), (131.60, 43.52), (131.70, 43.50)],
             "R2": [(131.50, 43.56), (131.70, 43.56)],
             "R3": [(131.60, 43.44), (131.60, 43.62)]}
    gdf = gpd.GeoDataFrame({"route_id": list(lines), "unit": "U1", "country": "RUS"},
                           geometry=[shp.LineString(v) for v in lines.values()], crs="EPSG:4326")
    days = ["2025-01-10", "2025-01-11", "2025-01-12"]
    surveys = pd.DataFrame([(r, d, 1.0) for r in lines for d in days if not (r == "R3" and d == "2025-01-12")],
                           columns=["route_id", "date", "days_since_snow"])
    return route_set(gdf, surveys)


def test_census_routes_fit_as_transects():
    """Routes in WGS84 become transects in UTM 52N with the survey days as occasions (R3 not walked on the third
    day: usage 0); a survey simulated on them and read back through route_capthist gives D near the truth, and a
    detection on a day its route was not walked, or far off every route, is an error naming its row."""
    import pandas as pd

    from bigcats.population.polygon import route_capthist, transects_from_routes

    routes = _routes()
    parts, usage, dates = transects_from_routes(routes, "EPSG:32652")
    assert list(parts) == ["R1", "R2", "R3"] and [str(d) for d in dates] == ["2025-01-10", "2025-01-11", "2025-01-12"]
    np.testing.assert_array_equal(usage, [[1, 1, 1], [1, 1, 1], [1, 1, 0]])
    lengths = [float(np.hypot(*np.diff(p, axis=0).T).sum()) / 1000 for p in parts.values()]
    np.testing.assert_allclose(lengths, routes.routes.sort_values("route_id")["length_km"], rtol=2e-3)

    mask = make_polygon_mask(list(parts.values()), "transect", 4000, spacing=500)
    ch, truth = simulate_polygon_capthist(np.random.default_rng(7), {k: v for k, v in parts.items()}, "transect", mask,
                                          0.02, 0.6, 900.0, 2)  # two days on which every route was walked
    det = pd.DataFrame({"animal": ch.animals[ch.animal], "date": [str(dates[o]) for o in ch.occasion],
                        "x": ch.detection_xy[:, 0], "y": ch.detection_xy[:, 1]})
    back = route_capthist(det, routes, "EPSG:32652")
    assert back.n == ch.n and back.noccasions == 3 and back.usage[2, 2] == 0
    fit = fit_scr(back, mask)
    assert fit.value("D") == pytest.approx(0.02, rel=0.4)
    late = det.iloc[:1].assign(date="2025-01-12", x=parts["R3"][0, 0], y=parts["R3"][0, 1])
    with pytest.raises(PopulationError, match=r"row 1: detection in transect R3 on occasion 3, when it was not searched"):
        route_capthist(late, routes, "EPSG:32652")
    with pytest.raises(PopulationError, match=r"row 1: date '2025-02-01' \(field date\) is not a survey date"):
        route_capthist(det.iloc[:1].assign(date="2025-02-01"), routes, "EPSG:32652")
    with pytest.raises(PopulationError, match=r"more than 0.01 m from every transect"):
        route_capthist(det.iloc[:1].assign(x=det["x"].iloc[0] + 50), routes, "EPSG:32652")


def test_density_command_fits_a_census_from_the_store(tmp_path):
    """`bigcats density --census CODE --captures detections.csv --crs EPSG:32652`: the census's routes from the
    store as transects, detections given in longitude/latitude; the same fit as route_capthist on the routes."""
    import json

    import pandas as pd
    from pyproj import Transformer
    from typer.testing import CliRunner

    from bigcats.census.store import store_census
    from bigcats.cli.population import app
    from bigcats.population.polygon import route_capthist, transects_from_routes
    from bigcats.store.db import open_store

    routes = _routes()
    parts, _, dates = transects_from_routes(routes, "EPSG:32652")
    mask = make_polygon_mask(list(parts.values()), "transect", 4000, nx=40)
    ch, _ = simulate_polygon_capthist(np.random.default_rng(8), parts, "transect", mask, 0.02, 0.6, 900.0, 2)
    lon, lat = Transformer.from_crs("EPSG:32652", "EPSG:4326", always_xy=True).transform(*ch.detection_xy.T)
    det = pd.DataFrame({"animal": ch.animals[ch.animal], "date": [str(dates[o]) for o in ch.occasion],
                        "longitude": lon, "latitude": lat})
    det.to_csv(tmp_path / "det.csv", index=False)
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store_census(open_store(db), "winter-2025", routes, pd.DataFrame(columns=["route_id", "species", "count"]))
    runner = CliRunner()
    res = runner.invoke(app, ["density", "--census", "winter-2025", "--captures", str(tmp_path / "det.csv"), "--crs",
                              "EPSG:32652", "--buffer", "4000", "--nx", "40", "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["detector"] == "transect" and out["occasions"] == 3 and out["n"] == ch.n
    direct = fit_scr(route_capthist(det.assign(x=ch.detection_xy[:, 0], y=ch.detection_xy[:, 1]), routes, "EPSG:32652"),
                     mask)
    assert out["negloglik"] == pytest.approx(-direct.loglik, rel=1e-9)
    res = runner.invoke(app, ["density", "--census", "summer", "--captures", str(tmp_path / "det.csv"), "--crs",
                              "EPSG:32652", "--db", db])
    assert res.exit_code == 1 and "no census 'summer' in the store (have: winter-2025)" in res.output
