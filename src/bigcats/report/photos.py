"""The catalogue's photos in the status report: one small crop of each individual, embedded in the page.

Who may see them: the status report is the partners' own document (its station map and table show exact station
positions), so a crop of the animal adds nothing its readers may not already see. The public brochure shows no
photo at all, not even a crop: a camera-trap frame's background (a rock face, a tree, a ridge line) or its info
bar (station name, date, temperature) can locate a station for anyone who knows the terrain, and the brochure
generalises every location of a sensitive species to grid cells. So only `status_context` asks for thumbnails.

Without a box the crop is the frame less the camera's info bars (`identify.features.imprint_bands`), which print
the station's name and the date. Each thumbnail is decoded and re-encoded (`identify.crops.thumbnail`): no EXIF, GPS position or camera serial of
the original file reaches the report, and the page embeds the bytes as a data URI, never the file's path.
"""

from __future__ import annotations

import base64
import math

import pandas as pd

from bigcats.identify.errors import IdentifyError

THUMB_PX = 160  # longest side; about 3 cm in the PDF's table


def _box(row, width: int, height: int) -> tuple[int, int, int, int] | None:
    """The animal's box in pixels from Camtrap DP fractions, or None where there is none or it is not usable."""
    vals = [getattr(row, k, None) for k in ("bboxX", "bboxY", "bboxWidth", "bboxHeight")]
    if any(v is None or not isinstance(v, (int, float)) or not math.isfinite(v) for v in vals):
        return None
    x, y, w, h = vals
    if not (0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 and 0 < h <= 1):
        return None
    return round(x * width), round(y * height), max(1, round(w * width)), max(1, round(h * height))


def thumbnail_uris(photos: pd.DataFrame | None, size: int = THUMB_PX) -> dict[str, str]:
    """A `data:image/jpeg;base64,...` crop per individualID; photos that cannot be read are left out (the table
    then says there is no photo)."""
    import cv2  # OpenCV only when a report has photos to show

    from bigcats.identify.crops import thumbnail
    from bigcats.identify.features import imprint_bands, load_image

    out: dict[str, str] = {}
    if photos is None or photos.empty:
        return out
    for row in photos.itertuples(index=False):
        try:
            img = load_image(row.path)
            height, width = img.shape[:2]
            box = _box(row, width, height)
            if box is None:
                top, bottom = imprint_bands(img)
                box = (0, top, width, height - top - bottom)
            jpeg = thumbnail(row.path, box, size=size, quality=80, margin=0.0 if box[0] == 0 else 0.1)
        except (OSError, ValueError, IdentifyError, cv2.error):
            continue
        out[str(row.individualID)] = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
    return out
