"""Benchmark of field data: camera health over many deployments, form-submission ingest, video metadata.

Full size: health over 2,000 deployments x 1,000 photos (2 M photos); 5,000 track-census submissions with 10
crossings each (Central CSV export) ingested into SQLite, then again; 200 short videos read.
`--quick`: 200 deployments, 500 submissions, 40 videos.
Run: .venv/bin/python benchmarks/bench_field.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def bench_health(n_dep: int, per_dep: int = 1000) -> dict:
    from bigcats.health.checks import check_cameras

    rng = np.random.default_rng(0)
    start = pd.Timestamp("2024-06-01T00:00:00Z")
    ids = [f"D{i:05d}" for i in range(n_dep)]
    deps = pd.DataFrame({"deploymentID": ids, "deploymentStart": start, "deploymentEnd": start + pd.Timedelta(days=90),
                         "utcOffset": 600, "latitude": rng.uniform(42, 46, n_dep),
                         "longitude": rng.uniform(129, 134, n_dep)})
    secs = np.sort(rng.uniform(3600, 89 * 86400, (n_dep, per_dep)), axis=1)
    fault = rng.random(n_dep) < 0.2
    secs[fault, per_dep // 2:] -= 40 * 86400 * 365  # a fifth of the cameras reset their clock half way
    media = pd.DataFrame({"deploymentID": np.repeat(ids, per_dep),
                          "timestamp": start + pd.to_timedelta(secs.ravel(), unit="s"),
                          "fileName": [f"IMG{j:05d}.JPG" for _ in range(n_dep) for j in range(per_dep)]})
    media["filePath"] = media["deploymentID"] + "/" + media["fileName"]
    t = time.perf_counter()
    found = check_cameras(deps, media)
    dt = time.perf_counter() - t
    jumps = {f.deployment for f in found if f.kind == "clock_jump"}
    return {"deployments": n_dep, "photos": len(media), "seconds": dt, "photos_per_s": len(media) / dt,
            "resets_found": f"{len(jumps & set(np.array(ids)[fault]))}/{int(fault.sum())}",
            "false_resets": len(jumps - set(np.array(ids)[fault]))}


def bench_forms(n_sub: int) -> dict:
    from bigcats.fieldforms.central import write_central_export
    from bigcats.fieldforms.definitions import TRACK_CENSUS
    from bigcats.fieldforms.store import ingest_forms
    from bigcats.store.db import open_store

    rng = np.random.default_rng(1)
    species = ["Cervus_nippon", "Sus_scrofa", "Capreolus_pygargus", "Panthera_tigris_altaica"]
    subs = []
    for i in range(n_sub):
        lat, lon = rng.uniform(42, 46), rng.uniform(129, 134)
        track = ";".join(f"{lat + k * 0.01:.6f} {lon + k * 0.01:.6f} 0 5" for k in range(6))
        subs.append({"instanceID": f"uuid:bench-{i:06d}", "route_id": f"R{i:05d}", "unit": f"U{i % 20}",
                     "country": "RUS" if i % 2 else "CHN", "survey_date": "2025-01-15", "days_since_snow": "1",
                     "track": track, "crossing": [{"crossing_species": species[k % 4], "crossing_count": "1",
                                                   "snow_age_days": "1"} for k in range(10)]})
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_central_export(Path(tmp) / "export", TRACK_CENSUS, subs)
        engine = open_store(f"sqlite:///{tmp}/db.sqlite")
        t = time.perf_counter()
        first = ingest_forms(engine, folder, "bench", census_dir=Path(tmp) / "census")
        t1 = time.perf_counter() - t
        t = time.perf_counter()
        again = ingest_forms(engine, folder, "bench")
        t2 = time.perf_counter() - t
    return {"submissions": n_sub, "crossings": n_sub * 10, "ingest_s": t1, "submissions_per_s": n_sub / t1,
            "reingest_s": t2, "added": first.added.get("field_submission"), "readded": again.new}


def bench_video(n: int) -> dict:
    import av

    from bigcats.intake.video import read_video_metadata

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BIGCATS_THUMBNAILS"] = f"{tmp}/thumbs"
        paths = []
        for i in range(n):
            p = f"{tmp}/v{i:04d}.mp4"
            with av.open(p, "w") as out:
                out.metadata["creation_time"] = "2025-01-01T10:00:00Z"
                s = out.add_stream("mpeg4", rate=15)
                s.width, s.height, s.pix_fmt = 640, 360, "yuv420p"
                for k in range(45):  # 3 s of 640x360
                    img = np.full((360, 640, 3), (k * 5 + i) % 255, np.uint8)
                    for pkt in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                        out.mux(pkt)
                for pkt in s.encode():
                    out.mux(pkt)
            paths.append(p)
        t = time.perf_counter()
        recs = [read_video_metadata(p) for p in paths]
        dt = time.perf_counter() - t
    return {"videos": n, "seconds": dt, "videos_per_s": n / dt, "errors": sum("error_code" in r for r in recs)}


def main() -> None:
    """Run the three benchmarks and print their figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    quick = ap.parse_args().quick
    for name, fn, arg in (("camera health", bench_health, 200 if quick else 2000),
                          ("form ingest", bench_forms, 500 if quick else 5000),
                          ("video metadata", bench_video, 40 if quick else 200)):
        res = fn(arg)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{name}: " + ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in res.items())
              + f", peak_rss_mib={peak:.0f}", flush=True)


if __name__ == "__main__":
    main()
