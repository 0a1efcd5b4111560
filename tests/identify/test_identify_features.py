"""RootSIFT features, the quality gate, and day/infrared matching."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest

from bigcats.identify.coats import render
from bigcats.identify.errors import UnidentifiableImage
from bigcats.identify.features import extract
from bigcats.identify.index import build_catalogue
from bigcats.identify.match import match_features


def _crop(img, box):
    x, y, w, h = box
    return img[y : y + h, x : x + w]


def test_rootsift_descriptors_are_hellinger_normalised():
    img, box, _ = render("leopard", "L1", "left", 0, "easy", infrared=False)
    f = extract(img, box)
    assert len(f.descriptors) >= 100
    assert (f.descriptors >= 0).all()
    # sqrt of an L1-normalised vector has unit L2 norm.
    assert np.allclose(np.linalg.norm(f.descriptors, axis=1), 1, atol=1e-3)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda img: np.full((300, 400), 128, np.uint8), "blank"),
        (lambda img: cv2.resize(img, (30, 20)), "too_small"),
        (lambda img: cv2.GaussianBlur(img, (0, 0), 9), "too_blurred"),
    ],
)
def test_unusable_photos_are_refused_with_reason(make, reason):
    img, box, _ = render("tiger", "T1", "left", 0, "easy", infrared=False)
    with pytest.raises(UnidentifiableImage) as err:
        extract(make(_crop(img, box)), source="test.jpg")
    assert err.value.reason == reason
    assert "test.jpg" in str(err.value)


def test_too_few_features_is_refused():
    img = np.zeros((200, 300), np.uint8)
    cv2.line(img, (0, 100), (300, 100), 255, 3)  # sharp but almost nothing to describe
    with pytest.raises(UnidentifiableImage) as err:
        extract(img)
    assert err.value.reason in {"too_few_features", "too_blurred"}


def test_infrared_photo_matches_its_day_twin():
    inds = [f"T{i}" for i in range(8)]
    rows, feats = [], []
    for ind in inds:
        img, box, _ = render("tiger", ind, "right", 0, "moderate", infrared=False)
        rows.append((f"{ind}.jpg", ind, "right", "Panthera tigris altaica"))
        feats.append(extract(img, box))
    cat = build_catalogue(pd.DataFrame(rows, columns=["image", "individual", "side", "scientificName"]), feats)
    for ind in inds[:4]:
        # The IR twin of the catalogue photo, and an IR photo from another visit (new pose).
        for photo in (0, 2):
            img, box, _ = render("tiger", ind, "right", photo, "moderate", infrared=True)
            res = match_features(extract(img, box), cat, "Panthera tigris altaica", "right")
            assert res.candidates["individual"].iloc[0] == ind
            assert not res.new_individual
