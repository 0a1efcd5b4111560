"""Photos for the pages: which stored files may be served, and bounded thumbnails made once and cached.

Only files under the configured media root are ever opened (`media_file_for`): a path in the database is data
a partner brought, and must not turn the server into a reader of its own disk. Every image leaves the server
re-encoded as JPEG from its pixels alone, so no EXIF (GPS position, camera serial) travels with it.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

from bigcats.web import media_store
from bigcats.web.errors import WebError

SIZES = {"thumb": 320, "medium": 800, "large": 1600}  # the only sizes made: bounded disk and CPU per photo
MEDIA_ROOT_ENV = "BIGCATS_MEDIA_ROOT"
THUMBS_ENV = "BIGCATS_THUMB_DIR"


def default_media_root(db_url: str | None) -> Path | None:
    """$BIGCATS_MEDIA_ROOT, else the folder of an SQLite database file (where the demo keeps its photos), else none."""
    env = os.environ.get(MEDIA_ROOT_ENV)
    if env:
        return Path(env).resolve()
    if db_url is None:
        return None
    from sqlalchemy.engine import make_url

    try:
        url = make_url(db_url if "://" in db_url else f"sqlite:///{db_url}")
    except Exception:  # noqa: BLE001 - an unparsable URL simply has no media root
        return None
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent
    return None


def default_thumb_dir(media_root: Path | None) -> Path:
    """$BIGCATS_THUMB_DIR, else a per-media-root folder in the user's cache."""
    env = os.environ.get(THUMBS_ENV)
    if env:
        return Path(env)
    key = hashlib.sha1(str(media_root).encode()).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        base = Path(tempfile.gettempdir())
    return base / "bigcats" / "thumbs" / key


def media_file_for(file_path: str | None, media_root: Path | None) -> Path | None:
    """The stored file of a media row (or reference photo) if the media store may serve it, else None: the one
    rule of `web.media_store.media_file_for` (inside the store, links resolved, images and videos only)."""
    return media_store.media_file_for(media_root, None, file_path)


def thumbnail(path: Path, size: str, cache_dir: Path) -> bytes:
    """A JPEG of the photo at most SIZES[size] pixels on its long side, without metadata; made once, then cached.

    The cache key holds the file's path, size and modification time, so a replaced photo gets a new thumbnail.
    """
    if size not in SIZES:
        raise WebError(f"size: must be one of {', '.join(SIZES)}, not {size!r}")
    st = path.stat()
    key = hashlib.sha256(f"{path}|{st.st_size}|{st.st_mtime_ns}|{SIZES[size]}".encode()).hexdigest()
    cached = cache_dir / key[:2] / f"{key}.jpg"
    if cached.is_file():
        return cached.read_bytes()
    data = reencode(path, SIZES[size])
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, cached)  # atomic: a concurrent reader never sees half a file
    except OSError:
        pass  # a read-only cache still serves, it only re-encodes each time
    return data


def reencode(path: Path, longest: int | None = None) -> bytes:
    """The photo's pixels as JPEG (upright, RGB, optionally shrunk), with no EXIF, XMP or comment."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = 200_000_000  # a decompression bomb is refused, a 100 MP camera frame is not
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            if longest:
                img.thumbnail((longest, longest), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            img.convert("RGB").save(buffer, "JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise WebError(f"{path.name}: not a photo that can be shown ({type(exc).__name__})", status=415) from None
    return buffer.getvalue()
