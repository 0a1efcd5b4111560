"""Benchmark: the web application on PostgreSQL holding many observations, browsed by concurrent users.

    .venv/bin/python benchmarks/bench_web.py [--observations 1000000] [--users 50] [--seconds 60] [--quick]
                                             [--workers 2] [--think 0,0] [--repeat 50] [--pg URL]
                                             [--db URL] [--keep-db] [--build-only] [--server-args '...']

Builds a PostgreSQL database with benchmarks/bench_exchange.py's simulated package (tigers and leopards among
the species, so the visibility rules do real work), marks some tiger observations as catalogue individuals,
adds users and a public sharing agreement, starts uvicorn in a subprocess on loopback, and lets N simulated
users (half signed in as members, half public) browse the map, the catalogue and the dashboard in a loop, each
page with the API calls its JavaScript makes, without pause between pages by default.

The users are a lean raw-socket HTTP/1.1 client (benchmarks/webload.py, keep-alive, gzip asked for as browsers
do), not httpx, so that the load generator takes little of the cores it shares with the server; its share, the
server's and the machine's are printed. Before the run every route and filter is asked once per visibility (the
first build of each answer is reported apart), then each route `--repeat` times in a row by one user (the cost of
one request without concurrency). Prints markdown tables for BENCHMARKS.md: requests per second and p50/p95/p99
latency and errors per route. Build once with `--build-only --keep-db`, then pass the printed URL to `--db`.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from urllib.parse import quote
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

PASSWORD = "bench-password-1"
SPECIES = ["Panthera tigris altaica", "Panthera pardus orientalis", "Sus scrofa", "Cervus nippon"]


def _pg_base(url: str | None) -> str:
    if url:
        return url
    out = subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "start"], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip().splitlines()[-1]


def build_database(base: str, n_obs: int, n_deployments: int) -> tuple[str, dict]:
    """A new PostgreSQL database holding the simulated survey, users and a public agreement; step timings."""
    from sqlalchemy import create_engine, text

    import bigcats.store.models_access  # noqa: F401
    from bench_exchange import make_package
    from bigcats.exchange.camtrapdp.importer import import_package
    from bigcats.store.db import open_store
    from bigcats.web.api.admin import add_user

    name = f"bench_web_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base.rsplit("/", 1)[0] + "/" + name
    steps = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        make_package(Path(tmp) / "pkg", n_obs, n_deployments)
        steps["make package"] = time.perf_counter() - t
        t = time.perf_counter()
        engine = open_store(url)
        import_package(engine, Path(tmp) / "pkg", "BENCH", country="RUS")
        steps["import (PostgreSQL)"] = time.perf_counter() - t
    t = time.perf_counter()
    with engine.begin() as conn:
        pid = conn.execute(text("SELECT id FROM partner WHERE code = 'BENCH'")).scalar_one()
        conn.execute(text("UPDATE station SET country = 'RUS' WHERE country IS NULL"))
        tiger = conn.execute(text("SELECT id FROM species WHERE scientific_name = 'Panthera tigris altaica'")
                             ).scalar_one()
        # 60 catalogue tigers, each observation of every 25th tiger photo assigned to one of them.
        conn.execute(text("INSERT INTO individual (species_id, code, sex) SELECT :sp, 'AT-' || g, "
                          "CASE WHEN g % 2 = 0 THEN 'male' ELSE 'female' END FROM generate_series(1, 60) g"),
                     {"sp": tiger})
        conn.execute(text("UPDATE observation o SET individual_id = i.id FROM individual i "
                          "WHERE o.species_id = :sp AND o.id % 25 = 0 AND i.code = 'AT-' || (o.id % 60 + 1)"),
                     {"sp": tiger})
        conn.execute(text("INSERT INTO sharing_agreement (owner_partner_id, grantee_partner_id, exact_locations, "
                          "created_at) VALUES (:p, NULL, false, now())"), {"p": pid})
        for i in range(10):
            add_user(conn, f"member{i}", PASSWORD, pid, "viewer")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
        steps["observations"] = conn.execute(text("SELECT count(*) FROM observation")).scalar_one()
    engine.dispose()
    steps["users, individuals, ANALYZE"] = time.perf_counter() - t
    return url, steps


def start_server(url: str, workers: int, extra: str = "") -> tuple[subprocess.Popen, str]:
    """uvicorn serving create_app on a free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "bigcats.web.app:create_app",
                             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                             "--log-level", "warning", "--no-access-log", *extra.split()],
                            env={**os.environ, "BIGCATS_DB": url, "OMP_NUM_THREADS": "1"})
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 240  # two workers importing pandas on a loaded machine take a while
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def _pages(rng: random.Random) -> list[tuple[str, str]]:
    """One browsing step: a page and the API calls its JavaScript makes."""
    sp = quote(rng.choice(SPECIES))
    choice = rng.random()
    if choice < 0.4:
        # What map.js asks for (the country outlines are a static file the browser keeps).
        return [("map page", "/map"), ("map layers", "/api/layers"), ("stations.geojson", "/api/stations.geojson"),
                ("map detections", f"/api/map/detections.geojson?species={sp}"),
                ("home ranges", f"/api/homeranges.geojson?species={sp}")]
    if choice < 0.7:
        return [("catalogue page", "/catalogue"), ("individuals api", f"/api/individuals?species={sp}")]
    return [("dashboard page", "/"), ("dashboard api", f"/api/dashboard?species={sp}&side=RUS")]


