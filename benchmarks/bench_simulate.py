"""Benchmark of the survey simulator: seconds and peak memory per step.

Run: .venv/bin/python benchmarks/bench_simulate.py [--quick]
(--quick: 60 stations; default: the demo survey of 150 stations, then a 600-station survey with 4x the cats).
"""

from __future__ import annotations

import argparse
import gc
import platform
import resource
import time
import tracemalloc
from dataclasses import replace

from rich.console import Console
from rich.table import Table

from bigcats.simulate import SurveyConfig, load_countries, simulate_survey, summarise
from bigcats.simulate.config import DEFAULT_CATS


def _step(name: str, fn, rows: list) -> object:
    # Timed without tracemalloc (it slows allocation-heavy pandas code several-fold), then traced for memory.
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows.append((name, seconds, peak / 2**20))
    return out


def main() -> None:
    """Time the simulator at quick or full size and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small size (60 stations)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows: list = []
    gc.collect()
    t0 = time.perf_counter()
    load_countries()
    rows.append(("read country outlines (cold, cached after)", time.perf_counter() - t0, None))
    sizes = [("60 stations", SurveyConfig(n_stations=60))] if args.quick else [
        ("150 stations (demo)", SurveyConfig()),
        ("600 stations, 4x cats", SurveyConfig(n_stations=600, cats=tuple(
            replace(c, n_individuals=4 * c.n_individuals) for c in DEFAULT_CATS))),
    ]
    for label, cfg in sizes:
        survey = _step(f"simulate_survey, {label}", lambda cfg=cfg: simulate_survey(args.seed, cfg), rows)
        _step(f"summary, {label}", lambda s=survey: summarise(s), rows)
        obs = survey.frame("observations")
        media = survey.frame("media")
        rows.append((f"  -> {len(obs):,} events, {len(media):,} photos, "
                     f"{len(survey.frame('deployments'))} deployments", None, None))
    table = Table(title=f"bigcats.simulate benchmark ({platform.machine()}, {platform.python_version()})")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    table.add_column("peak traced MiB", justify="right")
    for name, sec, mib in rows:
        table.add_row(name, "" if sec is None else f"{sec:.2f}", "" if mib is None else f"{mib:.0f}")
    console = Console()
    console.print(table)
    console.print(f"max RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
