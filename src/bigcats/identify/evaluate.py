"""Leave-one-encounter-out evaluation of the matcher on a labelled folder of photos.

Each photo is queried against all the others of its species and flank, leaving out every photo of its own
encounter (photos from one visit share pose and light, which would flatter the matcher). A second, open-set
pass also leaves out every other photo of the same individual, so that the "new individual" decision is
measured on animals the catalogue truly lacks.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from bigcats.identify.errors import IdentifyError
from bigcats.identify.features import ImageFeatures
from bigcats.identify.index import build_catalogue, extract_folder, read_labels
from bigcats.identify.match import MatchParams, neighbours, rank, votes


def _query_ranks(cat, feats: list[ImageFeatures], params: MatchParams) -> pd.DataFrame:
    """For every photo: rank of its individual (closed set), best score, top-1 correct, open-set best score."""
    images = cat.images
    names, code = np.unique(images["individual"].astype(str).to_numpy(), return_inverse=True)
    enc = images["encounter"].astype(str).to_numpy()
    key = (images["scientificName"].astype(str) + "|" + images["side"].astype(str)).to_numpy()
    out = []
    for k, part in cat.partitions.items():
        rows = np.flatnonzero(key == k)
        for i in rows:  # one query per photo: search, vote, verify
            f = feats[i]
            nb = neighbours(part, f.descriptors, params)
            same_enc = enc == enc[i]
            same_ind = code == code[i]
            # Closed set: does the individual have any photo of this flank outside the query's encounter?
            has_ref = bool(((key == k) & same_ind & ~same_enc).any())
            cand = rank(votes(nb, part, code, same_enc, params), f.keypoints[:, :2], part, names, params)
            hit = np.flatnonzero(cand["code"].to_numpy() == code[i])
            r = int(hit[0]) + 1 if len(hit) else np.inf
            best = float(cand["score"].iloc[0]) if len(cand) else 0.0
            novel = rank(votes(nb, part, code, same_enc | same_ind, params), f.keypoints[:, :2], part, names, params)
            nbest = float(novel["score"].iloc[0]) if len(novel) else 0.0
            out.append((images["image"].iloc[i], names[code[i]], k, has_ref, r, best, nbest))
    return pd.DataFrame(out, columns=["image", "individual", "partition", "has_reference", "rank", "best_score", "open_set_best_score"])


def metrics(q: pd.DataFrame, threshold: float) -> dict:
    """Top-1, top-5, mAP and the error rates at a threshold, from per-query ranks and scores."""
    closed = q[q["has_reference"]]
    if closed.empty:
        raise IdentifyError("no photo has a reference of the same individual and flank outside its own encounter")
    r = closed["rank"].to_numpy(float)
    declared = closed["best_score"].to_numpy() >= threshold
    return {
        "queries": int(len(closed)),
        "individuals": int(closed["individual"].nunique()),
        "top1": float(np.mean(r <= 1)),
        "top5": float(np.mean(r <= 5)),
        # One relevant individual per query: average precision is the reciprocal rank of the true one.
        "mAP": float(np.mean(np.where(np.isfinite(r), 1 / r, 0.0))),
        "false_new_rate": float(np.mean(~declared)),
        "wrong_match_rate": float(np.mean(declared & (r > 1))),
        "open_set_wrong_match_rate": float(np.mean(q["open_set_best_score"].to_numpy() >= threshold)),
        "threshold": threshold,
    }


def evaluate_folder(folder: str | Path, threshold: float | None = None, params: MatchParams = MatchParams(), work_size: int = 512) -> dict:
    """Evaluate identification on a labelled folder: overall and per species/flank metrics, refused photos."""
    params = params if threshold is None else MatchParams(**{**asdict(params), "threshold": threshold})
    labels = read_labels(folder)
    usable, feats, refused = extract_folder(folder, labels, work_size=work_size)
    if len(usable) < 2:
        raise IdentifyError(f"{folder}: fewer than two usable photos ({len(refused)} refused)")
    cat = build_catalogue(usable, feats, nprobe=params_nprobe(len(usable)), work_size=work_size)
    q = _query_ranks(cat, feats, params)
    result = {"folder": str(folder), "photos": int(len(labels)), "refused": refused.to_dict(orient="records"), **metrics(q, params.threshold)}
    result["per_partition"] = {k: metrics(g, params.threshold) for k, g in q.groupby("partition") if g["has_reference"].any()}
    if "level" in labels.columns and labels["level"].nunique() > 1:
        lv = usable.set_index("image")["level"]
        result["per_level"] = {str(k): metrics(g, params.threshold) for k, g in q.groupby(q["image"].map(lv))}
    result["queries_table"] = q
    return result


def params_nprobe(n_images: int) -> int:
    """Inverted lists probed: generous for small evaluation sets, where accuracy matters more than speed."""
    return 32 if n_images < 2000 else 16


def threshold_sweep(q: pd.DataFrame, thresholds: np.ndarray) -> pd.DataFrame:
    """False-new and wrong-match rates over a range of thresholds, to choose one."""
    return pd.DataFrame([metrics(q, float(t)) for t in thresholds])
