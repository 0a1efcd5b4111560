"""Read one photo's metadata from its bytes, never its pixels: EXIF, XMP keywords, size and SHA-256."""

from __future__ import annotations

import hashlib
import html
import os
import re

from PIL import Image

EXIF_IFD = 0x8769
TAGS_IFD0 = {271: "Make", 272: "Model", 306: "DateTime"}
TAGS_EXIF = {36867: "DateTimeOriginal", 37521: "SubSecTimeOriginal", 36881: "OffsetTimeOriginal",
             42033: "BodySerialNumber"}
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_BAG = {
    "hierarchicalSubject": re.compile(rb"<lr:hierarchicalSubject>(.*?)</lr:hierarchicalSubject>", re.S),
    "subject": re.compile(rb"<dc:subject>(.*?)</dc:subject>", re.S),
}
_LI = re.compile(rb"<rdf:li[^>]*>(.*?)</rdf:li>", re.S)
_XMP_DATE = re.compile(rb"(?:exif|photoshop|xmp):(?:DateTimeOriginal|DateCreated|CreateDate)=\"([^\"]+)\"")


class BadImage(Exception):
    """The file is not a readable JPEG (internal: becomes a report entry, never escapes a folder intake)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _segments(data: bytes) -> tuple[bytes | None, bytes | None, tuple[int, int] | None, bool]:
    """The EXIF and XMP payloads, (width, height) and whether image data follows, from the JPEG header."""
    if data[:2] != b"\xff\xd8":
        raise BadImage("not-a-jpeg", "not a JPEG file (no start-of-image marker)")
    exif = xmp = size = None
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            raise BadImage("corrupt-image", f"corrupt JPEG header: no segment marker at byte {i}")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            i += 2
            continue
        if marker in (0xDA, 0xD9):  # start of scan / end of image: all metadata comes before
            return exif, xmp, size, marker == 0xDA
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if length < 2 or i + 2 + length > n:
            raise BadImage("corrupt-image", f"corrupt JPEG header: segment at byte {i} runs past the end of the file")
        seg = data[i + 4:i + 2 + length]
        if marker == 0xE1:
            if exif is None and seg.startswith(b"Exif\x00\x00"):
                exif = seg
            elif xmp is None and seg.startswith(XMP_HEADER):
                xmp = seg[len(XMP_HEADER):]
        elif marker in SOF_MARKERS and len(seg) >= 5:
            size = (int.from_bytes(seg[3:5], "big"), int.from_bytes(seg[1:3], "big"))
        i += 2 + length
    raise BadImage("corrupt-image", "JPEG ends before any image data (truncated header)")


def _clean(value) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if value is None:
        return None
    text = str(value).replace("\x00", "").strip()
    return text or None


def parse_exif(payload: bytes) -> dict:
    """Make, Model, DateTimeOriginal, sub-seconds, offset and BodySerialNumber from an EXIF APP1 payload."""
    ex = Image.Exif()
    ex.load(payload)
    out = {name: _clean(ex.get(tag)) for tag, name in TAGS_IFD0.items()}
    sub = ex.get_ifd(EXIF_IFD)
    out.update({name: _clean(sub.get(tag)) for tag, name in TAGS_EXIF.items()})
    return out


def parse_xmp(packet: bytes) -> dict:
    """Keywords (dc:subject), hierarchical tags (lr:hierarchicalSubject) and the XMP capture date, if any."""
    out: dict = {}
    for name, rx in _BAG.items():
        m = rx.search(packet)
        out[name] = [html.unescape(v.decode("utf-8", "replace")).strip() for v in _LI.findall(m.group(1))] if m else []
    m = _XMP_DATE.search(packet)
    out["xmpDateTimeOriginal"] = m.group(1).decode("ascii", "replace") if m else None
    return out


def read_image_metadata(path: str) -> dict:
    """Everything bigcats keeps of one photo, read from the file's bytes (errors become 'error_code'/'error')."""
    rec: dict = {"path": path}
    try:
        st = os.stat(path)
        rec.update(size=st.st_size, mtime_ns=st.st_mtime_ns)
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        rec.update(error_code="unreadable-file", error=f"cannot read the file: {exc.strerror}")
        return rec
    rec["sha256"] = hashlib.sha256(data).hexdigest()
    try:
        exif, xmp, size, has_scan = _segments(data)
    except BadImage as exc:
        rec.update(error_code=exc.code, error=str(exc))
        return rec
    rec["width"], rec["height"] = size or (None, None)
    warnings = []
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        warnings.append("truncated-image")
    if exif is not None:
        try:
            rec.update(parse_exif(exif))
        except Exception:  # noqa: BLE001 - Pillow raises assorted errors on broken IFDs; the photo still counts
            warnings.append("bad-exif")
    else:
        warnings.append("no-exif")
    rec.update(parse_xmp(xmp) if xmp is not None else {"hierarchicalSubject": [], "subject": [],
                                                         "xmpDateTimeOriginal": None})
    rec["warnings"] = warnings
    return rec
