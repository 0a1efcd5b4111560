"""Rank a catalogue's individuals for a photo: LNBNN votes, then RANSAC geometric verification.

Following HotSpotter: every query descriptor finds its k+1 nearest catalogue descriptors; the (k+1)-th
distance is the normaliser, and each of the first k neighbours votes for its individual with weight
(normaliser - distance), once per individual. The best-voted individuals are then verified geometrically:
a similarity transform fitted by RANSAC between the query's and each reference photo's keypoints keeps
only votes that agree on one pose (a 2-point model: far cheaper than a homography, and as good on
coats), and the sum of their weights is the score. A best score below the threshold means "probably a
new individual".
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pandas as pd

from bigcats.identify.errors import IdentifyError
from bigcats.identify.features import ImageFeatures, extract
from bigcats.identify.index import Catalogue, Partition

DEFAULT_THRESHOLD = 0.8  # verified score; calibrated on synthetic moderate sets (benchmarks/RESULTS-identify.md)


@dataclass(frozen=True)
class MatchParams:
    """Tuning of the matcher."""

    k: int = 4  # neighbours that vote; the (k+1)-th normalises
    extra: int = 6  # spare neighbours fetched so that excluded photos do not starve the vote
    verify_top: int = 10  # individuals passed to geometric verification
    ransac_px: float = 12.0  # reprojection tolerance at working size (bodies bend: not a rigid plane)
    min_inliers: int = 6
    threshold: float = DEFAULT_THRESHOLD


@dataclass
class Neighbours:
    """Raw nearest neighbours of a query's descriptors in one partition."""

    dist: np.ndarray  # (n, K) L2 distances, ascending
    row: np.ndarray  # (n, K) descriptor row in the partition, -1 when FAISS found fewer


@dataclass
class MatchResult:
    """Ranked candidate individuals and the new-individual decision for one photo."""

    candidates: pd.DataFrame  # rank, individual, score, lnbnn, inliers, image
    best_score: float
    new_individual: bool
    threshold: float

    def to_dict(self, top: int = 10) -> dict:
        """A JSON-ready summary: decision and the top candidates."""
        best = self.candidates.iloc[0]["individual"] if len(self.candidates) and not self.new_individual else None
        return {
            "decision": "new_individual" if self.new_individual else "match",
            "best_individual": best,
            "best_score": self.best_score,
            "threshold": self.threshold,
            "candidates": self.candidates.head(top).to_dict(orient="records"),
        }


def neighbours(part: Partition, desc: np.ndarray, params: MatchParams = MatchParams()) -> Neighbours:
    """Search the k+1+extra nearest catalogue descriptors of every query descriptor."""
    kk = min(params.k + 1 + params.extra, part.size)
    if kk < 2:
        raise IdentifyError("the catalogue partition holds fewer than two descriptors: nothing to match against")
    d2, rows = part.index.search(np.ascontiguousarray(desc, dtype=np.float32), kk)
    return Neighbours(np.sqrt(np.maximum(d2, 0)), rows)


def votes(nb: Neighbours, part: Partition, individual_code: np.ndarray, excluded: np.ndarray | None, params: MatchParams = MatchParams()) -> pd.DataFrame:
    """LNBNN votes (query descriptor, individual, reference photo, descriptor row, weight), excluded photos removed."""
    rows = nb.row
    img = np.where(rows >= 0, part.desc_image[np.maximum(rows, 0)], -1)
    bad = rows < 0
    if excluded is not None:
        bad |= np.where(img >= 0, excluded[np.maximum(img, 0)], True)
    # Push excluded neighbours to the end of each row, keeping distance order among the rest.
    order = np.argsort(bad, axis=1, kind="stable")
    dist = np.take_along_axis(nb.dist, order, 1)
    img = np.take_along_axis(img, order, 1)
    rows = np.take_along_axis(rows, order, 1)
    n_valid = (~bad).sum(1)
    k = params.k
    usable = n_valid >= 2  # need at least one voter and one normaliser
    norm_col = np.clip(np.minimum(n_valid, k + 1) - 1, 0, None)
    norm = np.take_along_axis(dist, norm_col[:, None], 1)[:, 0]
    cols = np.arange(min(k, dist.shape[1]))[None, :]
    voter = (cols < norm_col[:, None]) & usable[:, None]
    q = np.broadcast_to(np.arange(len(dist))[:, None], voter.shape)[voter]
    im = img[:, : cols.shape[1]][voter]
    frame = pd.DataFrame({
        "q": q,
        "individual": individual_code[im],
        "image": im,
        "row": rows[:, : cols.shape[1]][voter],
        "weight": (norm[:, None] - dist[:, : cols.shape[1]])[voter],
    })
    # One vote per query descriptor and individual: the nearest (rows are distance-ordered, so the first).
    return frame.drop_duplicates(["q", "individual"], keep="first")


