"""Can the local features tell two photos of one cat from photos of two cats? Pairs of the snow-leopard set.

    .venv/bin/python benchmarks/bench_identify_pairs.py --folder /work/reid-data/bench/boxes \
        --settings 512:400:0.03 1024:2000:0.01 768:1500:0.02:up

Below the whole matcher (LNBNN over a catalogue, pooling over encounters) lies one question: given two photos of
the same flank from different encounters, do their keypoints agree on one pose more often for the same cat than
for two cats? Among the photos whose flank is labelled (left/right), every pair from different encounters with the
same flank label is a positive (same individual) or a negative; up to 300 of each are drawn (seed 0) and matched
with Lowe's ratio test (0.8) and a RANSAC similarity (12 px at 512 px, scaled). Printed per extraction setting
(work size : features : contrast threshold [: up = enlarge small boxes] [: asift = affine-simulated SIFT]):
the AUC of the inlier count (positives against negatives; 0.5 is chance), the share of pairs with 8 or more
inliers, and the extraction time. A flank label says which side faces the camera, not which part of it is in the
box: many positive pairs show no common coat area, which bounds the AUC well below 1 for any local feature.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from bigcats.identify.errors import IdentifyError
from bigcats.identify.features import RootSIFT, extract, load_image


class AffineSIFT(RootSIFT):
    """RootSIFT on affine-simulated views (OpenCV's ASIFT wrapper): more robust to a body seen obliquely, ~5x slower."""

    def __init__(self, n_features: int, contrast_threshold: float, max_tilt: int = 3) -> None:
        super().__init__(n_features, contrast_threshold)
        self._sift = cv2.AffineFeature_create(cv2.SIFT_create(nfeatures=max(50, n_features // 8), contrastThreshold=contrast_threshold), maxTilt=max_tilt)
        self.settings = f"asift/{n_features}/{contrast_threshold}/{max_tilt}"


def inliers(a, b, px: float, ratio: float = 0.8) -> int:
    """RANSAC similarity inliers among ratio-test matches of two photos' descriptors."""
    m = cv2.BFMatcher(cv2.NORM_L2).knnMatch(a.descriptors, b.descriptors, k=2)
    good = [x[0] for x in m if len(x) == 2 and x[0].distance < ratio * x[1].distance]
    if len(good) < 4:
        return 0
    src = a.keypoints[[g.queryIdx for g in good], :2]
    dst = b.keypoints[[g.trainIdx for g in good], :2]
    _, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=px)
    return int(mask.sum()) if mask is not None else 0


def run(folder: Path, setting: str, n_pairs: int = 300) -> str:
    """One extraction setting: extract the flank-labelled photos, match the drawn pairs, summarise."""
    parts = setting.split(":")
    ws, nf, ct = int(parts[0]), int(parts[1]), float(parts[2])
    up, asift = "up" in parts[3:], "asift" in parts[3:]
    lab = pd.read_csv(folder / "labels.csv")
    lab = lab[lab["side"].isin(["left", "right"])].reset_index(drop=True)
    desc = AffineSIFT(nf, ct) if asift else RootSIFT(nf, ct)
    t0 = time.perf_counter()
    feats = {}
    for i, r in lab.iterrows():
        try:
            feats[i] = extract(load_image(folder / r["image"]), (int(r["x"]), int(r["y"]), int(r["w"]), int(r["h"])), descriptor=desc, work_size=ws, upscale=up)
        except IdentifyError:
            continue  # refused (too few keypoints, unreadable): not a pair
    sec = time.perf_counter() - t0
    pairs = [(i, j) for i, j in itertools.combinations(sorted(feats), 2)
             if lab["side"][i] == lab["side"][j] and lab["encounter"][i] != lab["encounter"][j]]
    rng = np.random.default_rng(0)
    pos = [p for p in pairs if lab["individual"][p[0]] == lab["individual"][p[1]]]
    neg = [p for p in pairs if lab["individual"][p[0]] != lab["individual"][p[1]]]
    pos = [pos[k] for k in rng.choice(len(pos), min(n_pairs, len(pos)), replace=False)]
    neg = [neg[k] for k in rng.choice(len(neg), min(n_pairs, len(neg)), replace=False)]
    px = 12.0 * ws / 512
    sp = np.array([inliers(feats[i], feats[j], px) for i, j in pos])
    sn = np.array([inliers(feats[i], feats[j], px) for i, j in neg])
    auc = mannwhitneyu(sp, sn).statistic / (len(sp) * len(sn))
    kp = np.median([len(f.keypoints) for f in feats.values()])
    return (f"| {setting} | {len(feats)} | {kp:.0f} | {sec:.0f} | {len(sp)} / {len(sn)} | {auc:.3f} | "
            f"{np.mean(sp >= 8):.2f} | {np.mean(sn >= 8):.2f} | {int(sn.max())} |")


def main() -> None:
    """Print one Markdown row per setting."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", type=Path, default=Path("/work/reid-data/bench/boxes"))
    ap.add_argument("--settings", nargs="+", default=["512:400:0.03", "512:1000:0.02", "768:1500:0.02:up", "1024:2000:0.01", "512:1600:0.02:up:asift"])
    ap.add_argument("--pairs", type=int, default=300)
    a = ap.parse_args()
    print("| setting | photos | keypoints (median) | extraction s | pairs +/- | AUC | + with ≥ 8 inliers | − with ≥ 8 inliers | most inliers, − |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in a.settings:
        print(run(a.folder, s, a.pairs), flush=True)


if __name__ == "__main__":
    main()
