"""Finding the animal without a box: burst medians, and keypoints the station's scenery repeats.

Scenes are made here: a station's fixed, textured scenery (the same in every frame, as a fixed camera sees
it) with synthetic cats pasted at different places. The attack: a cat photographed at a station where
another cat was photographed before must not be matched to that other cat on the scenery they share.
"""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest

from bigcats.identify.background import foreground_masks, mask_box, static_keypoints
from bigcats.identify.coats import render
from bigcats.identify.errors import IdentifyError
from bigcats.identify.features import extract, frame_xy
from bigcats.identify.index import build_catalogue, extract_folder
from bigcats.identify.match import MatchParams, match_features

H, W = 480, 720
SN = "Panthera tigris altaica"


def scenery(seed: int) -> np.ndarray:
    """A station's scenery: rocks and twigs, rich in corners (what fools a keypoint matcher)."""
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.uniform(40, 200, (H, W, 3)).astype(np.float32), (0, 0), 6)
    for _ in range(60):
        c = rng.uniform([0, 0], [W, H]).astype(int)
        cv2.circle(img, tuple(int(v) for v in c), int(rng.uniform(4, 25)), rng.uniform(0, 255, 3).tolist(), -1)
    for _ in range(40):
        p, q = rng.uniform([0, 0], [W, H], (2, 2)).astype(int)
        cv2.line(img, tuple(int(v) for v in p), tuple(int(v) for v in q), rng.uniform(0, 255, 3).tolist(), int(rng.integers(1, 4)))
    return np.clip(img, 0, 255).astype(np.uint8)


