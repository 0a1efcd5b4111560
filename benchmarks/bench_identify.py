"""Benchmark of identification: accuracy per difficulty level, indexing speed, query time, Dask speed-up.

    .venv/bin/python benchmarks/bench_identify.py --quick   # small sizes, ~3 min on 2 cores
    .venv/bin/python benchmarks/bench_identify.py           # 50x6 per level, catalogue of 1,000 x 5 photos
    # the figures the issue checks, nothing else: moderate tigers and leopards, query time against 1,000 tigers
    nice -n 10 .venv/bin/python benchmarks/bench_identify.py --levels moderate --no-dask
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from bigcats.identify.batch import identify_batch
from bigcats.identify.coats import generate_dataset, render
from bigcats.identify.evaluate import evaluate_folder
from bigcats.identify.features import extract
from bigcats.identify.index import build_catalogue, save
from bigcats.identify.match import match_features

SN = "Panthera tigris altaica"


def peak_mib() -> float:
    """Peak resident memory of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Rows(list):
    """Table rows, printed as they come so that a long run shows progress."""

    def append(self, row: tuple) -> None:
        """Add a row and print it."""
        if not self:
            print(f"{'step':48s} {'seconds':>9s} {'peak MiB':>9s}  note", flush=True)
        step, sec, mem, note = row
        print(f"{step:48s} {sec:9.2f} {mem:9.0f}  {note}", flush=True)
        super().append(row)


def _features(args):
    ind, photo = args
    img, box, _ = render("tiger", ind, "right", photo, "moderate", seed=11)
    t0 = time.process_time()
    f = extract(img, box)
    return f, time.process_time() - t0


def main() -> None:
    """Run the benchmark and print a table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--levels", default="easy,moderate,hard", help="tiger difficulty levels to evaluate (comma-separated)")
    ap.add_argument("--catalogue", type=int, default=None, help="individuals in the query-time catalogue")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask batch (1 and 2 workers)")
    a = ap.parse_args()
    n_ind, n_ph, cat_ind, n_query = (20, 6, 200, 40) if a.quick else (50, 6, 1000, 100)
    cat_ind = a.catalogue or cat_ind
    rows = Rows()
    tmp = Path(tempfile.mkdtemp(prefix="bench_identify_"))
    for level in [v.strip() for v in a.levels.split(",") if v.strip()]:
        t0 = time.perf_counter()
        generate_dataset(tmp / level, n_ind, n_ph, "tiger", level, seed=1)
        r = evaluate_folder(tmp / level)
        rows.append((f"accuracy tiger {level} {n_ind}x{n_ph}", time.perf_counter() - t0, peak_mib(),
                     f"top1 {r['top1']:.3f} top5 {r['top5']:.3f} mAP {r['mAP']:.3f} false-new {r['false_new_rate']:.3f} "
                     f"wrong {r['wrong_match_rate']:.3f} open-set-wrong {r['open_set_wrong_match_rate']:.3f} refused {len(r['refused'])}"))
    t0 = time.perf_counter()
    # Leopards at the moderate level too: rosettes, not stripes.
    generate_dataset(tmp / "leopard", n_ind, n_ph, "leopard", "moderate", seed=1)
    r = evaluate_folder(tmp / "leopard")
    rows.append((f"accuracy leopard moderate {n_ind}x{n_ph}", time.perf_counter() - t0, peak_mib(),
                 f"top1 {r['top1']:.3f} top5 {r['top5']:.3f} mAP {r['mAP']:.3f} false-new {r['false_new_rate']:.3f} wrong {r['wrong_match_rate']:.3f}"))

    # Catalogue of cat_ind individuals x 5 photos (right flank), rendered and described on 2 processes.
    jobs = [(f"C{i:04d}", p) for i in range(cat_ind) for p in range(5)]
    t0 = time.perf_counter()
    with Pool(2) as pool:
        out = pool.map(_features, jobs, chunksize=20)
    feats = [f for f, _ in out]
    cpu = sum(c for _, c in out)
    rows.append((f"feature extraction {len(jobs)} photos", cpu, peak_mib(), f"{len(jobs) / cpu:.1f} photos/s per core (CPU time)"))
    images = pd.DataFrame({"image": [f"{i}_{p}" for i, p in jobs], "individual": [i for i, _ in jobs], "side": "right", "scientificName": SN})
    t0 = time.perf_counter()
    cat = build_catalogue(images, feats)
    t_build = time.perf_counter() - t0
    nd = cat.partitions[f"{SN}|right"].size
    rows.append((f"index build {nd:,} descriptors", t_build, peak_mib(), f"{type(cat.partitions[f'{SN}|right'].index).__name__}"))
    # Queries: new photos (another visit) of catalogue individuals.
    rng = np.random.default_rng(0)
    q_ind = rng.choice(cat_ind, n_query, replace=False)
    times, cpu_times, hits = [], [], []
    for i in q_ind:
        img, box, _ = render("tiger", f"C{i:04d}", "right", 7, "moderate", seed=11)
        f = extract(img, box)
        t0, c0 = time.perf_counter(), time.process_time()
        res = match_features(f, cat, SN, "right")
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)  # on a shared machine the wall time also counts waiting
        hits.append(res.candidates["individual"].iloc[0] == f"C{i:04d}")
    rows.append((f"query vs {cat_ind}x5 (median of {n_query})", float(np.median(times)), peak_mib(),
                 f"p90 {np.quantile(times, 0.9):.3f} s, CPU median {np.median(cpu_times):.3f} s, top1 {np.mean(hits):.3f} "
                 "(matching only)"))
    if a.no_dask:
        return
    save(cat, tmp / "idx")
    del cat, feats, out

    # Dask: the same batch on 1 and 2 workers (one thread each).
    qdir = tmp / "queries"
    qdir.mkdir()
    recs = []
    for i in q_ind:
        img, box, _ = render("tiger", f"C{i:04d}", "right", 8, "moderate", seed=11)
        name = qdir / f"C{i:04d}.jpg"
        cv2.imwrite(str(name), img)
        recs.append((str(name), SN, "right", *box))
    photos = pd.DataFrame(recs, columns=["image", "scientificName", "side", "x", "y", "w", "h"])
    walls = {}
    from dask.distributed import Client, LocalCluster

    from bigcats.identify.batch import warm

    for w in (1, 2):
        with LocalCluster(n_workers=w, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
            warm(client, tmp / "idx")  # index loaded on each worker before the clock starts
            t0 = time.perf_counter()
            res = identify_batch(photos, tmp / "idx", client=client, chunk_size=max(len(photos) // 8, 1))
            walls[w] = time.perf_counter() - t0
        rows.append((f"dask batch {len(photos)} photos, {w} worker(s)", walls[w], peak_mib(),
                     f"{(res['status'] == 'match').mean():.3f} matched, top1 {(res['best_individual'] == [Path(p).stem for p in photos['image']]).mean():.3f}"))
    rows.append(("dask speed-up 1 -> 2 workers", walls[1] / walls[2], peak_mib(), "wall-clock ratio, workers warmed (index loaded) before timing"))



if __name__ == "__main__":
    main()
