"""The status report's catalogue table shows a crop of each individual (issue 16); the public brochure shows none.

The crops come from the demo's reference photos in the store; each is re-encoded, so no EXIF (GPS, camera serial)
of the original reaches the report, and the page carries the bytes, never the file's path.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from bigcats.report.photos import THUMB_PX, thumbnail_uris

THUMB = re.compile(r'<img class="thumb" src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)"')


def _jpeg(b64: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def test_status_report_shows_a_clean_crop_per_photographed_individual(rendered, status):
    photos = status.photos
    assert photos is not None and len(photos) >= 3  # the demo photographs several tigers
    html = rendered[("status", "en")].files["html"].read_text(encoding="utf-8")
    shown = THUMB.findall(html)
    listed = set(status.individuals["individualID"])
    with_photo = set(photos["individualID"])
    assert {alt for _, alt in shown} == with_photo and with_photo <= listed
    # Individuals without a photo say so, in the reader's language.
    assert html.count('class="na">no photo<') == len(listed - with_photo)
    ru = rendered[("status", "ru")].files["html"].read_text(encoding="utf-8")
    assert "<th>Фото</th>" in ru and len(THUMB.findall(ru)) == len(shown)
    for b64, _ in shown:
        img = _jpeg(b64)
        assert img.format == "JPEG" and max(img.size) <= THUMB_PX
        assert not img.getexif() and "exif" not in img.info and "icc_profile" not in img.info
    # Neither the page nor the report's numbers (`bigcats report --json`) name the server's photo folders.
    numbers = json.dumps(status.to_dict(), default=str, ensure_ascii=False)
    for path in photos["path"]:
        folder = str(Path(path).resolve().parent)
        assert str(path) not in html and folder not in html and folder not in numbers


def test_the_pdf_embeds_the_crops_and_the_brochure_has_no_photo(rendered, status):
    html = rendered[("status", "en")].files["html"].read_text(encoding="utf-8")
    n = len(THUMB.findall(html))
    if shutil.which("pdfimages") is None:
        pytest.fail("pdfimages is not installed: scripts/system-deps.sh installs poppler-utils")
    listing = subprocess.run(["pdfimages", "-list", str(rendered[("status", "en")].files["pdf"])], check=True,
                             capture_output=True, text=True).stdout.splitlines()[2:]
    jpegs = [line for line in listing if line.split()[8] == "jpeg"]
    assert len(jpegs) == n  # the figures are PNGs: every JPEG in the PDF is a crop
    for lang in ("en", "zh"):
        brochure = rendered[("brochure", lang)]
        page = brochure.files["html"].read_text(encoding="utf-8")
        assert "image/jpeg" not in page and 'class="thumb"' not in page
        out = subprocess.run(["pdfimages", "-list", str(brochure.files["pdf"])], check=True, capture_output=True,
                             text=True).stdout.splitlines()[2:]
        assert not [line for line in out if line.split()[8] == "jpeg"]


def _photo_with_gps(path, bar: bool = True) -> None:
    """A 640x480 'camera-trap frame': a textured animal, a black info bar with white text, EXIF with a GPS fix."""
    rng = np.random.default_rng(0)
    img = rng.integers(90, 200, (480, 640, 3), dtype=np.uint8)
    if bar:
        img[450:] = 0
        cv2.putText(img, "SG-017 2024-03-01 -12C", (10, 472), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1)
    exif = Image.Exif()
    exif[0x0110] = "HF2X serial 123456"  # camera model
    exif[0x8825] = {1: "N", 2: (49.0, 28.0, 12.0), 3: "E", 4: (88.0, 54.0, 3.0)}  # GPS
    Image.fromarray(img[..., ::-1]).save(path, "JPEG", exif=exif)


def test_thumbnails_resist_hostile_rows(tmp_path):
    good, nobar = tmp_path / "gps.jpg", tmp_path / "nobar.jpg"
    _photo_with_gps(good)
    _photo_with_gps(nobar, bar=False)
    assert Image.open(good).getexif().get_ifd(0x8825)  # the original does carry a position
    (tmp_path / "text.jpg").write_text("not an image")
    rows = pd.DataFrame([
        {"individualID": "A", "path": str(good)},
        {"individualID": "B", "path": str(tmp_path / "missing.jpg")},
        {"individualID": "C", "path": str(tmp_path / "text.jpg")},
        {"individualID": "D", "path": str(tmp_path)},  # a folder
        {"individualID": "E", "path": str(good), "bboxX": 0.25, "bboxY": 0.25, "bboxWidth": 0.5, "bboxHeight": 0.5},
        {"individualID": "F", "path": str(good), "bboxX": 3.0, "bboxY": -1, "bboxWidth": 9.0, "bboxHeight": np.nan},
        {"individualID": "G", "path": str(nobar)},
    ])
    uris = thumbnail_uris(rows)
    assert set(uris) == {"A", "E", "F", "G"}  # unreadable files are left out, never an error
    for key, uri in uris.items():
        img = _jpeg(uri.split(",", 1)[1])
        assert not img.getexif() and max(img.size) <= THUMB_PX, key
    # Without a box the info bar (station code, date) is cut off; a frame without a bar keeps its full height.
    a, g = _jpeg(uris["A"].split(",", 1)[1]), _jpeg(uris["G"].split(",", 1)[1])
    assert np.asarray(a.convert("L"))[-3:].mean() > 60
    assert a.size[1] < g.size[1]
    # A usable box crops to the animal (a square half of the frame); an impossible one falls back to the frame.
    e, f = _jpeg(uris["E"].split(",", 1)[1]), _jpeg(uris["F"].split(",", 1)[1])
    assert abs(e.size[0] / e.size[1] - 640 / 480) < 0.05 and f.size == a.size
