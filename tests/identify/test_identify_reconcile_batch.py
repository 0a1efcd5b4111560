"""Cross-border reconciliation of two catalogues, and batch identification on a Dask local cluster."""

from __future__ import annotations

import cv2
import pandas as pd

from bigcats.identify.coats import render
from bigcats.identify.index import build_catalogue, extract_folder, index_folder, save
from bigcats.identify.batch import identify_batch
from bigcats.identify.reconcile import accept, reconcile

SN = "Panthera pardus orientalis"


def _write(folder, rows):
    """Render (individual, code, photo) rows into a labelled folder: the code is the partner's name for it."""
    out = []
    for ind, code, photo in rows:
        img, box, _ = render("leopard", ind, "left", photo, "moderate")
        name = f"{code}_{photo}.jpg"
        cv2.imwrite(str(folder / name), img)
        out.append((name, code, "left", f"{code}-{photo}", SN, *box))
    pd.DataFrame(out, columns=["image", "individual", "side", "encounter", "scientificName", "x", "y", "w", "h"]).to_csv(folder / "labels.csv", index=False)


def test_reconcile_proposes_the_shared_animals(tmp_path):
    a, b = tmp_path / "rus", tmp_path / "chn"
    a.mkdir(), b.mkdir()
    shared = ["X1", "X2", "X3"]
    _write(a, [(x, f"RU-{x}", p) for x in shared + ["R9"] for p in (0, 1)])
    _write(b, [(x, f"CN-{x}", p) for x in shared + ["C9"] for p in (2, 3)])
    la, fa, _ = extract_folder(a)
    lb, fb, _ = extract_folder(b)
    pairs = reconcile(build_catalogue(la, fa), lb, fb)
    proposed = pairs[pairs["proposed"]]
    assert set(zip(proposed["individual_b"], proposed["individual_a"])) == {(f"CN-{x}", f"RU-{x}") for x in shared}
    aliases = accept(pairs)
    assert len(aliases) == 3 and set(aliases["alias_b"]) == {f"CN-{x}" for x in shared}


def test_batch_on_local_cluster_reports_every_photo(tmp_path, easy_leopards):
    folder, labels = easy_leopards
    cat, refused = index_folder(folder)
    save(cat, tmp_path / "idx")
    cv2.imwrite(str(tmp_path / "blank.jpg"), 128 * __import__("numpy").ones((200, 300), "uint8"))
    photos = labels[["image", "scientificName", "side", "x", "y", "w", "h"]].head(4).copy()
    photos["image"] = [str(folder / p) for p in photos["image"]]
    photos.loc[len(photos)] = [str(tmp_path / "blank.jpg"), SN, "left", None, None, None, None]
    res = identify_batch(photos, tmp_path / "idx", n_workers=1, chunk_size=2)
    assert len(res) == len(photos)  # nothing dropped in silence
    assert res["status"].iloc[-1] == "unidentifiable" and res["reason"].iloc[-1].startswith("blank")
    ok = res.iloc[:4]
    assert (ok["status"] == "match").all()
    assert list(ok["best_individual"]) == list(labels["individual"].head(4))
