"""Identification on real camera-trap photos: the snow-leopard development set (obaiga/hotspotter), by encounter.

    # once: fetch github:obaiga/hotspotter (its git directory is GIT_DIR), then
    .venv/bin/python benchmarks/bench_identify_real.py --git-dir GIT_DIR --out /work/reid-data/bench

The photos carry no licence: they are extracted under --out (outside the repository) and never committed. Steps:
1. `../shared/tools/reid-devset` writes images/ and labels.csv (539 single-label photos of 11 cats);
2. the animal's box of each photo is the union of its HotSpotter chips (`_hsdb/chip_table.csv` of every set at
   the same commit, read by `bigcats.identify.hotspotter.read_hsdb`), and the station is taken from the file name;
3. `evaluate_folder` runs on the folder without boxes and with them (`--configs`), and the figures, the
   false-new/wrong-match curve by encounter, the per-individual table and the error sources are written
   next to the photos (RESULTS.md, curve-*.csv, errors-*.csv, individuals-*.csv); the operating point is also
   cross-validated by individual (each cat's threshold chosen on the other cats only).
Each photo's features are cached under --cache-dir (default OUT/features), keyed by its bytes, box and settings:
a re-run after a change to matching only re-matches (474 s rather than 1,694 s on the shared 2 cores).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd

from bigcats.identify.evaluate import evaluate_folder
from bigcats.identify.hotspotter import read_hsdb

COMMIT = "bc7f4368269d737225731d870618eb29c88412f1"
ROOT = Path(__file__).resolve().parents[1]
TOOL = Path("/work/shared/tools/reid-devset")
# What each encounter shows, audited by eye from contact sheets of every encounter's crops (2026-12-01): which
# encounters share a body region with another encounter of their cat, i.e. which a coat matcher can answer at all.
AUDIT = ROOT / "benchmarks" / "data" / "snow-leopard-audit.csv"


def git(gd: str, *args: str) -> str:
    """Run git on the snapshot's git directory and return stdout."""
    return subprocess.run(["git", "--git-dir", gd, *args], capture_output=True, text=True, check=True).stdout


def prepare(gd: str, out: Path) -> tuple[Path, Path]:
    """Extract the photos, then write two labelled folders: without boxes (plain) and with chip boxes (boxes)."""
    plain, boxed = out / "plain", out / "boxes"
    if not (plain / "labels.csv").exists():
        subprocess.run([str(TOOL), gd, str(plain)], check=True)
    labels = pd.read_csv(plain / "labels.csv")
    labels["station"] = labels["image"].str.extract(r"__(Station\d+)__", expand=False)
    labels.to_csv(plain / "labels.csv", index=False)
    files = [p for p in git(gd, "ls-tree", "-r", "--name-only", COMMIT).splitlines() if "/_hsdb/" in p and "backup" not in p
             and p.rsplit("/", 1)[-1] in ("chip_table.csv", "image_table.csv", "name_table.csv")]
    boxes = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            dest = Path(tmp) / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(git(gd, "show", f"{COMMIT}:{path}"))
        for hsdb in sorted({Path(tmp) / p.rsplit("/", 1)[0] for p in files}):
            if (hsdb / "chip_table.csv").exists() and (hsdb / "image_table.csv").exists():
                boxes.append(read_hsdb(hsdb))
    chips = pd.concat(boxes, ignore_index=True)
    # A photo in several HotSpotter sets: the union of all its chips.
    chips = chips.assign(x1=chips["x"] + chips["w"], y1=chips["y"] + chips["h"]).groupby("image").agg(x=("x", "min"), y=("y", "min"), x1=("x1", "max"), y1=("y1", "max"))
    chips["w"], chips["h"] = chips.pop("x1") - chips["x"], chips.pop("y1") - chips["y"]
    withbox = labels.join(chips, on=labels["image"].str.removeprefix("images/"))
    boxed.mkdir(parents=True, exist_ok=True)
    if not (boxed / "images").exists():
        (boxed / "images").symlink_to((plain / "images").resolve())
    withbox.to_csv(boxed / "labels.csv", index=False)
    print(f"{len(labels)} photos, {int(withbox['w'].notna().sum())} with a HotSpotter chip box", flush=True)
    return plain, boxed