def cat_at(bg: np.ndarray, ind: str, photo: int, x: int, y: int, width: int = 300) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The scenery with a cat's flank pasted with its top-left corner at (x, y); returns the frame and the cat's box."""
    img, box, _ = render("tiger", ind, "right", photo, "easy", infrared=False)
    bx, by, bw, bh = box
    chip = img[by : by + bh, bx : bx + bw]
    chip = cv2.resize(chip, (width, int(bh * width / bw)))
    if chip.ndim == 2:
        chip = cv2.cvtColor(chip, cv2.COLOR_GRAY2BGR)
    out = bg.copy()
    out[y : y + chip.shape[0], x : x + chip.shape[1]] = chip
    return out, (x, y, chip.shape[1], chip.shape[0])


def test_burst_median_finds_the_moving_cat():
    bg = scenery(1)
    frames, boxes = [], []
    for k, x in enumerate((10, 180, 350, 510)):  # the cat walks across: each place is empty in most frames
        f, b = cat_at(bg, "T1", k, x, 120 + 10 * k, width=200)
        frames.append(f)
        boxes.append(b)
    masks = foreground_masks(frames)
    for m, (x, y, w, h) in zip(masks, boxes, strict=True):
        got = mask_box(m)
        assert got is not None
        gx, gy, gw, gh = got
        inter = max(0, min(x + w, gx + gw) - max(x, gx)) * max(0, min(y + h, gy + gh) - max(y, gy))
        assert inter / (w * h + gw * gh - inter) > 0.5, (got, (x, y, w, h))
    # Two frames tell nothing apart; frames of different cameras are refused.
    assert foreground_masks(frames[:2]) == [None, None]
    with pytest.raises(IdentifyError, match="differ in size"):
        foreground_masks([frames[0], frames[1], frames[2][:-10]])
    assert mask_box(None) is None and mask_box(np.zeros((10, 10), np.uint8)) is None


def test_static_keypoints_are_the_scenery_not_the_cats():
    bg = scenery(2)
    feats, boxes = [], []
    for enc, (ind, x) in enumerate((("T1", 30), ("T2", 380), ("T3", 200))):
        f, b = cat_at(bg, ind, enc, x, 100)
        feats.append(extract(f, None))
        boxes.append(b)
    static = static_keypoints(feats, np.array(["S1"] * 3), np.array(["e1", "e2", "e3"]))
    for f, s, (x, y, w, h) in zip(feats, static, boxes, strict=True):
        xy = frame_xy(f)
        on_cat = (xy[:, 0] >= x) & (xy[:, 0] < x + w) & (xy[:, 1] >= y) & (xy[:, 1] < y + h)
        assert s[on_cat].mean() < 0.1  # the coat is kept
        assert s[~on_cat].mean() > 0.4  # most of the scenery goes
    # Another station's photos are not compared with these.
    other = static_keypoints(feats, np.array(["S1", "S2", "S3"]), np.array(["e1", "e2", "e3"]))
    assert not any(s.any() for s in other)
    with pytest.raises(IdentifyError):
        static_keypoints(feats, np.array(["S1"]), np.array(["e1", "e2", "e3"]))


def test_shared_scenery_does_not_make_two_cats_one(tmp_path):
    """T2 at station A must match T2 seen at station B, not T1 seen at station A on the same rocks."""
    bg_a, bg_b = scenery(3), scenery(4)
    (tmp_path / "images").mkdir()
    rows = []

    def shoot(name, bg, ind, photo, x, station, enc):
        img, _ = cat_at(bg, ind, photo, x, 90, width=260)
        cv2.imwrite(str(tmp_path / "images" / name), img)
        rows.append({"image": f"images/{name}", "individual": ind, "side": "right", "encounter": enc, "station": station, "scientificName": SN})

    shoot("a1.jpg", bg_a, "T1", 0, 40, "A", "A-1")
    shoot("a2.jpg", bg_a, "T3", 1, 420, "A", "A-2")
    shoot("b1.jpg", bg_b, "T2", 2, 60, "B", "B-1")
    shoot("q.jpg", bg_a, "T2", 3, 300, "A", "A-3")  # the query: T2 on station A's rocks
    labels = pd.DataFrame(rows)

    def top(static: bool, radius: float, imprint: float = 0.004):
        usable, feats, refused = extract_folder(tmp_path, labels, static_background=static, burst_background=False)
        assert refused.empty
        cat = build_catalogue(usable, feats)
        q = int(np.flatnonzero(usable["image"] == "images/q.jpg")[0])
        excluded = (usable["encounter"] == "A-3").to_numpy()
        res = match_features(feats[q], cat, SN, "right", MatchParams(scenery_radius=radius, imprint_radius=imprint), exclude_images=excluded)
        return res.candidates.set_index("individual")["score"]

    naive = top(False, 0.0, 0.0)
    # Without suppression the rocks win: the query goes to a cat it shares scenery with.
    assert naive.index[0] in {"T1", "T3"}
    for static, radius in ((False, 0.02), (True, 0.02)):
        cleaned = top(static, radius)
        assert cleaned.index[0] == "T2"
        assert cleaned["T2"] > 5 * cleaned.drop("T2").max()
        assert cleaned.drop("T2").max() < 0.2 * naive.drop("T2").max()


def test_thumbnail_is_the_animal_without_the_photos_metadata(tmp_path):
    from bigcats.identify.crops import thumbnail

    bg = scenery(5)
    frame, box = cat_at(bg, "T1", 0, 100, 100)
    path = tmp_path / "frame.jpg"
    cv2.imwrite(str(path), frame)
    # A JPEG with an EXIF block carrying a GPS tag: the thumbnail must not carry it on.
    raw = path.read_bytes()
    exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x88\x25\x00\x04\x00\x00\x00\x01\x00\x00\x00\x00GPS-SECRET"
    path.write_bytes(raw[:2] + b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif + raw[2:])
    data = thumbnail(path, box, size=120)
    assert b"GPS-SECRET" not in data and b"Exif" not in data
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert max(img.shape[:2]) == 120
    assert abs(img.shape[1] / img.shape[0] - box[2] / box[3]) < 0.1  # the cat's box, with its margin
    with pytest.raises(IdentifyError):
        thumbnail(path, (5000, 5000, 10, 10))
    with pytest.raises(IdentifyError):
        thumbnail(path, box, size=5)
    with pytest.raises(IdentifyError):
        thumbnail(tmp_path / "missing.jpg")


def test_folder_boxes_relative_or_pixels_and_workers_agree(tmp_path):
    """A Camtrap DP relative box crops like the same box in pixels; two workers give what one gives."""
    bg = scenery(6)
    (tmp_path / "images").mkdir()
    rows = []
    for k, (ind, x) in enumerate((("T1", 30), ("T2", 300), ("T1", 350), ("T2", 60))):
        img, (bx, by, bw, bh) = cat_at(bg, ind, k, x, 100)
        cv2.imwrite(str(tmp_path / "images" / f"{k}.png"), img)
        rel = (bx / W, by / H, bw / W, bh / H) if k % 2 else (np.nan,) * 4
        pix = (np.nan,) * 4 if k % 2 else (bx, by, bw, bh)
        rows.append({"image": f"images/{k}.png", "individual": ind, "encounter": f"e{k}", "station": "S",
                     "x": pix[0], "y": pix[1], "w": pix[2], "h": pix[3],
                     "bboxX": rel[0], "bboxY": rel[1], "bboxWidth": rel[2], "bboxHeight": rel[3]})
    labels = pd.DataFrame(rows)
    one, f1, r1 = extract_folder(tmp_path, labels, burst_background=False)
    two, f2, r2 = extract_folder(tmp_path, labels, burst_background=False, workers=2)
    assert r1.empty and r2.empty and (one["box_source"] == "labels").all()
    for a, b, (_, row) in zip(f1, f2, labels.iterrows(), strict=True):
        assert np.array_equal(a.descriptors, b.descriptors)
        xy = frame_xy(a)
        x = row["x"] if not np.isnan(row["x"]) else row["bboxX"] * W
        assert xy[:, 0].min() >= x - 1  # keypoints lie inside the box
    # A box outside the frame refuses that photo (with its reason), not the folder.
    bad = labels.assign(x=[5000, np.nan, np.nan, np.nan], y=[5000, np.nan, np.nan, np.nan])
    _, _, refused = extract_folder(tmp_path, bad, burst_background=False)
    assert refused["reason"].tolist() == ["bad_box"] and refused["image"].tolist() == ["images/0.png"]
    neg = labels.assign(w=[-3, np.nan, np.nan, np.nan])
    with pytest.raises(IdentifyError, match="width and height"):
        extract_folder(tmp_path, neg)


def test_info_bars_are_cut_from_the_box():
    from bigcats.identify.features import imprint_bands

    bg = scenery(7)
    frame, box = cat_at(bg, "T1", 0, 100, 300, width=300)
    frame[:30] = 0
    frame[-36:] = 0
    cv2.putText(frame, "2012-07-17 4:14:31 AM  M 4/10", (10, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
    cv2.putText(frame, "PANTHERA-24      RECONYX", (10, H - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    assert imprint_bands(frame) == (30, 36)
    assert imprint_bands(bg) == (0, 0)
    # A box running into the bottom bar: no keypoint of the bar's text survives.
    x, y, w, h = box
    f = extract(frame, (x, y, w, H - y))
    assert frame_xy(f)[:, 1].max() < H - 36
    # A night frame whose top rows are dark is cut by at most 8% of its height.
    night = (bg // 6).astype(np.uint8)
    top, bottom = imprint_bands(night)
    assert top <= 0.08 * H and bottom <= 0.08 * H


def test_static_keypoints_are_kept_inside_a_labelled_box(tmp_path):
    """The same cat back on the same spot of a station: inside a box a person or detector drew, its coat stays."""
    bg = scenery(8)
    (tmp_path / "images").mkdir()
    rows = []
    for k in range(3):  # T1 three nights running at the same spot of one station
        img, (x, y, w, h) = cat_at(bg, "T1", k, 200, 100)
        cv2.imwrite(str(tmp_path / "images" / f"{k}.png"), img)
        rows.append({"image": f"images/{k}.png", "individual": "T1", "encounter": f"e{k}", "station": "S", "x": x - 40, "y": y - 40, "w": w + 80, "h": h + 80})
    labels = pd.DataFrame(rows)
    _, boxed, _ = extract_folder(tmp_path, labels, burst_background=False)
    _, plain, _ = extract_folder(tmp_path, labels, burst_background=False, static_background=False)
    assert all(len(a.keypoints) == len(b.keypoints) and "dropped_static" not in a.meta for a, b in zip(boxed, plain, strict=True))
    # Without boxes the same repeats are taken for scenery and dropped.
    nobox = labels.drop(columns=list("xywh"))
    _, unboxed, _ = extract_folder(tmp_path, nobox, burst_background=False)
    assert sum(f.meta.get("dropped_static", 0) for f in unboxed) > 0
