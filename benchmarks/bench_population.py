"""Benchmark of bigcats.population: SCR fit times (captdata; 150 cameras x a year) and the truth check of D.

Run: .venv/bin/python benchmarks/bench_population.py [--quick]   (one core: BLAS threads are set to 1)
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from bigcats.population import fit_scr, grid_traps, make_mask, read_capthist, simulate_capthist  # noqa: E402

REF = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "reference" / "secr"


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn, repeat: int, rows: list) -> object:
    times, cpu, out = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    # CPU seconds beside wall seconds: on a shared machine the wall clock includes waiting for a core.
    rows.append((label, float(np.median(times)), float(np.median(cpu)), peak_mib()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes: fewer repeats and 20 truth replicates")
    args = parser.parse_args()
    rows: list = []
    repeat = 2 if args.quick else 5

    ch = read_capthist(REF / "capt.txt", REF / "trap.txt", detector="multi")["1"]
    mask = make_mask(ch.xy, 100)
    fit = timed("captdata full (multi, HN, 3936-pt mask)", lambda: fit_scr(ch, mask), repeat, rows)
    print(f"captdata: -LL {-fit.loglik:.5f} (secr 759.02575), D {fit.value('D'):.5f}/ha (secr 5.4798)")
    timed("captdata conditional + derived D", lambda: fit_scr(ch, mask, likelihood="conditional"), repeat, rows)

    # 150 cameras 3 km apart, a year of daily occasions collapsed to one binomial per camera (fastproximity).
    rng = np.random.default_rng(2024)
    traps = grid_traps(15, 10, 3000.0)
    big_mask = make_mask(traps[["x", "y"]].to_numpy(), 16000, nx=74)
    dens = 60 / big_mask.area_ha
    ch_big, truth = simulate_capthist(rng, traps, big_mask, dens, 0.004, 4000.0, 365, "proximity", "HN")
    fit_big = timed(f"150 cameras x 365 occasions, {ch_big.n} cats, {len(big_mask)}-pt mask", lambda: fit_scr(ch_big, big_mask),
                    repeat, rows)
    print(f"year survey: N true {truth['N']}, detected {ch_big.n}; D {fit_big.density()['estimate']:.3f}/100 km² "
          f"(true {dens * 1e4:.3f})")

    # Truth: relative bias of D and 95% interval coverage over replicates with known density.
    nrep = 20 if args.quick else 120
    small = grid_traps(7, 7, 20.0)
    small_mask = make_mask(small[["x", "y"]].to_numpy(), 75, nx=24)
    true_d = 25.0

    def replicates() -> tuple[float, float]:
        est, cover = [], 0
        for _ in range(nrep):
            sim, _ = simulate_capthist(rng, small, small_mask, true_d, 0.2, 15.0, 5, "proximity", "HN")
            row = fit_scr(sim, small_mask).estimates.set_index("parameter").loc["D"]
            est.append(row["estimate"])
            cover += row["lcl"] <= true_d <= row["ucl"]
        return float(np.mean(est) / true_d - 1), cover / nrep

    t, c = time.perf_counter(), time.process_time()
    bias, coverage = replicates()
    rows.append((f"truth check: {nrep} simulated surveys", time.perf_counter() - t, time.process_time() - c, peak_mib()))

    print(f"\n{'step':58s} {'wall s':>9s} {'cpu s':>8s} {'peak MiB':>9s}")
    for label, med, mn, mem in rows:
        print(f"{label:58s} {med:9.3f} {mn:8.3f} {mem:9.0f}")
    print(f"\ntruth check ({nrep} replicates, D = {true_d}/ha): relative bias of D {bias:+.3%}, "
          f"95% CI coverage {coverage:.1%}")


if __name__ == "__main__":
    main()
