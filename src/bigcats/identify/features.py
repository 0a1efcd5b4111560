"""Local features of a coat photo: RootSIFT on a contrast-equalised greyscale image, behind a quality gate.

Day colour and infrared night photos are both reduced to greyscale and equalised with CLAHE, so that the
same stripe or rosette gives the same descriptor under either light. The descriptor is pluggable through
the `Descriptor` protocol, so a learnt descriptor loaded from a user-supplied weights file can replace
RootSIFT later without touching the index or the matcher.
"""

from __future__ import annotations

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


def prepare(img: np.ndarray, box: tuple[int, int, int, int] | None = None, work_size: int = 512) -> np.ndarray:
    """Crop to the animal's box, convert to greyscale, resize the long side to `work_size`, equalise (CLAHE)."""
    if img.ndim not in (2, 3) or img.size == 0:
        raise IdentifyError(f"expected a 2-D greyscale or 3-D colour image, got an array of shape {img.shape}")
    if box is not None:
        x, y, w, h = (int(v) for v in box)
        if w <= 0 or h <= 0 or x >= img.shape[1] or y >= img.shape[0]:
            raise IdentifyError(f"bounding box {box} lies outside the image of size {img.shape[1]}x{img.shape[0]}")
        img = img[max(y, 0) : y + h, max(x, 0) : x + w]
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY if img.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
    if img.dtype != np.uint8:
        img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    scale = work_size / max(img.shape)
    if scale < 1:  # only shrink: enlarging a small crop invents no detail
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return _CLAHE.apply(img)


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
) -> ImageFeatures:
    """Features of one photo; raises UnidentifiableImage (too_small, blank, too_blurred, too_few_features)."""
    descriptor = descriptor or default_descriptor()
    raw = img if box is None else img[max(int(box[1]), 0) : int(box[1] + box[3]), max(int(box[0]), 0) : int(box[0] + box[2])]
    if min(raw.shape[:2]) < gate.min_side:
        raise UnidentifiableImage("too_small", f"{raw.shape[1]}x{raw.shape[0]} px, need at least {gate.min_side} px on each side", source)
    grey = prepare(img, box, work_size)
    if float(np.std(raw)) < gate.min_std:
        raise UnidentifiableImage("blank", f"grey-level spread {np.std(raw):.1f} < {gate.min_std}", source)
    sharp = sharpness(grey)
    if sharp < gate.min_sharpness:
        raise UnidentifiableImage("too_blurred", f"variance of Laplacian {sharp:.1f} < {gate.min_sharpness}", source)
    kps, desc = descriptor.detect_and_describe(grey)
    if len(kps) < gate.min_keypoints:
        raise UnidentifiableImage("too_few_features", f"{len(kps)} keypoints < {gate.min_keypoints}", source)
    return ImageFeatures(kps, desc, grey.shape, sharp)


def extract_file(path: str | Path, box: tuple[int, int, int, int] | None = None, **kwargs) -> ImageFeatures:
    """Features of a photo on disk (see `extract`)."""
    return extract(load_image(path), box, source=str(path), **kwargs)


_DEFAULT: list[Descriptor] = []


def default_descriptor() -> Descriptor:
    """The shared RootSIFT extractor (built once per process)."""
    if not _DEFAULT:
        _DEFAULT.append(RootSIFT())
    return _DEFAULT[0]
