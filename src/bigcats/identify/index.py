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
from bigcats.identify.features import Descriptor, ImageFeatures, default_descriptor, frame_xy

faiss.omp_set_num_threads(1)  # one core per worker; Dask spreads the work

EXACT_LIMIT = 20_000  # descriptors; above this an IVF index is used
IMAGE_COLUMNS = ["image", "individual", "side", "scientificName", "encounter"]


@dataclass
class Partition:
    """The descriptors of one species and flank: FAISS index, photo of each row, keypoint of each row."""

    index: faiss.Index
    desc_image: np.ndarray  # int32 row in Catalogue.images
    desc_xy: np.ndarray  # float32 (n, 2) keypoint position at working size
    desc_frame_xy: np.ndarray | None = None  # float32 (n, 2) keypoint position in the full frame's pixels

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
    bad = ~images["side"].isin(["left", "right", "unknown"])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise IdentifyError(f"image {images['image'].iloc[i]!r} (row {i + 1}): side {images['side'].iloc[i]!r} is not left, right or unknown")
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
    all_frame = np.concatenate([frame_xy(f) for f in features]) if len(features) else np.zeros((0, 2), np.float32)
    cat = Catalogue(images, work_size=work_size, nprobe=nprobe)
    key = (images["scientificName"].astype(str) + "|" + images["side"].astype(str)).to_numpy()
    for k in np.unique(key):
        rows = np.flatnonzero(key[desc_image] == k)
        if len(rows) == 0:
            continue
        desc = np.ascontiguousarray(all_desc[rows], dtype=np.float32)
        cat.partitions[str(k)] = Partition(_make_index(desc, nprobe), desc_image[rows], all_xy[rows].astype(np.float32), all_frame[rows].astype(np.float32))
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
        for col, default in (("side", "unknown"), ("scientificName", "unknown")):
            if col not in labels.columns:
                labels[col] = default
        if "encounter" not in labels.columns:
            labels["encounter"] = labels["image"]
        # A flank nobody recorded is unknown, and is then compared with both flanks (never silently "left").
        labels["side"] = labels["side"].fillna("unknown").astype(str).str.strip().str.lower().replace("", "unknown")
        bad = ~labels["side"].isin(["left", "right", "unknown"])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise IdentifyError(f"{path}, row {i + 2}, field side: {labels['side'].iloc[i]!r} is not left, right or unknown")
        return labels
    files = sorted(p for p in folder.glob("*/*") if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"})
    if not files:
        raise IdentifyError(f"{folder}: no labels.csv and no images laid out as <individual>/<image>")
    rel = [p.relative_to(folder).as_posix() for p in files]
    return pd.DataFrame({
        "image": rel,
        "individual": [p.parent.name for p in files],
        "side": "unknown",
        "scientificName": "unknown",
        "encounter": rel,
    })


def _boxes(labels: pd.DataFrame) -> np.ndarray:
    """Each photo's box as (x, y, w, h) pixels, or relative (0..1, Camtrap DP's bbox columns) as negative-free floats.

    Returns an (n, 5) float array: x, y, w, h and 1 where relative, 0 where pixels; NaN rows have no box.
    """
    out = np.full((len(labels), 5), np.nan)
    if all(c in labels.columns for c in "xywh"):
        out[:, :4] = labels[list("xywh")].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        out[:, 4] = 0
    rel = ["bboxX", "bboxY", "bboxWidth", "bboxHeight"]
    if all(c in labels.columns for c in rel):
        r = labels[rel].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        use = np.isnan(out[:, :4]).any(1) & ~np.isnan(r).any(1)
        out[use, :4] = r[use]
        out[use, 4] = 1
    bad = ~np.isnan(out[:, :4]).any(1) & ((out[:, 2] <= 0) | (out[:, 3] <= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise IdentifyError(f"labels row {i + 2} (image {labels['image'].iloc[i]!r}): box width and height must be positive")
    return out


def _pixel_box(row: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    if np.isnan(row[:4]).any():
        return None
    x, y, w, h = row[:4]
    if row[4] == 1:  # relative to the frame, as MegaDetector and Camtrap DP write boxes
        x, y, w, h = x * shape[1], y * shape[0], w * shape[1], h * shape[0]
    return int(round(x)), int(round(y)), max(1, int(round(w))), max(1, int(round(h)))


def is_infrared(img: np.ndarray) -> bool:
    """A night infrared photo: colour channels (almost) equal everywhere."""
    if img.ndim == 2 or img.shape[2] < 3:
        return True
    small = img[:: max(1, img.shape[0] // 64), :: max(1, img.shape[1] // 64), :3].astype(np.int16)
    return bool(np.abs(small[..., 0] - small[..., 1]).mean() + np.abs(small[..., 1] - small[..., 2]).mean() < 6)


_JOBS: list = []  # the shares a forked worker inherits (a descriptor holding OpenCV objects cannot be pickled)


def _extract_bursts(k: int) -> tuple[dict, list, dict, dict]:
    """Features of some bursts (one worker's share): features, refused, box source and infrared flag per row."""
    from bigcats.identify.background import foreground_masks, mask_box
    from bigcats.identify.features import cached_extract, load_image

    folder, names, boxes, bursts, descriptor, work_size, burst_background, upscale, cache_dir = _JOBS[k]
    feats: dict[int, ImageFeatures] = {}
    refused, source, infrared = [], {}, {}
    for rows in bursts:  # a burst at a time: its frames tell the animal from the scenery
        imgs = {}
        for i in rows:
            try:
                imgs[i] = load_image(folder / names[i])
            except UnidentifiableImage as err:
                refused.append((i, names[i], err.reason, err.detail))
        masks: dict[int, np.ndarray | None] = {}
        need = [i for i in imgs if _pixel_box(boxes[i], imgs[i].shape) is None]
        if burst_background and need and len(imgs) >= 3 and len({im.shape[:2] for im in imgs.values()}) == 1:
            masks = dict(zip(imgs, foreground_masks(list(imgs.values())), strict=True))
        for i, img in imgs.items():
            box, mask, src = _pixel_box(boxes[i], img.shape), None, "labels"
            if box is None:
                mask = masks.get(i)
                box, src = (mask_box(mask), "burst") if mask is not None else (None, "none")
            try:
                data = (folder / names[i]).read_bytes() if cache_dir is not None else b""
                feats[i] = cached_extract(img, data, cache_dir, box, descriptor=descriptor, source=str(folder / names[i]), work_size=work_size, upscale=upscale)
                source[i], infrared[i] = src, is_infrared(img)
            except UnidentifiableImage as err:
                refused.append((i, names[i], err.reason, err.detail))
            except IdentifyError as err:
                refused.append((i, names[i], "bad_box", str(err)))
        imgs.clear()
    return feats, refused, source, infrared


def extract_folder(
    folder: str | Path,
    labels: pd.DataFrame | None = None,
    descriptor: Descriptor | None = None,
    work_size: int = 512,
    static_background: bool = True,
    burst_background: bool = True,
    upscale: bool = False,
    workers: int = 1,
    cache_dir: str | Path | None = None,
) -> tuple[pd.DataFrame, list[ImageFeatures], pd.DataFrame]:
    """Features of every photo in a folder: (usable labels, their features, refused photos with reason).

    The animal is found before it is matched: a box in the labels (x,y,w,h pixels, or Camtrap DP's relative
    bboxX/bboxY/bboxWidth/bboxHeight) crops the photo; a photo without one, in a burst of three or more frames
    (same `encounter`), is cropped to what differs from the burst's median (`burst_background`); in photos without
    a box in the labels, keypoints that repeat at the same place of the frame in other encounters at the same
    `station` are dropped (`static_background`). The usable labels gain `box_source` (labels, burst, none) and `infrared`.
    With `workers` > 1, bursts are shared out to forked processes. `cache_dir` keeps each photo's features on
    disk, keyed by its bytes, box and settings (`features.cached_extract`), so that a re-run only re-matches.
    """
    import multiprocessing as mp

    from bigcats.identify.background import drop_keypoints, static_keypoints

    folder = Path(folder)
    labels = read_labels(folder) if labels is None else labels
    boxes = _boxes(labels)
    descriptor = descriptor or default_descriptor()
    names = labels["image"].to_numpy()
    groups = list(labels.groupby(labels["encounter"].astype(str) if "encounter" in labels.columns else labels["image"], sort=False).indices.values())
    n = max(1, min(workers, len(groups)))
    shares = [groups[k::n] for k in range(n)]
    _JOBS[:] = [(folder, names, boxes, share, descriptor, work_size, burst_background, upscale, cache_dir) for share in shares]
    try:
        if n > 1 and "fork" in mp.get_all_start_methods():
            with mp.get_context("fork").Pool(n) as pool:
                parts = pool.map(_extract_bursts, range(n))
        else:
            parts = [_extract_bursts(k) for k in range(n)]
    finally:
        _JOBS.clear()
    feats: dict[int, ImageFeatures] = {}
    refused_rows, source, infrared = [], {}, {}
    for f, r, s_, ir in parts:
        feats.update(f)
        refused_rows.extend(r)
        source.update(s_)
        infrared.update(ir)
    refused = [row[1:] for row in sorted(refused_rows)]
    keep = sorted(feats)
    usable = labels.iloc[keep].reset_index(drop=True)
    out = [feats[i] for i in keep]
    if "station" in usable.columns:  # matching drops votes that pair the same spot of one station's scenery
        for f, st in zip(out, usable["station"].astype(str), strict=True):
            f.meta["station"] = st
    usable["box_source"] = [source[i] for i in keep]
    usable["infrared"] = [infrared[i] for i in keep]
    if static_background and "station" in usable.columns and len(out):
        static = static_keypoints(out, usable["station"].astype(str).to_numpy(), usable["encounter"].astype(str).to_numpy())
        # Only where no box was given: inside a box drawn round the animal, a keypoint repeating at the same spot of
        # the station is as likely the same cat back on its marking rock as a rock (on the snow-leopard set,
        # dropping them inside the chip boxes cost 2 of 47 encounters their first place). The vote-level rule
        # (`match.drop_scenery_votes`) still applies to every photo.
        boxed = usable["box_source"].to_numpy() == "labels"
        out = [drop_keypoints(f, s) if s.any() and (~s).sum() >= 8 and not b else f for f, s, b in zip(out, static, boxed, strict=True)]
    refused_df = pd.DataFrame(refused, columns=["image", "reason", "detail"])
    return usable, out, refused_df


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
        frame = {} if p.desc_frame_xy is None else {"desc_frame_xy": p.desc_frame_xy}
        np.savez(out / f"part{i}.npz", desc_image=p.desc_image, desc_xy=p.desc_xy, **frame)
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
        cat.partitions[key] = Partition(index, arrays["desc_image"], arrays["desc_xy"], arrays["desc_frame_xy"] if "desc_frame_xy" in arrays else None)
    return cat
