"""Crops and thumbnails of the animal in a photo, for the review page, individual pages and reports.

A crop is the animal's box (from labels, a detector or a person) with a margin, scaled to fit a size and
written as JPEG bytes; without a box, the whole frame is scaled. Nothing of the photo's metadata (EXIF with
GPS positions, camera serial numbers) is carried into the crop: the pixels are decoded and re-encoded.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from bigcats.identify.errors import IdentifyError
from bigcats.identify.features import load_image


def crop(img: np.ndarray, box: tuple[int, int, int, int] | None = None, margin: float = 0.1) -> np.ndarray:
    """The box (x, y, w, h) widened by `margin` of its size on each side, clipped to the frame; the frame without one."""
    if img.ndim not in (2, 3) or img.size == 0:
        raise IdentifyError(f"expected an image, got an array of shape {img.shape}")
    if box is None:
        return img
    x, y, w, h = (int(v) for v in box)
    if w <= 0 or h <= 0 or x >= img.shape[1] or y >= img.shape[0] or x + w <= 0 or y + h <= 0:
        raise IdentifyError(f"box {box} lies outside the image of size {img.shape[1]}x{img.shape[0]}")
    mx, my = int(w * margin), int(h * margin)
    x0, y0 = max(0, x - mx), max(0, y - my)
    x1, y1 = min(img.shape[1], x + w + mx), min(img.shape[0], y + h + my)
    return img[y0:y1, x0:x1]


def thumbnail(path: str | Path, box: tuple[int, int, int, int] | None = None, size: int = 320, quality: int = 85, margin: float = 0.1) -> bytes:
    """JPEG bytes of the animal's crop (or the frame) scaled so its longer side is at most `size` pixels."""
    if not 16 <= size <= 4096:
        raise IdentifyError(f"thumbnail size {size} is not between 16 and 4096 pixels")
    img = crop(load_image(path), box, margin)
    if img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    if img.dtype != np.uint8:
        img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    scale = size / max(img.shape[:2])
    if scale < 1:
        img = cv2.resize(img, (max(1, round(img.shape[1] * scale)), max(1, round(img.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise IdentifyError(f"{path}: could not encode the thumbnail")
    return buf.tobytes()