def line(name: str, m: dict) -> str:
    """One Markdown row with 95% intervals."""
    ci = m.get("ci95", {})

    def f(k: str) -> str:
        return f"{m[k]:.3f}" + (f" ({ci[k][0]:.2f}–{ci[k][1]:.2f})" if k in ci else "")

    return (f"| {name} | {m['queries']} | {f('top1')} | {f('top5')} | {m['mAP']:.3f} | {f('false_new_rate')} | "
            f"{f('wrong_match_rate')} | {f('open_set_wrong_match_rate')} | {m['threshold']:.2f} |")


def main() -> None:
    """Prepare the set, evaluate each configuration, write RESULTS.md and the tables beside the photos."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--git-dir", default="/work/.mirror/obaiga+hotspotter/repo")
    ap.add_argument("--out", type=Path, default=Path("/work/reid-data/bench"))
    ap.add_argument("--configs", default="boxes", help="comma-separated: plain (no boxes), boxes")
    ap.add_argument("--cache-dir", type=Path, default=None, help="feature cache (default OUT/features): a re-run only re-matches")
    ap.add_argument("--leave-out", default="encounter,station", help="comma-separated: what each query leaves out (encounter; station: no shared scenery)")
    ap.add_argument("--views", type=Path, default=AUDIT, help="audit of the body regions each encounter shows (identify.views)")
    a = ap.parse_args()
    plain, boxed = prepare(a.git_dir, a.out)
    head = ("| set | queries | top-1 | top-5 | mAP | false new | wrong match | open-set known | threshold |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    report = [f"# Snow-leopard development set ({time.strftime('%Y-%m-%d')})", "", head]
    runs = [(c, lo) for c in a.configs.split(",") for lo in a.leave_out.split(",")]
    for config, leave_out in runs:
        name = config if leave_out == "encounter" else f"{config}, other stations only"
        folder = {"plain": plain, "boxes": boxed}[config]
        t0 = time.perf_counter()
        r = evaluate_folder(folder, cache_dir=a.cache_dir or a.out / "features", views=a.views, leave_out=leave_out)
        sec = time.perf_counter() - t0
        report.append(line(f"{name}: by photo (threshold 0.8)", r))
        report.append(line(f"{name}: by encounter (threshold 0.8)", r["by_encounter"]))
        if "operating_point" in r:
            report.append(line(f"{name}: by encounter at the operating point", r["operating_point"]["by_encounter"]))
            cv = r["operating_point"].get("cross_validated")
            if cv:
                report.append(f"| {name}: by encounter, operating point cross-validated by individual ({cv['folds']} folds) | {cv['queries']} | | | | "
                              f"{cv['false_new_rate']:.3f} | {cv['wrong_match_rate']:.3f} | {cv['open_set_false_known_rate']:.3f} | "
                              f"{min(cv['thresholds'].values()):.2f}–{max(cv['thresholds'].values()):.2f} |")
        comp = r.get("comparable")
        if comp and "by_encounter" in comp:
            report.append(line(f"{name}: comparable encounters only ({comp['comparable']} of {comp['encounters']}; "
                               f"top-1 ceiling {comp['top1_ceiling']:.3f}; {comp['found_beyond_coat']} of the other {comp['beyond_coat']} found first)",
                               comp["by_encounter"]))
        prior = r["size_prior"]
        report.append(f"| {name}: no photo looked at, cats ranked by their photos in the catalogue | {prior['queries']} | "
                      f"{prior['top1']:.3f} | {prior['top5']:.3f} | | | | | |")
        if "comparable" in prior:
            report.append(f"| {name}: the same, comparable encounters only | {prior['comparable']['queries']} | "
                          f"{prior['comparable']['top1']:.3f} | {prior['comparable']['top5']:.3f} | | | | | |")
        tag = config if leave_out == "encounter" else f"{config}-xstation"
        r["curve"].to_csv(a.out / f"curve-{tag}.csv", index=False)
        r["errors"].to_csv(a.out / f"errors-{tag}.csv", index=False)
        r["per_individual"].to_csv(a.out / f"individuals-{tag}.csv", index=False)
        r["encounter_table"].to_csv(a.out / f"encounters-{tag}.csv", index=False)
        print("\n".join(report[-7:]), f"\n{name}: {sec:.0f} s, {len(r['refused'])} refused", flush=True)
        print(r["per_individual"].to_string(index=False), flush=True)
        reasons = r["errors"]["reasons"].str.split("; ").explode().value_counts() if len(r["errors"]) else pd.Series(dtype=int)
        print(reasons.to_string(), flush=True)
    (a.out / "RESULTS.md").write_text("\n".join(report) + "\n")


if __name__ == "__main__":
    main()
