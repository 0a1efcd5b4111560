"""Write synthetic camera-trap JPEGs carrying EXIF and XMP tags, with known truth, for tests and benchmarks."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image

XMP_TEMPLATE = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:lr="http://ns.adobe.com/lightroom/1.0/">
<dc:subject><rdf:Bag>{subject}</rdf:Bag></dc:subject>
<lr:hierarchicalSubject><rdf:Bag>{hier}</rdf:Bag></lr:hierarchicalSubject>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""


def xmp_packet(tags: list[str]) -> bytes:
    """An XMP packet with dc:subject and lr:hierarchicalSubject bags for tags like 'Species|Amur tiger'."""
    def esc(t):
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    subject = "".join(f"<rdf:li>{esc(t.split('|')[-1])}</rdf:li>" for t in tags)
    hier = "".join(f"<rdf:li>{esc(t)}</rdf:li>" for t in tags)
    return XMP_TEMPLATE.format(subject=subject, hier=hier).encode("utf-8")


def jpeg_bytes(when: datetime | None, tags: list[str] = (), make: str = "Reconyx", model: str = "HF2X",
               serial: str | None = None, size: tuple[int, int] = (64, 48), seed: int = 0, quality: int = 75) -> bytes:
    """A JPEG with EXIF DateTimeOriginal/Make/Model/BodySerialNumber (when given) and XMP tags (when given)."""
    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    kwargs = {"quality": quality}
    if when is not None:
        exif = Image.Exif()
        exif[271], exif[272] = make, model
        sub = exif.get_ifd(0x8769)
        sub[36867] = when.strftime("%Y:%m:%d %H:%M:%S")
        if serial:
            sub[42033] = serial
        kwargs["exif"] = exif.tobytes()
    if tags:
        kwargs["xmp"] = xmp_packet(list(tags))
    buf = io.BytesIO()
    img.save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def write_jpeg(path: str | Path, when: datetime | None, tags: list[str] = (), **kwargs) -> Path:
    """Write jpeg_bytes(...) to path (folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jpeg_bytes(when, tags, **kwargs))
    return path