def _verify(v: pd.DataFrame, query_xy: np.ndarray, part: Partition, params: MatchParams) -> tuple[float, int, int]:
    """Best (inlier weight, inliers, photo) over the reference photos of one individual."""
    best = (0.0, 0, -1)
    for image, g in v.groupby("image", sort=False):  # a handful of reference photos per candidate
        if len(g) < max(params.min_inliers, 4):
            continue
        src = query_xy[g["q"].to_numpy()]
        dst = part.desc_xy[g["row"].to_numpy()]
        _, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=params.ransac_px, maxIters=300, confidence=0.99, refineIters=0)
        if mask is None:
            continue
        inl = mask.ravel().astype(bool)
        n_in = int(inl.sum())
        if n_in < params.min_inliers:
            continue
        score = float(g["weight"].to_numpy()[inl].sum())
        if score > best[0]:
            best = (score, n_in, int(image))
    return best


def rank(v: pd.DataFrame, query_xy: np.ndarray, part: Partition, individuals: np.ndarray, params: MatchParams = MatchParams()) -> pd.DataFrame:
    """Candidates ranked by verified score (then LNBNN score): individual, score, lnbnn, inliers, image row."""
    lnbnn = v.groupby("individual")["weight"].sum().sort_values(ascending=False)
    top = lnbnn.index[: params.verify_top].to_numpy()
    sub = v[v["individual"].isin(top)]
    checked = {ind: _verify(g, query_xy, part, params) for ind, g in sub.groupby("individual", sort=False)}
    out = pd.DataFrame({"code": lnbnn.index.to_numpy(), "lnbnn": lnbnn.to_numpy()})
    ver = np.array([checked.get(c, (0.0, 0, -1)) for c in out["code"]], dtype=float).reshape(-1, 3)
    out["score"] = ver[:, 0]
    out["inliers"] = ver[:, 1].astype(int)
    out["image_row"] = ver[:, 2].astype(int)
    out = out.sort_values(["score", "lnbnn"], ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "individual", individuals[out["code"].to_numpy()])
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def _codes(cat: Catalogue) -> tuple[np.ndarray, np.ndarray]:
    names, code = np.unique(cat.images["individual"].astype(str).to_numpy(), return_inverse=True)
    return code, names


def match_features(feat: ImageFeatures, cat: Catalogue, species: str, side: str, params: MatchParams = MatchParams(), exclude_images: np.ndarray | None = None) -> MatchResult:
    """Rank the catalogue's individuals of this species and flank for a photo's features."""
    part = cat.partition(species, side)
    code, names = _codes(cat)
    nb = neighbours(part, feat.descriptors, params)
    v = votes(nb, part, code, exclude_images, params)
    cand = rank(v, feat.keypoints[:, :2], part, names, params)
    cand["image"] = np.where(cand["image_row"] >= 0, cat.images["image"].to_numpy()[np.maximum(cand["image_row"], 0)], None)
    cand = cand.drop(columns=["code", "image_row"])
    best = float(cand["score"].iloc[0]) if len(cand) else 0.0
    return MatchResult(cand, best, best < params.threshold, params.threshold)


def match_image(img: np.ndarray, cat: Catalogue, species: str, side: str, box: tuple[int, int, int, int] | None = None, params: MatchParams = MatchParams(), source: str | None = None) -> MatchResult:
    """Rank candidates for a photo (or an observation's bounding box); raises UnidentifiableImage with its reason."""
    feat = extract(img, box, source=source, work_size=cat.work_size)
    return match_features(feat, cat, species, side, params)