def _logins(users: int) -> list:
    """Half the users signed in as members (of ten accounts), half the public."""
    return [(f"member{i % 10}", PASSWORD) if i % 2 == 0 else None for i in range(users)]


def single(base: str, repeat: int) -> list[tuple[str, str, float, float]]:
    """Each route asked `repeat` times in a row by one member and by the public, after one warm-up request:
    (who, route, median ms, p95 ms), the cost of one request without concurrency."""
    from webload import sequential

    rng = random.Random(0)
    routes: dict[str, str] = {}
    for _ in range(200):
        for label, path in _pages(rng):
            routes.setdefault(label, path)
    routes["healthz"] = "/healthz"
    out = []
    for who, login in (("member", ("member0", PASSWORD)), ("public", None)):
        times = sequential(base, login, sorted(routes.items()), repeat)
        for label, ts in times.items():
            ms = np.array(ts) * 1000
            out.append((who, label, float(np.median(ms)), float(np.percentile(ms, 95))))
    return out


def _peak_rss_mib(pid: int) -> float:
    """Peak resident memory of a process and its children (uvicorn workers), from /proc."""
    total = 0.0
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


def main() -> None:
    """Build, serve, load, report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--observations", type=int, default=1_000_000)
    ap.add_argument("--deployments", type=int, default=400)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--think", default="0,0", help="seconds a user waits between pages: MIN,MAX (none by default)")
    ap.add_argument("--repeat", type=int, default=50,
                    help="requests in a row per route for the one-at-a-time latencies (0: skip them)")
    ap.add_argument("--server-args", default="", help="more uvicorn options, e.g. '--loop asyncio --http h11'")
    ap.add_argument("--quick", action="store_true", help="50,000 observations, 20 users, 15 s")
    ap.add_argument("--pg", help="PostgreSQL server URL (default: start scripts/postgres.sh)")
    ap.add_argument("--db", help="reuse a database built by an earlier run (skips the build)")
    ap.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    ap.add_argument("--build-only", action="store_true", help="build the database, print its URL and stop")
    args = ap.parse_args()
    if args.quick:
        args.observations, args.users, args.seconds = 50_000, 20, 15
    base_pg = _pg_base(args.pg)
    if args.db:
        url, steps = args.db, {}
    else:
        url, steps = build_database(base_pg, args.observations, args.deployments)
    if args.build_only:
        print(url)
        for step, value in steps.items():
            print(f"  {step:<30} {value:>12,.1f}")
        return
    build_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from webload import run, sequential

    think = tuple(float(x) for x in args.think.split(","))
    from sqlalchemy import text

    from bigcats.store.db import open_store

    engine = open_store(url)  # schema upgraded here, not by two workers racing at start-up
    with engine.begin() as conn:  # sign-ins of earlier runs would count against this one's
        conn.execute(text("DELETE FROM web_login_attempt"))
    engine.dispose()
    proc, base = start_server(url, args.workers, args.server_args)
    try:
        # Warm-up: every route and filter once per visibility, twice (both workers), so the run measures the
        # steady state; the first builds are reported on their own.
        rng = random.Random(0)
        paths = sorted({p for _ in range(400) for p in _pages(rng)})
        first = {}
        for _ in range(2 * args.workers):
            for who, login in (("member", ("member0", PASSWORD)), ("public", None)):
                for (label, path), ts in zip(paths, sequential(base, login, paths, 1).values()):
                    first[(who, path)] = max(first.get((who, path), 0.0), ts[0])
        singles = single(base, args.repeat) if args.repeat else []
        machine0, server0 = _machine_cpu(), _tree_cpu(proc.pid)
        results, wall, client_cpu = run(base, _logins(args.users), _pages, args.seconds, think)
        machine1, server1 = _machine_cpu(), _tree_cpu(proc.pid)
        server_peak = _peak_rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    if not args.keep_db and not args.db:  # a database given with --db belongs to the caller
        from sqlalchemy import create_engine, text

        admin = create_engine(base_pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()

    cores = os.cpu_count() or 1
    busy = (machine1[0] - machine0[0]) / max(machine1[1] - machine0[1], 1e-9)
    print(f"\nbigcats web benchmark: {args.observations:,} observations on PostgreSQL, {args.users} users, "
          f"{args.seconds:.0f} s, think time {args.think} s, {args.workers} uvicorn workers "
          f"{' '.join(args.server_args.split()) or ''}".rstrip())
    print(f"  load average before the run {os.getloadavg()[0]:.1f}; {cores} cores busy {busy:.0%} during it; "
          f"server {(server1 - server0) / wall / cores:.0%} of the machine, load client "
          f"{client_cpu / wall / cores:.0%} (PostgreSQL and other work the rest)")
    for step, value in steps.items():
        print(f"  {step:<30} {value:>12,.1f}" + (" s" if isinstance(value, float) else ""))
    print(f"  build peak memory (this process) {build_peak:,.0f} MiB; server peak (all workers) "
          f"{server_peak:,.0f} MiB; slowest first build of an answer {max(first.values()) * 1000:,.0f} ms")
    if singles:
        print(f"\none request at a time ({args.repeat} in a row, answer cached):\n")
        print("| caller | route | median ms | p95 ms |\n|---|---|---:|---:|")
        for who, label, med, p95 in singles:
            print(f"| {who} | {label} | {med:.1f} | {p95:.1f} |")
    print(f"\n{args.users} users without pause ({len(results):,} requests in {wall:.0f} s):\n")
    print("| route | requests | req/s | p50 ms | p95 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|---:|---:|")
    labels = sorted({r[0] for r in results})
    rows = [(lab, [r for r in results if r[0] == lab]) for lab in labels] + [("**all**", results)]
    for lab, rs in rows:
        lat = np.array([r[1] for r in rs]) * 1000
        errors = sum(not r[2] for r in rs)
        print(f"| {lab} | {len(rs):,} | {len(rs) / wall:.1f} | {np.percentile(lat, 50):.0f} | "
              f"{np.percentile(lat, 95):.0f} | {np.percentile(lat, 99):.0f} | {errors} |")


def _machine_cpu() -> tuple[float, float]:
    """(busy CPU seconds of all cores, elapsed seconds) from /proc/stat, to take differences of."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / tick, sum(fields) / tick / (os.cpu_count() or 1)


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (the uvicorn workers) so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        try:
            stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(stat[11]) + int(stat[12])) / tick
    return total

if __name__ == "__main__":
    main()
