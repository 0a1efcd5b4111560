"""The catalogue's descriptor index: every reference photo's features in FAISS, one index per species and flank.

A tiger's left and right flanks differ, so each (species, side) is its own partition and a query only meets
photos of the same flank. Each descriptor row maps back to its photo (and so to its individual) and keeps
its keypoint position for geometric verification. Small catalogues use an exact index; large ones an
inverted-file index so that a query stays well under a second.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np
import pandas as pd

from bigcats.identify.errors import IdentifyError, UnidentifiableImage
from bigcats.identify.features import Descriptor, ImageFeatures, default_descriptor, extract_file

faiss.omp_set_num_threads(1)  # one core per worker; Dask spreads the work

EXACT_LIMIT = 20_000  # descriptors; above this an IVF index is used
IMAGE_COLUMNS = ["image", "individual", "side", "scientificName", "encounter"]


@dataclass
class Partition:
    """The descriptors of one species and flank: FAISS index, photo of each row, keypoint of each row."""

    index: faiss.Index
    desc_image: np.ndarray  # int32 row in Catalogue.images
    desc_xy: np.ndarray  # float32 (n, 2) keypoint position at working size

    @property
    def size(self) -> int:
        """Number of descriptors in the partition."""
        return int(self.index.ntotal)


@dataclass
class Catalogue:
    """Reference photos (one row each, in `images`) and their descriptor partitions keyed 'species|side'."""

    images: pd.DataFrame
    partitions: dict[str, Partition] = field(default_factory=dict)
    descriptor: str = "rootsift"
    work_size: int = 512
    nprobe: int = 16

    def partition(self, species: str, side: str) -> Partition:
        """The partition of a species and flank, or a clear error naming what the catalogue holds."""
        key = f"{species}|{side}"
        if key not in self.partitions:
            held = ", ".join(sorted(self.partitions)) or "nothing"
            raise IdentifyError(f"the catalogue has no {side} flanks of {species} (it holds: {held})")
        return self.partitions[key]


def _make_index(desc: np.ndarray, nprobe: int) -> faiss.Index:
    n, d = desc.shape
    if n <= EXACT_LIMIT:
        index = faiss.IndexFlatL2(d)
    else:
        # ~2 sqrt(n) inverted lists, k-means trained on a sample of 32 points per list: seconds, not minutes.
        nlist = int(min(2 * np.sqrt(n), 4096))
        quantizer = faiss.IndexFlatL2(d)
        index = faiss.IndexIVFFlat(quantizer, d, nlist)
        index.own_fields = True  # the index now owns (and keeps alive) its quantizer
        quantizer.this.disown()
        index.cp.niter = 10
        index.cp.min_points_per_centroid = 16
        rng = np.random.default_rng(0)
        sample = desc[rng.choice(n, size=min(n, 32 * nlist), replace=False)]
        index.train(sample)
        index.nprobe = nprobe
    index.add(desc)
    return index


def _check_images(images: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("image", "individual", "side", "scientificName") if c not in images.columns]
    if missing:
        raise IdentifyError(f"catalogue image table lacks column(s) {', '.join(missing)}")
    bad = ~images["side"].isin(["left", "right"])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise IdentifyError(f"image {images['image'].iloc[i]!r} (row {i + 1}): side {images['side'].iloc[i]!r} is not left or right")
    if images["individual"].isna().any():
        i = int(np.flatnonzero(images["individual"].isna().to_numpy())[0])
        raise IdentifyError(f"image {images['image'].iloc[i]!r} (row {i + 1}): no individual")
    out = images.reset_index(drop=True).copy()
    if "encounter" not in out.columns:
        out["encounter"] = out["image"]
    return out


def build_catalogue(images: pd.DataFrame, features: list[ImageFeatures], nprobe: int = 16, work_size: int = 512) -> Catalogue:
    """Index the features of reference photos; `images` has image, individual, side, scientificName[, encounter]."""
    images = _check_images(images)
    if len(features) != len(images):
        raise IdentifyError(f"{len(features)} feature sets for {len(images)} images")
    counts = np.array([len(f.descriptors) for f in features], np.int64)
    images["n_features"] = counts
    desc_image = np.repeat(np.arange(len(images), dtype=np.int32), counts)
    all_desc = np.concatenate([f.descriptors for f in features]) if len(features) else np.zeros((0, 128), np.float32)
    all_xy = np.concatenate([f.keypoints[:, :2] for f in features]) if len(features) else np.zeros((0, 2), np.float32)
    cat = Catalogue(images, work_size=work_size, nprobe=nprobe)
    key = (images["scientificName"].astype(str) + "|" + images["side"].astype(str)).to_numpy()
    for k in np.unique(key):
        rows = np.flatnonzero(key[desc_image] == k)
        if len(rows) == 0:
            continue
        desc = np.ascontiguousarray(all_desc[rows], dtype=np.float32)
        cat.partitions[str(k)] = Partition(_make_index(desc, nprobe), desc_image[rows], all_xy[rows].astype(np.float32))
    return cat


def read_labels(folder: str | Path) -> pd.DataFrame:
    """The photos of a folder: `labels.csv` (image,individual,side,encounter[,scientificName,x,y,w,h]) or `<individual>/<image>`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise IdentifyError(f"{folder}: not a folder")
    path = folder / "labels.csv"
    if path.exists():
        labels = pd.read_csv(path)
        missing = [c for c in ("image", "individual") if c not in labels.columns]
        if missing:
            raise IdentifyError(f"{path}: missing column(s) {', '.join(missing)} (need image,individual,side,encounter)")
        for col, default in (("side", "left"), ("scientificName", "unknown")):
            if col not in labels.columns:
                labels[col] = default
        if "encounter" not in labels.columns:
            labels["encounter"] = labels["image"]
        labels["side"] = labels["side"].fillna("left").astype(str).str.lower()
        bad = ~labels["side"].isin(["left", "right"])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise IdentifyError(f"{path}, row {i + 2}, field side: {labels['side'].iloc[i]!r} is not left or right")
        return labels
    files = sorted(p for p in folder.glob("*/*") if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"})
    if not files:
        raise IdentifyError(f"{folder}: no labels.csv and no images laid out as <individual>/<image>")
    rel = [p.relative_to(folder).as_posix() for p in files]
    return pd.DataFrame({
        "image": rel,
        "individual": [p.parent.name for p in files],
        "side": "left",
        "scientificName": "unknown",
        "encounter": rel,
    })


def _box(labels: pd.DataFrame) -> np.ndarray | None:
    if all(c in labels.columns for c in "xywh"):
        return labels[list("xywh")].to_numpy()
    return None


def extract_folder(folder: str | Path, labels: pd.DataFrame | None = None, descriptor: Descriptor | None = None, work_size: int = 512) -> tuple[pd.DataFrame, list[ImageFeatures], pd.DataFrame]:
    """Features of every photo in a folder: (usable labels, their features, refused photos with reason)."""
    folder = Path(folder)
    labels = read_labels(folder) if labels is None else labels
    boxes = _box(labels)
    descriptor = descriptor or default_descriptor()
    feats, keep, refused = [], [], []
    for i, name in enumerate(labels["image"].to_numpy()):  # one OpenCV call per photo
        box = None if boxes is None or np.isnan(boxes[i].astype(float)).any() else tuple(int(v) for v in boxes[i])
        try:
            feats.append(extract_file(folder / name, box, descriptor=descriptor, work_size=work_size))
            keep.append(i)
        except UnidentifiableImage as err:
            refused.append((name, err.reason, err.detail))
    refused_df = pd.DataFrame(refused, columns=["image", "reason", "detail"])
    return labels.iloc[keep].reset_index(drop=True), feats, refused_df


def index_folder(folder: str | Path, nprobe: int = 16, work_size: int = 512) -> tuple[Catalogue, pd.DataFrame]:
    """Build a catalogue from a folder of labelled photos; returns it with the photos refused and why."""
    labels, feats, refused = extract_folder(folder, work_size=work_size)
    if not feats:
        raise IdentifyError(f"{folder}: no usable photo ({len(refused)} refused)")
    return build_catalogue(labels, feats, nprobe=nprobe, work_size=work_size), refused


def save(cat: Catalogue, out: str | Path) -> Path:
    """Write a catalogue to a folder: images.csv, one .faiss and one .npz per partition, catalogue.json."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cat.images.to_csv(out / "images.csv", index=False)
    parts = {}
    for i, (key, p) in enumerate(sorted(cat.partitions.items())):
        faiss.write_index(p.index, str(out / f"part{i}.faiss"))
        np.savez(out / f"part{i}.npz", desc_image=p.desc_image, desc_xy=p.desc_xy)
        parts[key] = f"part{i}"
    meta = {"format": "bigcats-identify-index/1", "descriptor": cat.descriptor, "work_size": cat.work_size, "nprobe": cat.nprobe, "partitions": parts}
    (out / "catalogue.json").write_text(json.dumps(meta, indent=2))
    return out


def load(folder: str | Path) -> Catalogue:
    """Read a catalogue written by `save`."""
    folder = Path(folder)
    meta_path = folder / "catalogue.json"
    if not meta_path.exists():
        raise IdentifyError(f"{folder}: not a bigcats identification index (no catalogue.json)")
    meta = json.loads(meta_path.read_text())
    images = pd.read_csv(folder / "images.csv", dtype={"individual": str, "image": str, "encounter": str})
    cat = Catalogue(images, descriptor=meta["descriptor"], work_size=meta["work_size"], nprobe=meta["nprobe"])
    for key, stem in meta["partitions"].items():
        index = faiss.read_index(str(folder / f"{stem}.faiss"))
        if hasattr(index, "nprobe"):
            index.nprobe = cat.nprobe
        arrays = np.load(folder / f"{stem}.npz")
        cat.partitions[key] = Partition(index, arrays["desc_image"], arrays["desc_xy"])
    return cat
