"""Benchmark: exchange a season of a park (200,000 observations, 2,000 identifications) between two servers on
loopback: a full push, an incremental push after 1,000 observations changed, and a pull with nothing new.

    .venv/bin/python benchmarks/bench_sync.py [--observations 200000] [--identifications 2000] [--quick]

Both servers (uvicorn, one SQLite database each) run in threads of this process, so the peak memory is that of
both nodes and the client together, and they share the CPU. The load average is printed with the figures:
on a shared machine the seconds scale with it.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_exchange import make_package  # noqa: E402


def peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def add_identifications(folder: Path, n_ids: int, n_individuals: int = 60, seed: int = 2) -> None:
    """Put n_ids tiger observations on individuals (the partner's own codes)."""
    obs = pd.read_csv(folder / "observations.csv", dtype=str, keep_default_na=False)
    tigers = np.flatnonzero(obs["scientificName"].to_numpy() == "Panthera tigris altaica")
    rng = np.random.default_rng(seed)
    pick = rng.choice(tigers, size=min(n_ids, len(tigers)), replace=False)
    codes = np.char.add("T", rng.integers(1, n_individuals + 1, len(pick)).astype(str))
    obs.loc[pick, "individualID"] = codes
    obs.to_csv(folder / "observations.csv", index=False)


class Server:
    """A node's API on a free loopback port."""

    def __init__(self, engine, keys: Path) -> None:
        import uvicorn
        from fastapi import FastAPI

        from bigcats.exchange.sync.api import router

        app = FastAPI()
        app.include_router(router(lambda: engine, key_dir=keys))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--observations", type=int, default=200_000)
    parser.add_argument("--identifications", type=int, default=2_000)
    parser.add_argument("--quick", action="store_true", help="20,000 observations, 200 identifications")
    args = parser.parse_args()
    if args.quick:
        args.observations, args.identifications = 20_000, 200

    from sqlalchemy import update

    from bigcats.exchange.camtrapdp.importer import import_package
    from bigcats.exchange.sync import generate_keys, trust_peer
    from bigcats.exchange.sync.client import pull, push
    from bigcats.store import load
    from bigcats.store.db import open_store, table_counts
    from bigcats.store.models import Observation
    from bigcats.store.models_access import SharingAgreement

    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))

    def step(name: str, t0: float, wire: int | None, note: str = "") -> None:
        rows.append((name, time.perf_counter() - t0, wire, peak_mib(), note))

    t = time.perf_counter()
    make_package(tmp / "season", args.observations)
    add_identifications(tmp / "season", args.identifications)
    ru = open_store(f"sqlite:///{tmp / 'ru.db'}")
    cn = open_store(f"sqlite:///{tmp / 'cn.db'}")
    generate_keys(tmp / "ru-keys", "RU")
    generate_keys(tmp / "cn-keys", "CN")
    trust_peer(ru, "CN", tmp / "cn-keys" / "node.pub", partner="HUNCHUN")
    trust_peer(cn, "RU", tmp / "ru-keys" / "node.pub", partner="LLNP")
    import_package(ru, tmp / "season", "LLNP")
    with ru.begin() as conn:
        o, g = load.ensure_partner(conn, "LLNP"), load.ensure_partner(conn, "HUNCHUN")
        conn.execute(SharingAgreement.__table__.insert().values(
            owner_partner_id=o, grantee_partner_id=g, exact_locations=False, created_at=datetime.now()))
    step("set-up: simulate and import the season on RU", t, None)

    servers = [Server(ru, tmp / "ru-keys"), Server(cn, tmp / "cn-keys")]
    try:
        t = time.perf_counter()
        full = push(servers[1].url, ru, "CN", key_dir=tmp / "ru-keys")
        step("full push RU -> CN", t, full["bytes_sent"], f"changes 1..{full['to_seq']}")
        with ru.begin() as conn:  # the owner re-counts 1,000 observations (a field that travels)
            conn.execute(update(Observation).where(Observation.id <= 1000).values(count=Observation.count + 1))
        t = time.perf_counter()
        inc = push(servers[1].url, ru, "CN", key_dir=tmp / "ru-keys")
        step("incremental push (1,000 changed)", t, inc["bytes_sent"],
             f"{inc['result'].get('updated', 0)} updated, {inc['result']['conflicts']} conflicts listed")
        t = time.perf_counter()
        pulled = pull(servers[0].url, cn, "RU", key_dir=tmp / "cn-keys")
        step("pull CN <- RU, nothing new", t, pulled["bytes_received"], "")
    finally:
        for s in servers:
            s.stop()
    a, b = table_counts(ru), table_counts(cn)
    same = all(a[k] == b[k] for k in ("deployment", "media", "observation", "individual_alias"))
    print(f"observations {args.observations:,}, identifications {args.identifications:,}; "
          f"both nodes hold the same rows: {same} (observations {a['observation']:,} / {b['observation']:,}, "
          f"individuals {a['individual_alias']} / {b['individual_alias']})")
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}; cores: {os.cpu_count()}")
    print(f"{'step':48} {'seconds':>8} {'bytes on wire':>14} {'peak MiB':>9}  note")
    for name, sec, wire, mib, note in rows:
        print(f"{name:48} {sec:8.2f} {wire if wire is not None else '':>14} {mib:9.0f}  {note}")


if __name__ == "__main__":
    main()
