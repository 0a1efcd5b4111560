"""Local features of a coat photo: RootSIFT on a contrast-equalised greyscale image, behind a quality gate.

Day colour and infrared night photos are both reduced to greyscale and equalised with CLAHE, so that the
same stripe or rosette gives the same descriptor under either light. The descriptor is pluggable through
the `Descriptor` protocol, so a learnt descriptor loaded from a user-supplied weights file can replace
RootSIFT later without touching the index or the matcher.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from bigcats.identify.errors import IdentifyError, UnidentifiableImage

cv2.setNumThreads(1)  # one core per worker; parallelism is Dask's job


@dataclass(frozen=True)
class QualityGate:
    """Thresholds below which a photo is refused, with its reason, rather than matched badly."""

    min_side: int = 48  # pixels, on the shorter side of the (cropped) photo
    min_std: float = 4.0  # grey levels: below this the photo is blank
    min_sharpness: float = 15.0  # variance of the Laplacian at working size
    min_keypoints: int = 25


@dataclass
class ImageFeatures:
    """Keypoints (x, y, size, angle at working size) and descriptors (float32 rows) of one photo."""

    keypoints: np.ndarray
    descriptors: np.ndarray
    shape: tuple[int, int]
    sharpness: float
    meta: dict = field(default_factory=dict)


@runtime_checkable
class Descriptor(Protocol):
    """Anything that turns an equalised greyscale image into keypoints and descriptor rows."""

    name: str
    dim: int

    def detect_and_describe(self, grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return keypoints as an (n, 4) float32 array (x, y, size, angle) and (n, dim) float32 descriptors."""
        ...


