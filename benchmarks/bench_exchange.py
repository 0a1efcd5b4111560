"""Benchmark: import a large simulated Camtrap DP package into SQLite and PostgreSQL, export it, and validate it
with frictionless for comparison. Each step runs in its own process so that its peak memory is its own.

    .venv/bin/python benchmarks/bench_exchange.py [--observations 1000000] [--quick] [--pg URL]
    .venv/bin/python benchmarks/bench_exchange.py --sqlite-import --observations 200000 [--profile]

Without --pg it starts the project's private PostgreSQL server through scripts/postgres.sh. `--sqlite-import`
measures only the import into SQLite (the issue's import rate), printing wall and CPU seconds, since on a shared
machine the wall time mostly measures the other processes; `--profile` adds where the import's CPU time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _fields(name: str) -> list[str]:
    from bigcats.exchange.camtrapdp.package import table_schema

    return [f["name"] for f in table_schema(name)["fields"]]


def make_package(folder: Path, n_obs: int, n_deployments: int = 200, seed: int = 1) -> None:
    """Write a valid package with n_obs media and one media-level observation per media, in chunks."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    dep_ids = np.array([f"dep{i:04d}" for i in range(n_deployments)])
    start = pd.Timestamp("2024-01-01T00:00:00")
    deps = pd.DataFrame({
        "deploymentID": dep_ids,
        "locationID": [f"st{i:04d}" for i in range(n_deployments)],
        "latitude": rng.uniform(42.5, 43.6, n_deployments).round(5),
        "longitude": rng.uniform(130.3, 131.7, n_deployments).round(5),
        "deploymentStart": (start.strftime("%Y-%m-%dT%H:%M:%S") + "+10:00"),
        "deploymentEnd": "2024-12-31T00:00:00+10:00",
    })
    # Camtrap DP tables carry every field of their schema as a column, filled or not.
    deps.reindex(columns=_fields("deployments")).to_csv(folder / "deployments.csv", index=False)
    species = np.array(["Panthera tigris altaica", "Panthera pardus orientalis", "Sus scrofa", "Cervus nippon",
                        "Capreolus pygargus", "Meles leucurus"])
    chunk = 250_000
    with open(folder / "media.csv", "w") as fm, open(folder / "observations.csv", "w") as fo:
        fm.write(",".join(_fields("media")) + "\n")
        fo.write(",".join(_fields("observations")) + "\n")
        for lo in range(0, n_obs, chunk):
            n = min(chunk, n_obs - lo)
            idx = np.arange(lo, lo + n)
            dep = dep_ids[rng.integers(0, n_deployments, n)]
            secs = rng.integers(0, 360 * 86400, n)
            ts = (np.datetime64("2024-01-01T00:00:00") + secs.astype("timedelta64[s]")).astype(str)
            ts = np.char.add(ts.astype(str), "+10:00")
            mid = np.char.add("m", idx.astype(str))
            pd.DataFrame({
                "mediaID": mid, "deploymentID": dep, "captureMethod": "activityDetection", "timestamp": ts,
                "filePath": np.char.add("media/", np.char.add(mid, ".jpg")), "filePublic": "false",
                "fileName": np.char.add(mid, ".jpg"), "fileMediatype": "image/jpeg",
            }).reindex(columns=_fields("media")).to_csv(fm, index=False, header=False)
            pd.DataFrame({
                "observationID": np.char.add("o", idx.astype(str)), "deploymentID": dep, "mediaID": mid,
                "eventID": np.char.add("e", (idx // 3).astype(str)), "eventStart": ts, "eventEnd": ts,
                "observationLevel": "media", "observationType": "animal",
                "scientificName": species[rng.integers(0, len(species), n)], "count": rng.integers(1, 4, n),
                "classificationMethod": "machine", "classificationProbability": rng.uniform(0.5, 1, n).round(3),
            }).reindex(columns=_fields("observations")).to_csv(fo, index=False, header=False)
    descriptor = {
        "name": "bench", "id": "bench-package", "profile": "https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/camtrap-dp-profile.json",
        "created": "2024-12-31T00:00:00Z", "contributors": [{"title": "bigcats benchmark"}],
        "project": {"title": "bench", "samplingDesign": "systematicRandom", "captureMethod": ["activityDetection"],
                    "individualAnimals": False, "observationLevel": ["media"]},
        "spatial": {"type": "Polygon", "coordinates": []}, "temporal": {"start": "2024-01-01", "end": "2024-12-31"},
        "taxonomic": [{"scientificName": s} for s in species],
        "resources": [{"name": n, "path": f"{n}.csv", "profile": "tabular-data-resource",
                       "schema": f"https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/{n}-table-schema.json"}
                      for n in ("deployments", "media", "observations")],
    }
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=1))


