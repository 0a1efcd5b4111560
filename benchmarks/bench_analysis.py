"""Benchmark of the survey analytics on a simulated survey: effort, independent events, RAI, one occupancy fit.

Full size: 2,000 stations and 10 million records. `--quick`: 200 stations and 500,000 records.
Run: .venv/bin/python benchmarks/bench_analysis.py [--quick]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from bigcats.analysis.abundance import relative_abundance
from bigcats.analysis.detection_history import detection_history
from bigcats.analysis.effort import trap_nights
from bigcats.analysis.independence import independent_detections
from bigcats.analysis.occupancy import fit_occupancy, history_to_occupancy

SPECIES = ["Panthera tigris altaica", "Panthera pardus orientalis", "Panthera uncia", "Sus scrofa", "Cervus nippon",
           "Capreolus pygargus", "Lepus timidus", "Martes zibellina"]


def simulate(n_stations: int, n_records: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """A one-year survey with outages and records spread over stations, species and time."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"ST{i:05d}" for i in range(n_stations)])
    start = pd.Timestamp("2024-01-01T02:00:00Z") + pd.to_timedelta(rng.integers(0, 30, n_stations), unit="D")
    end = start + pd.to_timedelta(rng.integers(200, 330, n_stations), unit="D")
    deployments = pd.DataFrame({"deploymentID": ids, "locationID": ids, "deploymentStart": start, "deploymentEnd": end,
                                "utcOffset": 600, "country": np.where(np.arange(n_stations) % 3 == 0, "CHN", "RUS"),
                                "latitude": rng.uniform(42, 46, n_stations), "longitude": rng.uniform(129, 134, n_stations)})
    broken = rng.random(n_stations) < 0.3
    o_start = start[broken] + pd.to_timedelta(rng.integers(20, 150, broken.sum()), unit="D")
    outages = pd.DataFrame({"deploymentID": ids[broken], "start": o_start,
                            "end": o_start + pd.to_timedelta(rng.integers(1, 40, broken.sum()), unit="D")})
    st = rng.integers(0, n_stations, n_records)
    start, end = start.as_unit("ns"), end.as_unit("ns")
    span = (end - start).asi8[st]
    ts = start.asi8[st] + (rng.random(n_records) * span).astype("int64")
    observations = pd.DataFrame({
        "observationID": np.arange(n_records).astype(str), "deploymentID": ids[st], "locationID": ids[st],
        "timestamp": pd.to_datetime(ts, utc=True), "utcOffset": 600,
        "scientificName": pd.Categorical.from_codes(_species_codes(rng, st, n_stations, n_records), SPECIES),
        "observationType": "animal", "count": 1,
    })
    return {"deployments": deployments, "outages": outages, "observations": observations}


def _species_codes(rng: np.random.Generator, st: np.ndarray, n_stations: int, n_records: int) -> np.ndarray:
    """Species per record; tigers rare (about 14 records a station) and only at 40% of stations, so occupancy < 1."""
    tiger_share = min(0.5, 14 * n_stations / n_records)
    others = np.full(len(SPECIES) - 1, (1 - tiger_share) / (len(SPECIES) - 1))
    codes = rng.choice(len(SPECIES), n_records, p=np.r_[tiger_share, others])
    return np.where((codes == 0) & (st % 5 >= 2), 3, codes)


def measure(label: str, fn, rows: list) -> object:
    """Run fn, recording seconds and the process peak RSS before and after (tracemalloc would distort timings)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append((label, secs, cpu, rss - before, rss))
    return result


def main() -> None:
    """Simulate, time each step and print a table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n_st, n_rec = (200, 500_000) if args.quick else (2_000, 10_000_000)
    t0 = time.perf_counter()
    f = simulate(n_st, n_rec)
    print(f"simulated {n_st} stations, {n_rec:,} records in {time.perf_counter() - t0:.1f} s (not counted)")
    rows: list = []
    eff = measure("effort (trap-nights per station)", lambda: trap_nights(
        f["deployments"], f["outages"], by=["locationID", "country"]), rows)
    ev = measure("independent events (30 min)", lambda: independent_detections(f["observations"], "30min"), rows)
    measure("RAI per species and station", lambda: relative_abundance(ev, eff, by=["locationID"]), rows)
    measure("RAI per species and side (1000 boot)", lambda: relative_abundance(ev, eff, by=["country"]), rows)
    dh = measure("detection history (7-day occasions)", lambda: detection_history(
        ev, f["deployments"], SPECIES[0], f["outages"], occasion_length=7), rows)
    measure("occupancy fit (effort covariate)", lambda: fit_occupancy(
        history_to_occupancy(dh.history, None, {"effort": dh.effort}), p_covs=["effort"]), rows)
    total, total_cpu = sum(r[1] for r in rows), sum(r[2] for r in rows)
    # CPU seconds beside wall seconds: on a shared machine the wall time also counts other people's work.
    print(f"{'step':42s} {'seconds':>8s} {'CPU s':>8s} {'peak RSS growth MiB':>20s} {'max RSS MiB':>12s}")
    for label, secs, cpu, peak, rss in rows:
        print(f"{label:42s} {secs:8.2f} {cpu:8.2f} {peak:20.0f} {rss:12.0f}")
    print(f"{'total':42s} {total:8.2f} {total_cpu:8.2f}")
    print(f"independent events: {len(ev):,} of {n_rec:,} records")


if __name__ == "__main__":
    main()