class RootSIFT:
    """SIFT descriptors mapped to the Hellinger kernel (L1-normalise, square root), as HotSpotter uses."""

    name = "rootsift"
    dim = 128

    def __init__(self, n_features: int = 400, contrast_threshold: float = 0.03) -> None:
        self._sift = cv2.SIFT_create(nfeatures=n_features, contrastThreshold=contrast_threshold)
        self.settings = f"rootsift/{n_features}/{contrast_threshold}"  # names a feature cache's entries

    def detect_and_describe(self, grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Detect SIFT keypoints and return RootSIFT descriptors."""
        kps, desc = self._sift.detectAndCompute(grey, None)
        if desc is None or len(kps) == 0:
            return np.zeros((0, 4), np.float32), np.zeros((0, self.dim), np.float32)
        pts = np.array([(k.pt[0], k.pt[1], k.size, k.angle) for k in kps], np.float32)
        desc = desc / (np.abs(desc).sum(axis=1, keepdims=True) + 1e-7)
        return pts, np.sqrt(desc).astype(np.float32)


_CLAHE = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))


def load_image(path: str | Path) -> np.ndarray:
    """Read a photo from disk (colour or greyscale), raising UnidentifiableImage if it cannot be read."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise UnidentifiableImage("unreadable", "the file is missing or not an image OpenCV can decode", str(path))
    return img


def crop_geometry(shape: tuple[int, ...], box: tuple[int, int, int, int] | None, work_size: int, upscale: bool = False) -> tuple[tuple[int, int, int, int], float]:
    """The clipped crop (x0, y0, x1, y1) of a box in a frame and the scale from it to working size."""
    H, W = shape[:2]
    if box is None:
        x0, y0, x1, y1 = 0, 0, W, H
    else:
        x, y, w, h = (int(v) for v in box)
        if w <= 0 or h <= 0 or x >= W or y >= H or x + w <= 0 or y + h <= 0:
            raise IdentifyError(f"bounding box {box} lies outside the image of size {W}x{H}")
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    scale = work_size / max(x1 - x0, y1 - y0)
    # Shrinking is always right; enlarging a small chip to the standard size (HotSpotter's chip resizing) is optional,
    # and capped at 2x so that a distant cat's few pixels are not smeared into fake texture.
    scale = min(scale, 2.0) if upscale else min(scale, 1.0)
    return (x0, y0, x1, y1), scale


def imprint_bands(img: np.ndarray, dark: int = 24, share: float = 0.6, cap: float = 0.08) -> tuple[int, int]:
    """Rows of the camera's info bars at the top and bottom of a frame (date, temperature, logo): (top, bottom) heights.

    A bar row is mostly near-black (white text on black, as Reconyx, Bushnell and most others print it), and the
    bar touches the frame's edge; each bar is capped at `cap` of the frame's height so that a dark night sky is
    never taken for one wholesale.
    """
    grey = img if img.ndim == 2 else img[..., :3].mean(axis=2)
    h = grey.shape[0]
    limit = max(1, int(h * cap))
    frac = (grey < dark).mean(axis=1)

    def run(rows: np.ndarray) -> int:
        # The bar ends at its last dark row before a gap of more than 3 lighter rows (rows of a line of text
        # are lighter, but never for long).
        n, gap = 0, 0
        for k, f in enumerate(rows):
            if f >= share:
                n, gap = k + 1, 0
            else:
                gap += 1
                if gap > 3:
                    break
        return n

    top, bottom = run(frac[:limit]), run(frac[::-1][:limit])
    # A bar is a band of several rows followed by the scene; a single dark row is just a dark scene.
    return (top if top >= 0.015 * h else 0), (bottom if bottom >= 0.015 * h else 0)


def prepare_geometry(img: np.ndarray, box: tuple[int, int, int, int] | None = None, work_size: int = 512, upscale: bool = False) -> tuple[np.ndarray, float, tuple[int, int]]:
    """Crop, greyscale, resize and equalise; also return the scale and the crop's offset in the frame."""
    if img.ndim not in (2, 3) or img.size == 0:
        raise IdentifyError(f"expected a 2-D greyscale or 3-D colour image, got an array of shape {img.shape}")
    (x0, y0, x1, y1), scale = crop_geometry(img.shape, box, work_size, upscale)
    img = img[y0:y1, x0:x1]
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY if img.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
    if img.dtype != np.uint8:
        img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if scale != 1:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    return _CLAHE.apply(img), scale, (x0, y0)


def prepare(img: np.ndarray, box: tuple[int, int, int, int] | None = None, work_size: int = 512) -> np.ndarray:
    """Crop to the animal's box, convert to greyscale, resize the long side to `work_size`, equalise (CLAHE)."""
    return prepare_geometry(img, box, work_size)[0]


def sharpness(grey: np.ndarray) -> float:
    """Variance of the Laplacian: low for blurred or featureless images."""
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def extract(
    img: np.ndarray,
    box: tuple[int, int, int, int] | None = None,
    descriptor: Descriptor | None = None,
    gate: QualityGate = QualityGate(),
    source: str | None = None,
    work_size: int = 512,
    mask: np.ndarray | None = None,
    upscale: bool = False,
) -> ImageFeatures:
    """Features of one photo; raises UnidentifiableImage (too_small, blank, too_blurred, too_few_features).

    `box` (x, y, w, h in pixels) crops to the animal; `mask` (same height and width as the frame, non-zero on the
    animal) drops keypoints that fall on the background, e.g. from `background.foreground_mask`.
    """
    descriptor = descriptor or default_descriptor()
    if img.ndim not in (2, 3) or img.size == 0:
        raise IdentifyError(f"expected a 2-D greyscale or 3-D colour image, got an array of shape {img.shape}")
    if box is not None:
        # A box reaching into the camera's info bar would carry its logo and text, which match every photo of
        # that camera model: the box stops at the bars.
        top, bottom = imprint_bands(img)
        x, y, w, h = (int(v) for v in box)
        y0c, y1c = max(y, top), min(y + h, img.shape[0] - bottom)
        if y1c - y0c >= 0.5 * h:
            box = (x, y0c, w, y1c - y0c)
    (x0, y0, x1, y1), _ = crop_geometry(img.shape, box, work_size)
    raw = img[y0:y1, x0:x1]
    if min(raw.shape[:2]) < gate.min_side:
        raise UnidentifiableImage("too_small", f"{raw.shape[1]}x{raw.shape[0]} px, need at least {gate.min_side} px on each side", source)
    grey, scale, offset = prepare_geometry(img, box, work_size, upscale)
    if float(np.std(raw)) < gate.min_std:
        raise UnidentifiableImage("blank", f"grey-level spread {np.std(raw):.1f} < {gate.min_std}", source)
    sharp = sharpness(grey)
    if sharp < gate.min_sharpness:
        raise UnidentifiableImage("too_blurred", f"variance of Laplacian {sharp:.1f} < {gate.min_sharpness}", source)
    kps, desc = descriptor.detect_and_describe(grey)
    if mask is not None and len(kps):
        if mask.shape[:2] != img.shape[:2]:
            raise IdentifyError(f"mask of shape {mask.shape[:2]} does not fit the image of shape {img.shape[:2]}")
        fx = np.clip((kps[:, 0] / scale + offset[0]).astype(int), 0, img.shape[1] - 1)
        fy = np.clip((kps[:, 1] / scale + offset[1]).astype(int), 0, img.shape[0] - 1)
        keep = mask[fy, fx] > 0
        kps, desc = kps[keep], desc[keep]
    if len(kps) < gate.min_keypoints:
        raise UnidentifiableImage("too_few_features", f"{len(kps)} keypoints < {gate.min_keypoints}", source)
    return ImageFeatures(kps, desc, grey.shape, sharp, {"scale": scale, "offset": offset, "frame": img.shape[:2]})


def frame_xy(feat: ImageFeatures) -> np.ndarray:
    """Keypoint positions in the full frame's pixels (camera traps do not move: the same spot is the same place)."""
    scale = feat.meta.get("scale", 1.0)
    ox, oy = feat.meta.get("offset", (0, 0))
    return feat.keypoints[:, :2] / scale + np.array([ox, oy], np.float32)


FEATURES_VERSION = 1  # bump when extraction changes what it returns for the same settings: old cache entries then miss


def cache_key(data: bytes, box: tuple[int, int, int, int] | None, descriptor: Descriptor, work_size: int, upscale: bool, gate: QualityGate = QualityGate()) -> str:
    """A feature cache entry's name: the photo's bytes, the box and every setting that changes the features."""
    import hashlib

    settings = getattr(descriptor, "settings", descriptor.name)
    h = hashlib.sha256(data)
    h.update(repr((FEATURES_VERSION, box, settings, work_size, upscale, gate)).encode())
    return h.hexdigest()[:40]


def cached_extract(img: np.ndarray, data: bytes, cache_dir: str | Path | None, box: tuple[int, int, int, int] | None = None, **kwargs) -> ImageFeatures:
    """`extract`, reusing the features stored under `cache_dir` for the same bytes, box and settings.

    Re-running an evaluation after a change to matching then re-matches without re-extracting. A refused photo is
    remembered with its reason. A damaged entry is recomputed, never trusted.
    """
    if cache_dir is None or kwargs.get("mask") is not None:  # a mask is not part of the key: never cached
        return extract(img, box, **kwargs)
    cache_dir = Path(cache_dir)
    key = cache_key(data, box, kwargs.get("descriptor") or default_descriptor(), kwargs.get("work_size", 512), kwargs.get("upscale", False),
                    kwargs.get("gate", QualityGate()))
    path = cache_dir / key[:2] / f"{key}.npz"
    if path.exists():
        hit: ImageFeatures | tuple[str, str] | None = None
        try:
            with np.load(path, allow_pickle=False) as z:
                if "refused" in z:
                    hit = tuple(str(v) for v in z["refused"])[:2]
                else:
                    meta = {"scale": float(z["scale"]), "offset": tuple(int(v) for v in z["offset"]), "frame": tuple(int(v) for v in z["frame"])}
                    hit = ImageFeatures(z["keypoints"], z["descriptors"], tuple(int(v) for v in z["shape"]), float(z["sharpness"]), meta)
        except (OSError, ValueError, KeyError, EOFError):
            hit = None  # a damaged or foreign file: extract again and overwrite it
        if isinstance(hit, ImageFeatures):
            return hit
        if hit is not None:
            raise UnidentifiableImage(hit[0], hit[1], kwargs.get("source"))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    try:
        f = extract(img, box, **kwargs)
    except UnidentifiableImage as err:
        np.savez(tmp, refused=np.array([err.reason, err.detail]))
        os.replace(tmp, path)
        raise
    np.savez(tmp, keypoints=f.keypoints, descriptors=f.descriptors, shape=np.array(f.shape), sharpness=f.sharpness,
             scale=f.meta["scale"], offset=np.array(f.meta["offset"]), frame=np.array(f.meta["frame"]))
    os.replace(tmp, path)  # whole or not at all: parallel workers never read half an entry
    return f


def extract_file(path: str | Path, box: tuple[int, int, int, int] | None = None, **kwargs) -> ImageFeatures:
    """Features of a photo on disk (see `extract`)."""
    return extract(load_image(path), box, source=str(path), **kwargs)


_DEFAULT: list[Descriptor] = []


def default_descriptor() -> Descriptor:
    """The shared RootSIFT extractor (built once per process)."""
    if not _DEFAULT:
        _DEFAULT.append(RootSIFT())
    return _DEFAULT[0]
