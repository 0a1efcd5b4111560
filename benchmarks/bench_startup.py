"""Benchmark of the CLI's start-up: seconds (wall and CPU) and peak memory of `bigcats --help` and of commands'
help, beside `python -c pass` in the same run.

Run: .venv/bin/python benchmarks/bench_startup.py [--quick] [--repeat N]
Each command runs as its own process N times (default 7, --quick 3); the table gives the median wall and CPU
seconds and the largest peak resident memory (ru_maxrss of the child, from os.wait4). CPU seconds are the figure
to compare on a shared machine: wall seconds grow with the load of other processes, CPU seconds much less.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _bigcats() -> list[str]:
    # the console script beside this Python, else the module entry point (same code, one more import of runpy)
    script = Path(sys.executable).with_name("bigcats")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from bigcats.cli import main; main()"]


def measure(argv: list[str], repeat: int) -> tuple[float, float, float]:
    """Median wall seconds, median CPU seconds (user + system) and peak MiB of `argv` run `repeat` times."""
    walls, cpus, peaks = [], [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - t0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
        cpus.append(usage.ru_utime + usage.ru_stime)
        peaks.append(usage.ru_maxrss / 1024)  # KiB on Linux
    return statistics.median(walls), statistics.median(cpus), max(peaks)


def main() -> None:
    """Run each command's help `repeat` times and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.quick else 7)
    cli = _bigcats()
    cases = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("bigcats --help", [*cli, "--help"]),
        ("bigcats density --help", [*cli, "density", "--help"]),
        ("bigcats import camtrap-dp --help", [*cli, "import", "camtrap-dp", "--help"]),
        ("bigcats demo --help", [*cli, "demo", "--help"]),
    ]
    load = os.getloadavg()[0]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {load:.1f}, {repeat} runs each, bigcats at {shutil.which(cli[0]) or cli[0]}")
    print()
    print("| command | wall s (median) | CPU s (median) | peak MiB | CPU × python -c pass |")
    print("|---|---:|---:|---:|---:|")
    base_cpu = None
    for name, argv in cases:
        wall, cpu, peak = measure(argv, repeat)
        base_cpu = base_cpu or max(cpu, 1e-3)
        print(f"| `{name}` | {wall:.3f} | {cpu:.3f} | {peak:.0f} | {cpu / base_cpu:.1f} |")


if __name__ == "__main__":
    main()
