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
from bigcats.identify.features import ImageFeatures, extract, frame_xy
from bigcats.identify.index import Catalogue, Partition

DEFAULT_THRESHOLD = 0.8  # verified score; calibrated on synthetic moderate sets (benchmarks/RESULTS-identify.md)


@dataclass(frozen=True)
class MatchParams:
    """Tuning of the matcher."""

    k: int = 4  # neighbours that vote; the (k+1)-th normalises
    extra: int = 6  # spare neighbours fetched so that excluded photos do not starve the vote
    verify_top: int = 10  # individuals passed to geometric verification
    verify_images: int = 8  # of each, its best-voted reference photos verified (a cat seen 300 times needs no 300 RANSACs)
    ransac_px: float = 12.0  # reprojection tolerance at working size (bodies bend: not a rigid plane)
    min_inliers: int = 6
    threshold: float = DEFAULT_THRESHOLD
    scenery_radius: float = 0.02  # fraction of the frame's diagonal; see drop_scenery_votes
    imprint_radius: float = 0.004  # the same pixels in any photo: a camera's logo or info bar
    per_individual: bool = False  # neighbours counted one per individual (see votes): a cat seen 300 times no longer crowds out the rest


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
    side: str = "unknown"

    def to_dict(self, top: int = 10) -> dict:
        """A JSON-ready summary: decision and the top candidates."""
        best = self.candidates.iloc[0]["individual"] if len(self.candidates) and not self.new_individual else None
        from bigcats.identify.calibrate import confidence_words

        return {
            "decision": "new_individual" if self.new_individual else "match",
            "confidence": confidence_words(self.best_score, self.threshold),
            "flank": self.side if self.side != "unknown" else "unknown: compared with both flanks",
            "best_individual": best,
            "best_score": self.best_score,
            "threshold": self.threshold,
            "candidates": self.candidates.head(top).to_dict(orient="records"),
        }


def neighbours(part: Partition, desc: np.ndarray, params: MatchParams = MatchParams(), spare: int | None = None) -> Neighbours:
    """Search the k+1+extra (or k+1+spare) nearest catalogue descriptors of every query descriptor."""
    kk = min(params.k + 1 + (params.extra if spare is None else spare), part.size)
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
    bad = np.take_along_axis(bad, order, 1)
    if params.per_individual:
        # Only the nearest neighbour of each individual counts: the k voters are the k nearest *individuals* and the
        # normaliser the (k+1)-th. Without this, one cat photographed 300 times fills every query descriptor's k
        # nearest neighbours with itself and the true cat, seen twice, never gets a vote (HotSpotter's name scoring).
        # Where fewer than k+1 individuals are among the neighbours fetched, the farthest neighbour fetched
        # normalises (a lower bound on the (k+1)-th individual's distance).
        far = np.take_along_axis(dist, np.clip((~bad).sum(1) - 1, 0, None)[:, None], 1)[:, 0]
        ind = np.where(bad, -1, individual_code[np.maximum(img, 0)])
        dup = np.zeros_like(bad)
        for c in range(1, ind.shape[1]):
            dup[:, c] = (ind[:, :c] == ind[:, c : c + 1]).any(1)
        bad = (ind < 0) | dup
        order = np.argsort(bad, axis=1, kind="stable")
        dist = np.take_along_axis(dist, order, 1)
        img = np.take_along_axis(img, order, 1)
        rows = np.take_along_axis(rows, order, 1)
        bad = np.take_along_axis(bad, order, 1)
    n_valid = (~bad).sum(1)
    k = params.k
    usable = n_valid >= 2  # need at least one voter and one normaliser
    norm_col = np.clip(np.minimum(n_valid, k + 1) - 1, 0, None)
    norm = np.take_along_axis(dist, norm_col[:, None], 1)[:, 0]
    if params.per_individual:
        short = (n_valid < k + 1) & (n_valid >= 1)
        usable = usable | short
        norm_col = np.where(short, n_valid, norm_col)
        norm = np.where(short, far, norm)
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
    if params.per_individual:  # the farthest neighbour fetched normalises; it does not also vote
        frame = frame[frame["weight"] > 0]
    # One vote per query descriptor and individual: the nearest (rows are distance-ordered, so the first).
    return frame.drop_duplicates(["q", "individual"], keep="first")


def drop_scenery_votes(v: pd.DataFrame, feat: ImageFeatures, part: Partition, station: np.ndarray | None, params: MatchParams = MatchParams()) -> pd.DataFrame:
    """Votes without those that pair a query keypoint with the same spot of a frame: scenery and the camera's imprint.

    Camera traps do not move: a keypoint at the same place of the frame, in a photo of the same station, is the
    scenery both photos share (a rock, a trunk), whoever walked past (`scenery_radius`). And every photo of one
    camera model carries the same logo and info bar at the same pixels (a Reconyx logo inside an animal's box
    matches every other Reconyx photo perfectly): votes pairing the very same pixels (`imprint_radius`) are
    dropped whatever the station. Such votes say nothing about the cat.
    """
    if part.desc_frame_xy is None or v.empty or "frame" not in feat.meta:
        return v
    h, w = feat.meta["frame"]
    diag = float(np.hypot(h, w))
    qxy = frame_xy(feat)[v["q"].to_numpy()]
    rxy = part.desc_frame_xy[v["row"].to_numpy()]
    dist = np.hypot(*(qxy - rxy).T)
    drop = dist < params.imprint_radius * diag
    if drop.any():
        # Unless a quarter of the query's keypoints pair the same pixels of one reference photo: then it is the
        # same frame again (a duplicate, an infrared twin of one frame), and the votes are the animal's; a logo
        # or an info bar is a small part of an animal's box.
        img = v["image"].to_numpy()
        same = np.bincount(img, weights=drop)
        drop &= same[img] < 0.25 * len(feat.keypoints)
    qst = feat.meta.get("station")
    if qst is not None and station is not None and params.scenery_radius > 0:
        drop |= (station[v["image"].to_numpy()] == qst) & (dist < params.scenery_radius * diag)
    return v[~drop]


