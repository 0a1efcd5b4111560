"""Telling the animal from the background with the camera's other frames: camera traps do not move.

Two label-free tools, for photos without a box or to clean what a box still holds:

- `foreground_masks`: the median of a burst's frames is the empty scene (the cat moves between frames), so
  pixels far from it are the animal; a box around them is the animal's box.
- `static_keypoints`: a keypoint found at the same place of the frame, with the same descriptor, in photos
  of other encounters at the same station is a rock or a tree, not a coat: it is dropped before matching,
  so that two cats photographed at one station are not matched on the scenery they share.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial import cKDTree

from bigcats.identify.errors import IdentifyError
from bigcats.identify.features import ImageFeatures, frame_xy

MASK_WIDTH = 320  # frames are compared at this width: enough for a cat, cheap for a burst of 10 frames


def _small_grey(img: np.ndarray, width: int) -> np.ndarray:
    grey = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY if img.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
    scale = width / grey.shape[1]
    small = cv2.resize(grey, (width, max(1, round(grey.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    # Equalised so that the camera's automatic exposure between frames is not taken for motion.
    return cv2.equalizeHist(small.astype(np.uint8))


def foreground_masks(frames: list[np.ndarray], min_frames: int = 3, threshold: int = 40, min_area: float = 0.002) -> list[np.ndarray | None]:
    """One mask per frame (uint8, frame size, 255 on what differs from the burst's median), or None where unknown.

    Needs at least `min_frames` frames of one size (one camera, one burst); with fewer, every mask is None.
    """
    if len(frames) < min_frames:
        return [None] * len(frames)
    shapes = {f.shape[:2] for f in frames}
    if len(shapes) != 1:
        raise IdentifyError(f"frames of one burst differ in size ({sorted(shapes)}): not one camera")
    small = np.stack([_small_grey(f, MASK_WIDTH) for f in frames])
    median = np.median(small, axis=0).astype(np.int16)
    h, w = frames[0].shape[:2]
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    out: list[np.ndarray | None] = []
    for s in small:
        diff = (np.abs(s.astype(np.int16) - median) > threshold).astype(np.uint8) * 255
        diff = cv2.morphologyEx(diff, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        diff = cv2.dilate(diff, kernel, iterations=2)
        if diff.mean() / 255 < min_area:
            out.append(None)  # nothing moved in this frame (or the cat sat still): no evidence either way
            continue
        out.append(cv2.resize(diff, (w, h), interpolation=cv2.INTER_NEAREST))
    return out


def mask_box(mask: np.ndarray | None, pad: float = 0.05) -> tuple[int, int, int, int] | None:
    """The box (x, y, w, h) around the largest foreground blob of a mask, padded; None if the mask is empty."""
    if mask is None or not mask.any():
        return None
    n, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 0).astype(np.uint8))
    if n < 2:
        return None
    i = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h = (int(v) for v in stats[i, :4])
    px, py = int(w * pad), int(h * pad)
    x0, y0 = max(0, x - px), max(0, y - py)
    x1, y1 = min(mask.shape[1], x + w + px), min(mask.shape[0], y + h + py)
    return x0, y0, x1 - x0, y1 - y0


def static_keypoints(
    feats: list[ImageFeatures],
    station: np.ndarray,
    encounter: np.ndarray,
    radius: float = 0.015,
    max_distance: float = 0.45,
    min_repeats: int = 2,
) -> list[np.ndarray]:
    """For each photo, a boolean array marking keypoints that repeat at the same station in other encounters.

    A keypoint repeats when a photo of another encounter at the same station has a keypoint within `radius`
    (a fraction of the frame's diagonal) whose descriptor lies within `max_distance`; it is static when it
    repeats in at least `min_repeats` other encounters (one, where the station has only two encounters), so
    that a cat walking the same trail twice is not taken for scenery.
    """
    if not (len(feats) == len(station) == len(encounter)):
        raise IdentifyError(f"{len(feats)} feature sets for {len(station)} stations and {len(encounter)} encounters")
    station = np.asarray(station).astype(str)
    encounter = np.asarray(encounter).astype(str)
    out = [np.zeros(len(f.keypoints), bool) for f in feats]
    for st in np.unique(station):
        members = np.flatnonzero(station == st)
        encs = np.unique(encounter[members])
        if len(encs) < 2:
            continue
        need = min(min_repeats, len(encs) - 1)
        xy = np.concatenate([frame_xy(feats[i]) for i in members])
        desc = np.concatenate([feats[i].descriptors for i in members])
        owner = np.repeat(members, [len(feats[i].keypoints) for i in members])
        enc_code = np.unique(encounter[owner], return_inverse=True)[1]
        h, w = feats[members[0]].meta.get("frame", feats[members[0]].shape)
        pairs = cKDTree(xy).query_pairs(radius * float(np.hypot(h, w)), output_type="ndarray")
        if len(pairs) == 0:
            continue
        a, b = pairs[:, 0], pairs[:, 1]
        keep = enc_code[a] != enc_code[b]
        a, b = a[keep], b[keep]
        close = np.einsum("ij,ij->i", desc[a] - desc[b], desc[a] - desc[b]) < max_distance**2
        a, b = a[close], b[close]
        # Distinct other encounters each keypoint repeats in.
        both = np.concatenate([np.stack([a, enc_code[b]], 1), np.stack([b, enc_code[a]], 1)])
        both = np.unique(both, axis=0) if len(both) else both
        count = np.bincount(both[:, 0], minlength=len(xy)) if len(both) else np.zeros(len(xy), int)
        static = count >= need
        start = 0
        for i in members:
            n = len(feats[i].keypoints)
            out[i] = static[start : start + n]
            start += n
    return out


def drop_keypoints(feat: ImageFeatures, drop: np.ndarray) -> ImageFeatures:
    """The same features without the marked keypoints."""
    keep = ~np.asarray(drop, bool)
    return ImageFeatures(feat.keypoints[keep], feat.descriptors[keep], feat.shape, feat.sharpness, {**feat.meta, "dropped_static": int((~keep).sum())})
