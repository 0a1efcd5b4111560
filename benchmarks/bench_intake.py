"""Benchmark: ingest a folder of generated camera-trap JPEGs (EXIF + XMP) vs `exiftool -j -r` on the same folder.

    .venv/bin/python benchmarks/bench_intake.py [--quick] [--n 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from bigcats.intake.images import read_image_folder
from bigcats.intake.synthetic import jpeg_bytes

SPECIES = ["Amur tiger", "Amur leopard", "Sika deer", "Wild boar", "Siberian roe deer", "Asian badger"]


def generate(root: Path, n: int, stations: int = 50) -> float:
    """n JPEGs (160x120, ~15 kB) over `stations` folders, each with EXIF time/make/model/serial and XMP tags."""
    t = time.perf_counter()
    rng = np.random.default_rng(1)
    t0 = datetime(2023, 1, 1)
    for i in range(n):
        st = f"ST{i % stations:03d}"
        tags = [f"Species|{SPECIES[rng.integers(len(SPECIES))]}"]
        if rng.random() < 0.2:
            tags.append(f"individual|T{rng.integers(40)}")
        when = t0 + timedelta(seconds=int(i // stations) * 600 + int(rng.integers(0, 5)))
        path = root / st / f"IMG_{i:06d}.JPG"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jpeg_bytes(when, tags, serial=f"SN{i % stations}", size=(160, 120), seed=i))
    return time.perf_counter() - t


def maxrss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def run_bigcats(root: Path, workers: int, manifest: Path | None) -> tuple[float, int]:
    t = time.perf_counter()
    frames, report = read_image_folder(root, "bench", pattern="{station}/*", utc_offset=600, workers=workers,
                                       manifest=manifest)
    return time.perf_counter() - t, len(frames.media)


def run_exiftool(root: Path) -> tuple[float, float] | None:
    exe = shutil.which("exiftool")
    if exe is None:
        return None
    t = time.perf_counter()
    subprocess.run([exe, "-j", "-r", "-q", str(root)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t, maxrss_mib(resource.RUSAGE_CHILDREN)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="1,000 photos instead of 10,000")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--keep", type=Path, default=None, help="generate into (and keep) this folder")
    args = ap.parse_args()
    n = args.n or (1_000 if args.quick else 10_000)
    cores = os.cpu_count() or 1
    tmp = Path(tempfile.mkdtemp(prefix="bench_intake_")) if args.keep is None else args.keep
    root = tmp / "photos"
    rows = []
    try:
        if not root.exists() or sum(1 for _ in root.rglob("*.JPG")) != n:
            shutil.rmtree(root, ignore_errors=True)
            rows.append(("generate photos", n, generate(root, n), None))
        mb = sum(p.stat().st_size for p in root.rglob("*.JPG")) / 2**20
        base = maxrss_mib(resource.RUSAGE_SELF)
        ex = run_exiftool(root)  # first, so that RUSAGE_CHILDREN is exiftool's own peak
        secs, got = run_bigcats(root, 1, None)
        assert got == n, f"ingested {got} of {n}"
        rows.append(("bigcats ingest, 1 process", n, secs, maxrss_mib(resource.RUSAGE_SELF)))
        secs, got = run_bigcats(root, cores, None)
        # Peak of the parent; each pool worker's own peak is reported by RUSAGE_CHILDREN (largest child).
        rows.append((f"bigcats ingest, {cores} processes", n, secs, maxrss_mib(resource.RUSAGE_SELF)))
        manifest = tmp / "manifest.jsonl"
        manifest.unlink(missing_ok=True)
        secs, _ = run_bigcats(root, cores, manifest)
        rows.append((f"bigcats first run + manifest, {cores} proc", n, secs, None))
        secs, _ = run_bigcats(root, cores, manifest)
        rows.append(("bigcats re-run (all from manifest)", n, secs, maxrss_mib(resource.RUSAGE_SELF)))
        if ex:
            rows.append(("exiftool -j -r (1 process)", n, ex[0], ex[1]))
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{n} JPEGs, {mb:.0f} MiB, {cores} cores; interpreter baseline RSS {base:.0f} MiB")
    print(f"{'step':44s} {'files':>7s} {'seconds':>9s} {'files/s':>9s} {'peak RSS MiB':>13s}")
    for name, k, secs, rss in rows:
        rss_txt = f"{rss:13.0f}" if rss is not None else f"{'':>13s}"
        print(f"{name:44s} {k:7d} {secs:9.2f} {k / secs:9.0f} {rss_txt}")
    ours = next(r for r in rows if r[0].startswith(f"bigcats ingest, {cores}"))
    single = next(r for r in rows if r[0].startswith("bigcats ingest, 1 "))
    print(f"largest pool worker peak RSS: {maxrss_mib(resource.RUSAGE_CHILDREN):.0f} MiB (exiftool's counted too)")
    if ex:
        print(f"speed-up vs exiftool: {ex[0] / ours[2]:.1f}x ({cores} processes), "
              f"{ex[0] / single[2]:.1f}x (1 process, same cores as exiftool)")


if __name__ == "__main__":
    main()
