"""The synthetic coat generator: deterministic, every individual and flank unique, camera-trap renders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bigcats.identify.coats import SPECIES, coat, generate_dataset, render
from bigcats.identify.errors import IdentifyError


@pytest.mark.parametrize("species", list(SPECIES))
def test_coats_are_deterministic_and_unique(species):
    a = coat(species, "A", "left")
    assert np.array_equal(a, coat(species, "A", "left"))
    others = [coat(species, "B", "left"), coat(species, "A", "right"), coat(species, "A", "left", seed=1)]
    for o in others:
        # Two independent patterns correlate weakly; the same pattern correlates at 1.
        r = np.corrcoef(a.ravel(), o.ravel())[0, 1]
        assert r < 0.3, r
    assert 0.1 < a.mean() < 0.6  # marks on a ground colour, not all black or all bare


def test_render_day_and_infrared():
    day, box, ir = render("tiger", "T1", "left", 0, "moderate", infrared=False)
    night, box2, ir2 = render("tiger", "T1", "left", 0, "moderate", infrared=True)
    assert day.ndim == 3 and night.ndim == 2 and not ir and ir2
    assert box == box2  # the same pose: only the light differs
    x, y, w, h = box
    assert w > 100 and h > 30 and x >= 0 and y >= 0 and x + w <= day.shape[1] and y + h <= day.shape[0]


def test_generate_dataset_layout(tmp_path):
    labels = generate_dataset(tmp_path, individuals=3, photos=4, species="snow_leopard", level="hard")
    assert len(labels) == 12 and labels["individual"].nunique() == 3
    assert (tmp_path / "labels.csv").exists()
    back = pd.read_csv(tmp_path / "labels.csv")
    assert set(back.columns) >= {"image", "individual", "side", "encounter"}
    assert all((tmp_path / p).exists() for p in back["image"])
    # Each encounter is a paired station: one left and one right photo.
    assert (back.groupby("encounter")["side"].apply(lambda s: sorted(s) == ["left", "right"])).all()


def test_bad_arguments_are_named():
    with pytest.raises(IdentifyError, match="unknown species 'lion'"):
        coat("lion", "A", "left")
    with pytest.raises(IdentifyError, match="difficulty level 'insane'"):
        render("tiger", "A", "left", 0, "insane")