STEP = r"""
import json, resource, sys, time
from bigcats.store.db import open_store
step, arg, db = sys.argv[1], sys.argv[2], sys.argv[3]
t = time.perf_counter()
cpu = time.process_time()
if step == "profile":
    import cProfile, io, pstats
    from bigcats.exchange.camtrapdp.importer import import_package
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    r = import_package(open_store(db), arg, "BENCH")
    prof.disable()
    rows = r.rows_read["observation"] + r.rows_read["media"]
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
    print(out.getvalue(), file=sys.stderr)
elif step == "import":
    from bigcats.exchange.camtrapdp.importer import import_package
    r = import_package(open_store(db), arg, "BENCH")
    rows = r.rows_read["observation"] + r.rows_read["media"]
elif step == "export":
    from bigcats.exchange.camtrapdp.exporter import export_package
    r = export_package(open_store(db), arg)
    rows = r.rows["observations"] + r.rows["media"]
elif step == "validate":
    from bigcats.exchange.camtrapdp.importer import validate_package
    from bigcats.exchange.camtrapdp.package import open_package
    problems, _ = validate_package(open_package(arg))
    assert not problems, problems.summary()
    rows = None
elif step == "frictionless":
    from bigcats.exchange.camtrapdp.package import open_package
    from bigcats.exchange.camtrapdp.validate import validate_with_frictionless
    found = validate_with_frictionless(open_package(arg))
    assert not found, found[:3]
    rows = None
secs = time.perf_counter() - t
print(json.dumps({"seconds": secs, "cpu_seconds": time.process_time() - cpu, "rows": rows,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_step(step: str, arg: str, db: str) -> dict:
    """Run one step in a fresh interpreter and return its time and peak memory."""
    out = subprocess.run([sys.executable, "-c", STEP, step, arg, db], capture_output=True, text=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    if step == "profile":
        print(out.stderr, file=sys.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def sqlite_import(n: int, profile: bool) -> None:
    """Only the import into a new SQLite database: wall and CPU seconds, observations a second by each."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_package(tmp / "pkg", n)
        load = os.getloadavg()[0]
        r = run_step("profile" if profile else "import", str(tmp / "pkg"), f"sqlite:///{tmp / 'bench.db'}")
        print(f"\n| import into SQLite, {n:,} observations + {n:,} media | wall s | obs/s (wall) | CPU s | "
              "obs/s (CPU) | peak MiB | load average |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        print(f"| bigcats | {r['seconds']:.1f} | {n / r['seconds']:,.0f} | {r['cpu_seconds']:.1f} | "
              f"{n / r['cpu_seconds']:,.0f} | {r['peak_mib']:.0f} | {load:.1f} |")


def main() -> None:
    """Run the benchmark and print a table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--observations", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="100,000 observations")
    ap.add_argument("--pg", help="PostgreSQL URL (default: start the project's private server)")
    ap.add_argument("--no-frictionless", action="store_true")
    ap.add_argument("--sqlite-import", action="store_true", help="only the import into SQLite")
    ap.add_argument("--profile", action="store_true", help="with --sqlite-import: where the CPU time goes")
    args = ap.parse_args()
    n = 100_000 if args.quick else args.observations
    if args.sqlite_import:
        sqlite_import(n, args.profile)
        return
    pg = args.pg or subprocess.run(["bash", str(ROOT / "scripts/postgres.sh"), "start"], capture_output=True,
                                   text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        make_package(tmp / "pkg", n)
        print(f"generated {n:,} media + {n:,} observations in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        rows = []
        sqlite = f"sqlite:///{tmp / 'bench.db'}"
        from sqlalchemy import create_engine, text
        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("DROP DATABASE IF EXISTS bigcats_bench WITH (FORCE)"))
            c.execute(text("CREATE DATABASE bigcats_bench"))
        pg_db = pg.rsplit("/", 1)[0] + "/bigcats_bench"
        for label, step, arg, db in [
            ("validate (bigcats, streaming)", "validate", str(tmp / "pkg"), sqlite),
            ("import into SQLite", "import", str(tmp / "pkg"), sqlite),
            ("re-import into SQLite (adds nothing)", "import", str(tmp / "pkg"), sqlite),
            ("export from SQLite", "export", str(tmp / "out-sqlite"), sqlite),
            ("import into PostgreSQL", "import", str(tmp / "pkg"), pg_db),
            ("export from PostgreSQL", "export", str(tmp / "out-pg"), pg_db),
        ] + ([] if args.no_frictionless else [("validate (frictionless)", "frictionless", str(tmp / "pkg"), sqlite)]):
            r = run_step(step, arg, db)
            obs_per_s = n / r["seconds"]
            rows.append((label, r["seconds"], obs_per_s, r["peak_mib"]))
            print(f"{label:40s} {r['seconds']:8.1f} s {obs_per_s:12,.0f} obs/s {r['peak_mib']:8.0f} MiB",
                  file=sys.stderr)
        with admin.connect() as c:
            c.execute(text("DROP DATABASE IF EXISTS bigcats_bench WITH (FORCE)"))
    print(f"\n| step ({n:,} observations + {n:,} media) | seconds | observations/s | peak memory (MiB) |")
    print("|---|---:|---:|---:|")
    for label, secs, rate, mem in rows:
        print(f"| {label} | {secs:.1f} | {rate:,.0f} | {mem:.0f} |")
    ours = next((r for r in rows if r[0].startswith("validate (bigcats")), None)
    theirs = next((r for r in rows if r[0].startswith("validate (frictionless")), None)
    if ours and theirs:
        print(f"\nfrictionless validation / bigcats validation time: {theirs[1] / ours[1]:.1f}x")


if __name__ == "__main__":
    main()
