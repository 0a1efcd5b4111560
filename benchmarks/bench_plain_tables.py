"""Plain-table intake speed: a surveys table + a records table (Atlantic Forest layout) read and stored in SQLite.

    .venv/bin/python benchmarks/bench_plain_tables.py [--folder DIR] [--copies N] [--quick]

Without --folder the real slice in tests/data/atlantic-forest is repeated N times (survey IDs suffixed) to reach
the size of the full published data set (43,068 records with --copies 92). With --folder, a folder holding the
full files (from the authors' repository, see tests/data/atlantic-forest/SOURCE.md) is read as it is.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bigcats.intake import ingest
from bigcats.intake.store import store_intake
from bigcats.store.db import open_store

SLICE = Path(__file__).resolve().parents[1] / "tests" / "data" / "atlantic-forest"
SURVEYS = "DATASET_CAMTRAP_SURVEYS_ATLANTICFOREST.csv"
RECORDS = "DATASET_CAMTRAP_RECORDS_ATLANTICFOREST.csv"


def _replicate(folder: Path, copies: int) -> None:
    for name in (SURVEYS, RECORDS):
        lines = (SLICE / name).read_bytes().decode("utf-8-sig").split("\r\n")
        head, body = lines[0], [x for x in lines[1:] if x]
        out = [head] + [f"{x.split(';', 1)[0]}_{k};{x.split(';', 1)[1]}" for k in range(copies) for x in body]
        (folder / name).write_bytes(("\ufeff" + "\r\n".join(out) + "\r\n").encode("utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", type=Path)
    ap.add_argument("--copies", type=int, default=92)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "tables"
        if args.folder:
            shutil.copytree(args.folder, folder)
        else:
            folder.mkdir()
            _replicate(folder, 5 if args.quick else args.copies)
        fix = {"deployments": {"crs": {"value": "EPSG:4326"}}}
        t0 = time.perf_counter()
        frames, report = ingest(folder, "BENCH", columns=fix)
        t1 = time.perf_counter()
        engine = open_store(str(Path(tmp) / "bench.db"))
        added = store_intake(engine, frames, report, "BENCH", folder, fmt="table").added
        t2 = time.perf_counter()
        n = len(frames.observations)
        print(f"| records | surveys | read s | store s | total s | records/s |")
        print(f"|---:|---:|---:|---:|---:|---:|")
        print(f"| {n:,} | {len(frames.deployments):,} | {t1 - t0:.1f} | {t2 - t1:.1f} | {t2 - t0:.1f} | "
              f"{n / (t2 - t0):,.0f} |")
        assert added.get("observation") == n


if __name__ == "__main__":
    main()