def _verify(v: pd.DataFrame, query_xy: np.ndarray, part: Partition, params: MatchParams) -> tuple[float, int, int]:
    """Best (inlier weight, inliers, photo) over the reference photos of one individual."""
    best = (0.0, 0, -1)
    weight = v.groupby("image", sort=False)["weight"].sum()
    chosen = set(weight[weight.index.isin(v["image"].value_counts().loc[lambda n: n >= max(params.min_inliers, 4)].index)].nlargest(params.verify_images).index)
    for image, g in v[v["image"].isin(chosen)].groupby("image", sort=False):  # a handful of reference photos per candidate
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


SIDES = ("left", "right", "unknown")


def compatible_sides(side: str) -> tuple[str, ...]:
    """Flanks a photo may be compared with: its own and unknown ones; an unknown flank is compared with all."""
    side = str(side).lower()
    if side not in SIDES:
        raise IdentifyError(f"flank {side!r} is not left, right or unknown")
    return SIDES if side == "unknown" else (side, "unknown")


def partitions_for(cat: Catalogue, species: str, side: str) -> list[Partition]:
    """The catalogue's partitions a photo of this species and flank is matched against (at least one)."""
    keys = [f"{species}|{s}" for s in compatible_sides(side)]
    parts = [cat.partitions[k] for k in keys if k in cat.partitions]
    if not parts:
        cat.partition(species, side)  # raises the error naming what the catalogue holds
    return parts


def rank_all(feat: ImageFeatures, cat: Catalogue, species: str, side: str, code: np.ndarray, names: np.ndarray, excluded: np.ndarray | None = None, params: MatchParams = MatchParams(), cache: dict | None = None, spare: int | None = None) -> pd.DataFrame:
    """Candidates over every compatible partition, each individual at its best partition's score.

    `cache` (a dict the caller keeps per query) reuses one neighbour search for several exclusions, and
    `spare` fetches more neighbours for when many are excluded (an evaluation leaving a whole individual out).
    """
    frames = []
    station = cat.images["station"].astype(str).to_numpy() if "station" in cat.images.columns else None
    for part in partitions_for(cat, species, side):
        if part.size < 2:
            continue
        if cache is not None and id(part) in cache:
            nb = cache[id(part)]
        else:
            nb = neighbours(part, feat.descriptors, params, spare)
            if cache is not None:
                cache[id(part)] = nb
        v = drop_scenery_votes(votes(nb, part, code, excluded, params), feat, part, station, params)
        frames.append(rank(v, feat.keypoints[:, :2], part, names, params))
    if not frames:
        return pd.DataFrame(columns=["rank", "individual", "code", "lnbnn", "score", "inliers", "image_row"])
    cand = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    if len(frames) > 1:
        cand = cand.sort_values(["score", "lnbnn"], ascending=False, kind="stable").drop_duplicates("code", keep="first").reset_index(drop=True)
        cand["rank"] = np.arange(1, len(cand) + 1)
    return cand


def match_features(feat: ImageFeatures, cat: Catalogue, species: str, side: str, params: MatchParams = MatchParams(), exclude_images: np.ndarray | None = None) -> MatchResult:
    """Rank the catalogue's individuals of this species and compatible flanks for a photo's features."""
    code, names = _codes(cat)
    cand = rank_all(feat, cat, species, side, code, names, exclude_images, params)
    cand["image"] = np.where(cand["image_row"] >= 0, cat.images["image"].to_numpy()[np.maximum(cand["image_row"].astype(int), 0)], None)
    cand = cand.drop(columns=["code", "image_row"])
    best = float(cand["score"].iloc[0]) if len(cand) else 0.0
    res = MatchResult(cand, best, best < params.threshold, params.threshold)
    res.side = str(side)
    return res


def match_image(img: np.ndarray, cat: Catalogue, species: str, side: str, box: tuple[int, int, int, int] | None = None, params: MatchParams = MatchParams(), source: str | None = None, mask: np.ndarray | None = None, station: str | None = None) -> MatchResult:
    """Rank candidates for a photo (or an observation's bounding box); raises UnidentifiableImage with its reason.

    `station` (as in the catalogue's `station` column) lets the matcher ignore the scenery the photo shares with
    the catalogue's photos from the same camera.
    """
    feat = extract(img, box, source=source, work_size=cat.work_size, mask=mask)
    if station is not None:
        feat.meta["station"] = str(station)
    return match_features(feat, cat, species, side, params)
