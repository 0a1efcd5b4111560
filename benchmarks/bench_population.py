"""Benchmark of bigcats.population: SCR fit times beside secr's in the same run, and truth checks by simulation.

Run: .venv/bin/python benchmarks/bench_population.py [--quick] [--no-secr]   (one core: BLAS threads set to 1)

secr's times are measured inside R (proc.time around secr.fit, setNumThreads(1)) and bigcats' inside Python
(around fit_scr), on the same files, so neither side pays the other's start-up. R and secr are optional: without
Rscript and the secr package the secr column says so (install: scripts in /work/shared/ENGINEERING.md, or
`apt-get install r-base-core r-base-dev r-cran-*` then `R CMD INSTALL` secrfunc and secr 5.5 from source).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bigcats.population import fit_scr, grid_traps, make_mask, read_capthist, simulate_capthist  # noqa: E402
from bigcats.population.secr_io import write_secr_script  # noqa: E402

REF = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "reference" / "secr"


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def secr_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    out = subprocess.run(["Rscript", "-e", "cat(requireNamespace('secr', quietly = TRUE))"], capture_output=True, text=True)
    return out.stdout.strip().endswith("TRUE")


def secr_time(fit, repeat: int) -> tuple[float, float, float] | None:
    """secr.fit's median wall and CPU seconds (inside R) and -LL for the same data and model (bigcats' secr script)."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "refit.R"
        write_secr_script(script, fit)
        text = script.read_text()
        call = text[text.index("fit <- secr.fit("):text.index("trace = FALSE)") + len("trace = FALSE)")]
        timed = (text.split("fit <- secr.fit(")[0].replace("library(secr)", "suppressMessages(library(secr)); setNumThreads(1)")
                 + f"tt <- c(); cc <- c(); for (i in 1:{repeat}) {{ t0 <- proc.time(); {call}; "
                 + "t1 <- proc.time() - t0; tt <- c(tt, t1[3]); cc <- c(cc, t1[1] + t1[2]) }\n"
                 + 'cat("SECRTIME", median(tt), "CPU", median(cc), "LL", format(-logLik(fit), digits = 12), "\\n")\n')
        script.write_text(timed)
        out = subprocess.run(["Rscript", script.name], cwd=tmp, capture_output=True, text=True, timeout=3600)
    m = re.search(r"SECRTIME ([0-9.eE+-]+) CPU ([0-9.eE+-]+) LL ([0-9.eE+-]+)", out.stdout)
    if not m:
        print(f"  secr failed: {out.stderr.strip().splitlines()[-3:]}")
    return (float(m.group(1)), float(m.group(2)), float(m.group(3))) if m else None


def timed(fn, repeat: int) -> tuple[object, float, float]:
    times, cpu, out = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return out, float(np.median(times)), float(np.median(cpu))


def truth(label: str, nrep: int, make, fit, true: dict, rows: list) -> None:
    """Relative bias and 95% interval coverage of each true value over nrep simulated surveys."""
    est = {k: [] for k in true}
    cover = {k: 0 for k in true}
    t = time.perf_counter()
    for i in range(nrep):
        table = fit(make(i)).estimates.set_index("parameter")
        for k, v in true.items():
            est[k].append(table.loc[k, "estimate"])
            cover[k] += table.loc[k, "lcl"] <= v <= table.loc[k, "ucl"]
    for k, v in true.items():
        rows.append((label, k, v, float(np.mean(est[k]) / v - 1), cover[k] / nrep, nrep))
    print(f"  {label}: {time.perf_counter() - t:.1f} s")


