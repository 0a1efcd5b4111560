"""The on-disk feature cache (re-runs only re-match) and votes counted one per individual (imbalanced catalogues)."""

from __future__ import annotations

import cv2
import faiss
import numpy as np
import pandas as pd
import pytest

from bigcats.identify import features as F
from bigcats.identify.coats import render
from bigcats.identify.errors import UnidentifiableImage
from bigcats.identify.index import Partition, extract_folder
from bigcats.identify.match import MatchParams, neighbours, votes


def _folder(tmp_path, n=3):
    (tmp_path / "images").mkdir()
    rows = []
    for k in range(n):
        img, (x, y, w, h), _ = render("tiger", f"T{k % 2}", "left", k, "easy", infrared=False)
        cv2.imwrite(str(tmp_path / "images" / f"{k}.png"), img)
        rows.append({"image": f"images/{k}.png", "individual": f"T{k % 2}", "encounter": f"e{k}", "x": x, "y": y, "w": w, "h": h})
    return pd.DataFrame(rows)


def test_cache_returns_the_same_features_without_extracting_again(tmp_path, monkeypatch):
    labels = _folder(tmp_path)
    cache = tmp_path / "cache"
    _, first, _ = extract_folder(tmp_path, labels, burst_background=False, cache_dir=cache)
    assert len(list(cache.rglob("*.npz"))) == 3

    def boom(*a, **k):
        raise AssertionError("extracted again despite a cache entry")

    monkeypatch.setattr(F, "extract", boom)
    _, again, _ = extract_folder(tmp_path, labels, burst_background=False, cache_dir=cache, workers=2)
    for a, b in zip(first, again, strict=True):
        assert np.array_equal(a.keypoints, b.keypoints) and np.array_equal(a.descriptors, b.descriptors)
        assert a.meta == b.meta and a.shape == b.shape
    # Another box, other bytes or another setting is another entry: never a stale hit.
    moved = labels.assign(x=labels["x"] + 7)
    with pytest.raises(AssertionError, match="extracted again"):
        extract_folder(tmp_path, moved, burst_background=False, cache_dir=cache)
    with pytest.raises(AssertionError, match="extracted again"):
        extract_folder(tmp_path, labels, burst_background=False, cache_dir=cache, work_size=384)
    img = cv2.imread(str(tmp_path / "images" / "0.png"))
    cv2.imwrite(str(tmp_path / "images" / "0.png"), cv2.flip(img, 1))
    with pytest.raises(AssertionError, match="extracted again"):
        extract_folder(tmp_path, labels, burst_background=False, cache_dir=cache)


def test_damaged_cache_entries_are_recomputed_and_refusals_remembered(tmp_path):
    labels = _folder(tmp_path, 2)
    cache = tmp_path / "cache"
    _, first, _ = extract_folder(tmp_path, labels, burst_background=False, cache_dir=cache)
    for p in cache.rglob("*.npz"):
        p.write_bytes(b"not a cache entry")
    _, again, refused = extract_folder(tmp_path, labels, burst_background=False, cache_dir=cache)
    assert refused.empty and all(np.array_equal(a.descriptors, b.descriptors) for a, b in zip(first, again, strict=True))
    blank = np.full((200, 300, 3), 128, np.uint8)
    for _ in range(2):  # the second time from the cache, with the same reason
        with pytest.raises(UnidentifiableImage) as err:
            F.cached_extract(blank, blank.tobytes(), cache, None, source="blank.png")
        assert err.value.reason == "blank"
    # A stricter quality gate is another entry: the cached acceptance is not reused.
    img = cv2.imread(str(tmp_path / "images" / "0.png"))
    data = (tmp_path / "images" / "0.png").read_bytes()
    F.cached_extract(img, data, cache, None, source="0.png")
    with pytest.raises(UnidentifiableImage) as err:
        F.cached_extract(img, data, cache, None, source="0.png", gate=F.QualityGate(min_keypoints=10**6))
    assert err.value.reason == "too_few_features"


def _partition(groups):
    """A partition from (individual code, photo count, distance of its descriptors to the query) rows."""
    desc, image, code = [], [], []
    photo = 0
    for ind, photos, d in groups:
        for _ in range(photos):
            v = np.zeros(8, np.float32)
            v[0], v[1 + photo % 7] = d, 1e-3 * (photo + 1)  # the same distance, give or take, for each photo
            desc.append(v)
            image.append(photo)
            code.append(ind)
            photo += 1
    desc = np.array(desc, np.float32)
    index = faiss.IndexFlatL2(8)
    index.add(desc)
    return Partition(index, np.array(image, np.int32), np.zeros((len(desc), 2), np.float32)), np.array(code)


def test_one_cat_seen_many_times_does_not_crowd_out_the_others():
    # Cat 0 photographed 30 times sits nearest; cat 1 (seen once) next; cats 2..5 farther.
    part, code = _partition([(0, 30, 1.0), (1, 1, 1.2), (2, 1, 1.5), (3, 1, 1.6), (4, 1, 1.7), (5, 1, 1.8)])
    q = np.zeros((1, 8), np.float32)
    nb = neighbours(part, q, MatchParams(), spare=40)
    plain = votes(nb, part, code, None, MatchParams())
    assert set(plain["individual"]) == {0}  # the k nearest are all cat 0: cat 1 gets nothing
    fair = votes(nb, part, code, None, MatchParams(per_individual=True))
    assert list(fair["individual"]) == [0, 1, 2, 3]  # the four nearest individuals, in order
    w = fair.set_index("individual")["weight"]
    assert np.isclose(w[1], 1.7 - 1.2, atol=1e-2) and (np.diff(w.to_numpy()) < 0).all()
    # Fewer individuals among the neighbours fetched than k+1: they all vote, the farthest fetched normalises.
    short = neighbours(part, q, MatchParams(extra=0), spare=27)  # 32 neighbours: cat 0 (30), cat 1, cat 2
    few = votes(short, part, code, None, MatchParams(per_individual=True))
    assert list(few["individual"]) == [0, 1] and (few["weight"] > 0).all()
    # Excluded photos never vote, per individual or not.
    excl = np.zeros(part.desc_image.max() + 1, bool)
    excl[30] = True  # cat 1's only photo
    assert 1 not in set(votes(nb, part, code, excl, MatchParams(per_individual=True))["individual"])
