"""Which file may be served for a media row: only the server's own media store, never a path a package names.

A package's `filePath` is whatever its author wrote: `/etc/ssl/private/key.pem`, another partner's photo folder,
`../../`. The server therefore serves a photo only from its media store, a folder the administrator configures
(`BIGCATS_MEDIA_ROOT`, or `create_app(media_root=...)`) holding one sub-folder per partner code; a media row's
file is served only if its path, with every link followed, lies inside its own partner's sub-folder and is an
image file. Remote `filePath` URLs are links for the browser (when the owner made the file public), never files
the server opens. Pages, the API and thumbnails all ask `media_file_for`.
"""

from __future__ import annotations

from pathlib import Path

ENV_ROOT = "BIGCATS_MEDIA_ROOT"
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp",
                            ".mp4", ".mov", ".avi"})  # videos are served one frame at a time
MAX_FILE_BYTES = 200 * 1024 * 1024


def is_link(file_path: str | None) -> bool:
    """Whether a filePath is a URL (shown as a link) rather than a file on some disk."""
    return bool(file_path) and "://" in str(file_path)


def media_file_for(root: str | Path | None, partner: str | None, file_path: str | None) -> Path | None:
    """The file to serve for a media row of `partner`, or None when there is none the server may open.

    None covers alike: no media store configured, a URL, a path outside the partner's folder of the store
    (absolute, `..`, or a link leading out), a missing file, a folder, a file that is not an image or video, or
    too big.
    Callers answer every None the same way, so nobody learns whether a file exists.
    """
    if root is None or not file_path or is_link(file_path) or "\x00" in str(file_path):
        return None
    if partner is not None and (not partner or "/" in partner or "\\" in partner or partner in (".", "..")):
        return None
    try:
        # With a partner, only that partner's sub-folder; without one (thumbnails of rows already checked for
        # visibility), anywhere inside the store.
        base = (Path(root) / partner if partner is not None else Path(root)).resolve(strict=True)
        given = Path(file_path)
        target = (given if given.is_absolute() else base / given).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if base not in target.parents or target.suffix.lower() not in IMAGE_SUFFIXES:
        return None
    try:
        if not target.is_file() or target.stat().st_size > MAX_FILE_BYTES:
            return None
    except OSError:
        return None
    return target


def media_link(file_path: str | None, public: bool | None) -> str | None:
    """The URL to show for a media row whose file lives elsewhere, if its owner made it public."""
    return str(file_path) if is_link(file_path) and public else None