def polygon_truth(nrep: int, rows: list, which: str = "polygonX,transect") -> None:
    """Truth checks of the polygon and transect detectors (population/polygon.py): four searched 150-m squares
    (polygonX, exclusive) and three routes (transect, Poisson counts), HHN, simulated and fitted nrep times each."""
    from bigcats.population.polygon import check_geometry, make_polygon_mask, simulate_polygon_capthist

    r = np.random.default_rng(15)
    squares = {f"P{i}": np.array([[x, y], [x, y + 150], [x + 150, y + 150], [x + 150, y]], float)
               for i, (x, y) in enumerate([(0, 0), (250, 0), (0, 250), (250, 250)])}
    routes = {"A": np.array([[0, 0], [400, 0]], float), "B": np.array([[0, 150], [200, 250], [400, 150]], float),
              "C": np.array([[0, 400], [400, 400], [400, 200]], float)}
    designs = {"polygonX": (squares, 120, 15, 3.0, 0.4, 30.0, 6), "transect": (routes, 160, 15, 4.0, 0.5, 40.0, 5)}
    for det in which.split(","):
        parts, buffer, spacing, d, lam0, sig, nocc = designs[det]
        mask = make_polygon_mask(check_geometry(parts, det), det, buffer, spacing=spacing)
        truth(f"{det} (HHN, {len(parts)} detectors)", nrep,
              lambda i: simulate_polygon_capthist(r, parts, det, mask, d, lam0, sig, nocc)[0],
              lambda c: fit_scr(c, mask), {"D": d, "lambda0": lam0, "sigma": sig}, rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats and 20 truth replicates")
    parser.add_argument("--no-secr", action="store_true", help="skip secr even when R has it")
    parser.add_argument("--speed-only", action="store_true", help="fit times only, no truth checks")
    parser.add_argument("--captdata-only", action="store_true", help="only the captdata fits")
    parser.add_argument("--truth-only", action="store_true", help="truth checks only, no fit times")
    parser.add_argument("--reps", type=int, default=None, help="truth replicates (default 200, 20 with --quick)")
    parser.add_argument("--polygon-truth", type=int, metavar="N", default=0,
                        help="only the truth checks of polygon and transect detectors, N replicates each")
    parser.add_argument("--polygon-designs", default="polygonX,transect", help="which of them (comma-separated)")
    parser.add_argument("--polygon-speed", action="store_true",
                        help="only polygon/transect fit times (hornedlizardCH, three transects) beside secr")
    args = parser.parse_args()
    repeat = 2 if args.quick else 5
    with_secr = not args.no_secr and secr_available()
    speed: list = []

    def case(label: str, fn) -> None:
        fit, wall, cpu = timed(fn, repeat)
        ref = secr_time(fit, max(1, repeat // 2)) if with_secr else None
        speed.append((label, wall, cpu, ref[0] if ref else None, ref[1] if ref else None, -fit.loglik,
                      ref[2] if ref else None))
        print(f"  {label}: bigcats {wall:.3f} s (CPU {cpu:.3f})" + (f", secr {ref[0]:.3f} s (CPU {ref[1]:.3f})" if ref else ""))

    if args.polygon_truth or args.polygon_speed:
        rows: list = []
        if args.polygon_speed:
            from bigcats.population.polygon import check_geometry, make_polygon_mask, read_polygon_traps
            from bigcats.population.secr_io import read_mask

            data = Path(__file__).resolve().parents[1] / "tests" / "data"
            hl = read_capthist(data / "secr-hornedlizard/hornedlizardcapt.txt",
                               data / "secr-hornedlizard/hornedlizardtrap.txt", detector="polygonX")["1"]
            hl_mask = read_mask(data / "secr-hornedlizard/hornedlizard_mask.txt")
            case("hornedlizardCH polygonX full (HHN, 3,988-pt mask)", lambda: fit_scr(hl, hl_mask))
            tr = read_capthist(data / "secr-transect/threetransectscapt.txt",
                               data / "secr-transect/threetransectstrap.txt", detector="transect")["1"]
            parts, _ = read_polygon_traps(data / "secr-transect/threetransectstrap.txt", "transect")
            tr_mask = make_polygon_mask(check_geometry(parts, "transect"), "transect", 160, spacing=10)
            case(f"three transects, transect full (HHN, {len(tr_mask):,}-pt mask)", lambda: fit_scr(tr, tr_mask))
        if args.polygon_truth:
            polygon_truth(args.polygon_truth, rows, args.polygon_designs)
        report(speed, rows, with_secr)
        return
    ch = read_capthist(REF / "capt.txt", REF / "trap.txt", detector="multi")["1"]
    mask = make_mask(ch.xy, 100)
    if args.truth_only:
        truth_checks(args, [], with_secr)
        return
    case("captdata full (multi, HN, 3936-pt mask)", lambda: fit_scr(ch, mask))
    case("captdata conditional (multi, HN)", lambda: fit_scr(ch, mask, likelihood="conditional"))
    case("captdata full, HHN", lambda: fit_scr(ch, mask, detectfn="HHN"))
    case("captdata conditional, HHN", lambda: fit_scr(ch, mask, detectfn="HHN", likelihood="conditional"))
    case("captdata full, EX", lambda: fit_scr(ch, mask, detectfn="EX"))
    case("captdata conditional, EX", lambda: fit_scr(ch, mask, detectfn="EX", likelihood="conditional"))

    if args.captdata_only:
        report(speed, [], with_secr)
        return
    # 150 cameras 3 km apart, three years of daily occasions, shared detection, D per year; a 5,000-point mask.
    rng = np.random.default_rng(2024)
    traps = grid_traps(15, 10, 3000.0)
    big_mask = make_mask(traps[["x", "y"]].to_numpy(), 16000, nx=82)
    dens = 60 / big_mask.area_ha
    years = {str(y): simulate_capthist(rng, traps, big_mask, dens * f, 0.004, 4000.0, 365, "proximity", "HN",
                                       session=str(y))[0] for y, f in ((2021, 1.0), (2022, 1.1), (2023, 1.25))}
    print(f"  3-year survey: {[h.n for h in years.values()]} cats, {len(big_mask)}-point mask")
    case(f"3 years x 150 cameras x 365 days, D~session, {len(big_mask)}-pt mask",
         lambda: fit_scr(years, big_mask, density="~session"))
    case("one year of it (150 x 365, fastproximity)", lambda: fit_scr(years["2021"], big_mask))

    if args.speed_only:
        report(speed, [], with_secr)
        return
    truth_checks(args, speed, with_secr)


def truth_checks(args, speed: list, with_secr: bool) -> None:
    """Bias and 95% interval coverage over simulated surveys: one session, sessions together, D~side, h2."""
    nrep = args.reps or (20 if args.quick else 200)
    rows: list = []
    small = grid_traps(7, 7, 20.0)
    small_mask = make_mask(small[["x", "y"]].to_numpy(), 75, nx=24)
    small_mask.covariates = pd.DataFrame({"side": np.where(small_mask.xy[:, 0] < 60, "A", "B")})
    r = np.random.default_rng(99)
    truth("single session, proximity HN", nrep,
          lambda i: simulate_capthist(r, small, small_mask, 25.0, 0.2, 15.0, 5)[0],
          lambda c: fit_scr(c, small_mask), {"D": 25.0, "g0": 0.2, "sigma": 15.0}, rows)
    truth("3 sessions, D~session", nrep,
          lambda i: {s: simulate_capthist(r, small, small_mask, d, 0.2, 15.0, 5, session=s)[0]
                     for s, d in (("1", 20.0), ("2", 25.0), ("3", 30.0))},
          lambda c: fit_scr(c, small_mask, density="~session"), {"D[1]": 20.0, "D[3]": 30.0, "sigma": 15.0}, rows)
    surface = np.where(small_mask.covariates["side"] == "A", 15.0, 35.0)
    truth("D~side (mask covariate)", nrep,
          lambda i: simulate_capthist(r, small, small_mask, surface, 0.2, 15.0, 5)[0],
          lambda c: fit_scr(c, small_mask, density="~side"), {"D[side=A]": 15.0, "D[side=B]": 35.0}, rows)
    truth("h2 mixture (g0, sigma by class)", nrep,
          lambda i: simulate_capthist(r, small, small_mask, 40.0, (0.1, 0.4), (10.0, 18.0), 10, pmix=(0.4, 0.6))[0],
          lambda c: fit_scr(c, small_mask, mixture="h2"), {"D": 40.0, "pmix[h2]": 0.6, "g0[h2]": 0.4}, rows)

    report(speed, rows, with_secr)


def report(speed: list, rows: list, with_secr: bool) -> None:
    print(f"\n{'fit':62s} {'bigcats s':>9s} {'cpu s':>7s} {'secr s':>8s} {'cpu s':>7s} {'ratio wall':>10s} {'ratio cpu':>9s} "
          f"{'-LL bigcats':>14s} {'-LL secr':>14s}")
    nan = float("nan")
    for label, wall, cpu, sec, scpu, ll, sll in speed:
        print(f"{label:62s} {wall:9.3f} {cpu:7.3f} {sec or nan:8.3f} {scpu or nan:7.3f} {(sec or nan) / wall:10.1f} "
              f"{(scpu or nan) / cpu:9.1f} {ll:14.5f} {sll or nan:14.5f}")
    print(f"secr: {'measured in this run' if with_secr else 'not available (no Rscript with secr)'}; peak RSS {peak_mib():.0f} MiB")
    print(f"\n{'truth check':36s} {'parameter':12s} {'true':>8s} {'rel. bias':>10s} {'95% cover':>10s} {'reps':>5s}")
    for label, k, v, bias, cov, n in rows:
        print(f"{label:36s} {k:12s} {v:8.3g} {bias:+10.2%} {cov:10.1%} {n:5d}")


if __name__ == "__main__":
    main()
