"""Benchmark of the per-species review plan (bigcats.analysis.review_plan) beside camtraptools 0.8.1 on one input.

A one-year survey: N stations, M machine-labelled events of 8 species at random confidences, 3 % reviewed (the least
confident). The same event table and effort matrix go to both; their answers are compared (species table and event
order) and the time of each is reported, with the ratio. camtraptools is optional (not a dependency of bigcats):
`pip install --no-deps --target /tmp/ctt camtraptools==0.8.1` then PYTHONPATH=/tmp/ctt.
Run: nice python benchmarks/bench_review_plan.py [--stations 300] [--events 100000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from bigcats.analysis import review_plan as rp

SPECIES = ["Panthera tigris altaica", "Panthera pardus orientalis", "Panthera uncia", "Sus scrofa", "Cervus nippon",
           "Capreolus pygargus", "Lepus timidus", "Martes zibellina"]


def make(n_stations: int, n_events: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The event table and the daily operation (site, date) of a simulated survey."""
    rng = np.random.default_rng(seed)
    sites = np.array([f"ST{i:04d}" for i in range(n_stations)])
    days = pd.date_range("2024-01-01", periods=365, freq="D")
    daily = pd.DataFrame({"site": np.repeat(sites, len(days)), "date": np.tile(days, n_stations)})
    weights = np.array([0.01, 0.005, 0.005, 0.3, 0.25, 0.3, 0.08, 0.05])
    truth = rng.choice(SPECIES, n_events, p=weights / weights.sum())
    conf = np.round(rng.beta(6, 1.5, n_events), 3)
    wrong = rng.random(n_events) < (1 - conf)
    ai = np.where(wrong, rng.choice(SPECIES + ["blank", "animal"], n_events), truth)
    events = pd.DataFrame({"eventID": [f"e{i}" for i in range(n_events)], "site": rng.choice(sites, n_events),
                           "day": days[rng.integers(0, 365, n_events)].date, "ai": ai, "confidence": conf,
                           "truth": None})
    order = np.argsort(conf)[: int(0.03 * n_events)]
    events.loc[order, "truth"] = truth[order]
    return events, daily


def main() -> None:
    """Time both planners on one input and compare their answers."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--stations", type=int, default=300)
    ap.add_argument("--events", type=int, default=100_000)
    args = ap.parse_args()
    events, daily = make(args.stations, args.events)
    t = time.perf_counter()
    effort = rp.effort_matrix(daily, 7)
    plan = rp.review_plan(events, effort, 7)
    ours = time.perf_counter() - t
    print(f"bigcats review_plan: {args.stations} stations, {args.events:,} events: {ours:.2f} s "
          f"({len(plan.events):,} events to review, {plan.reviewed:,} reviews)")
    try:
        from camtraptools import ecology, plan as ctt_plan, uncertainty
    except ImportError:
        print("camtraptools not importable: no comparison")
        return
    deployments = pd.DataFrame({"deploymentID": effort.index, "locationID": effort.index,
                                "deploymentStart": "2024-01-01T00:00:00", "deploymentEnd": "2024-12-30T23:00:00"})
    t = time.perf_counter()
    table = events.assign(used=events["truth"].fillna(events["ai"]), also=[()] * len(events))
    chances = uncertainty.label_chances(table, {})
    ctt_effort = ecology.effort_matrix(deployments, 7)
    species, order = ctt_plan.build(chances, ctt_effort, 7)
    theirs = time.perf_counter() - t
    same = (list(species.index) == list(plan.species["species"])
            and order["eventID"].tolist() == plan.events["eventID"].tolist()
            and np.allclose(species["inDoubt"], plan.species["inDoubt"], atol=0.011))
    print(f"camtraptools 0.8.1 plan.build: {theirs:.2f} s; same answer: {same}; "
          f"time ratio bigcats/camtraptools: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
