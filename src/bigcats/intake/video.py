"""Camera-trap videos (MP4, MOV, AVI) as media: capture time from the container, duration, SHA-256 and a
representative frame as a JPEG thumbnail, read with PyAV (FFmpeg's libraries, in its wheels).

Capture time, as the camera's local clock (localised later with the deployment's offset, like a photo's
DateTimeOriginal):
- a container that says its offset (`com.samsung.android.utc_offset`, `com.apple.quicktime.creationdate` with an
  offset) has a true UTC `creation_time` (as QuickTime specifies): local = UTC + that offset. camtrapR's sample
  video (a phone's) is such a file: 02:03:13Z with +0800, named 20251112_100312;
- without an offset, trail cameras write their own clock into `creation_time` (they know no time zone), so it is
  taken as local time; but when the file name carries a time that differs from it by whole hours, the name wins
  (the camera named the file by its clock and wrote UTC into the container) and the report says so;
- no `creation_time` at all: the date and time in the file name (`20251112_100312.mp4`, `2025-11-12 10-03-12.AVI`).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path

VIDEO_SUFFIXES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".avi": "video/x-msvideo"}
NAME_TIME = re.compile(r"(?<!\d)(\d{4})[-_.]?(\d{2})[-_.]?(\d{2})[ T_-]+(\d{2})[-_.:]?(\d{2})[-_.:]?(\d{2})(?!\d)")
THUMB_WIDTH = 320


def thumbnail_dir() -> Path:
    """Where thumbnails go: $BIGCATS_THUMBNAILS, else the user's cache (content-addressed: <sha256>.jpg)."""
    return Path(os.environ.get("BIGCATS_THUMBNAILS") or Path.home() / ".cache" / "bigcats" / "thumbnails")


def _camera_time(text: str | None) -> str | None:
    """'2025-11-12T10:03:12.000000Z' -> '2025:11:12 10:03:12' (EXIF style, the camera's clock)."""
    if not text:
        return None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})", text.strip())
    if not m or m.group(1) in ("1904", "1970") and m.group(2, 3) == ("01", "01"):
        return None  # QuickTime's and Unix's zero dates mean "not set"
    return "{}:{}:{} {}:{}:{}".format(*m.groups())


def read_video_metadata(path: str) -> dict:
    """A video's record in the shape of `jpeg.read_image_metadata` (DateTimeOriginal, sha256, ...) plus
    mediatype, duration_s, width, height, frames and thumbnail; errors become error_code/error."""
    import av

    rec: dict = {"path": path, "mediatype": VIDEO_SUFFIXES.get(Path(path).suffix.lower(), "video/mp4"),
                 "hierarchicalSubject": [], "subject": [], "xmpDateTimeOriginal": None, "warnings": []}
    try:
        st = os.stat(path)
        rec.update(size=st.st_size, mtime_ns=st.st_mtime_ns)
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        rec["sha256"] = h.hexdigest()
    except OSError as exc:
        rec.update(error_code="unreadable-file", error=f"cannot read the file: {exc.strerror}")
        return rec
    try:
        with av.open(path) as container:
            if not container.streams.video:
                rec.update(error_code="no-video-stream", error="the file holds no video stream")
                return rec
            stream = container.streams.video[0]
            tags = {**{k.lower(): v for k, v in (stream.metadata or {}).items()},
                    **{k.lower(): v for k, v in (container.metadata or {}).items()}}
            rec["DateTimeOriginal"], rec["OffsetTimeOriginal"] = _local_time(tags, Path(path).name, rec["warnings"])
            rec["Make"] = tags.get("make") or tags.get("com.apple.quicktime.make")
            rec["Model"] = tags.get("model") or tags.get("com.apple.quicktime.model")
            duration = (container.duration / av.time_base) if container.duration else (
                float(stream.duration * stream.time_base) if stream.duration else None)
            rec["duration_s"] = round(duration, 3) if duration else None
            rec["width"], rec["height"] = stream.codec_context.width, stream.codec_context.height
            rec["frames"] = int(stream.frames) if stream.frames else None
            rec["thumbnail"] = _thumbnail(container, stream, duration, rec["sha256"])
    except (av.error.FFmpegError, OSError, ValueError) as exc:  # broken or truncated containers
        rec.update(error_code="bad-video", error=f"cannot read the video: {exc}")
        return rec
    return rec


def _offset(tags: dict) -> str | None:
    """The UTC offset a container states ('+08:00'), if any."""
    raw = tags.get("com.samsung.android.utc_offset")
    if not raw:
        m = re.search(r"([+-]\d{2}):?(\d{2})$", tags.get("com.apple.quicktime.creationdate", "") or "")
        raw = m.group(0) if m else None
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", (raw or "").strip())
    return f"{m.group(1)}{m.group(2)}:{m.group(3)}" if m else None


def _local_time(tags: dict, name: str, warnings: list) -> tuple[str | None, str | None]:
    """(EXIF-style local clock time, stated offset) by the rules of the module's docstring."""
    from datetime import datetime, timedelta

    camera = _camera_time(tags.get("creation_time"))
    m = NAME_TIME.search(name)
    named = "{}:{}:{} {}:{}:{}".format(*m.groups()) if m else None
    if camera is None:
        warnings.append("no-creation-time")
        return named, None
    offset = _offset(tags)
    t = datetime.strptime(camera, "%Y:%m:%d %H:%M:%S")
    if offset:
        sign = -1 if offset[0] == "-" else 1
        t += sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
        return t.strftime("%Y:%m:%d %H:%M:%S"), offset
    if named:
        diff = (datetime.strptime(named, "%Y:%m:%d %H:%M:%S") - t).total_seconds()
        hours = round(diff / 3600)
        if hours and abs(hours) <= 14 and abs(diff - hours * 3600) < 120:
            warnings.append("creation-time-is-utc")
            return named, None
    return camera, None


def _thumbnail(container, stream, duration: float | None, sha256: str) -> str | None:
    """The frame at the middle of the video (the animal is rarely in the first, dark, frame) as a JPEG file."""
    out = thumbnail_dir() / f"{sha256}.jpg"
    if out.exists():
        return str(out)
    frame = None
    if duration and duration > 0.2 and stream.time_base:
        try:
            container.seek(int(duration / 2 / stream.time_base), stream=stream, backward=True)
        except Exception:  # noqa: BLE001 - some AVIs cannot seek; fall back to the first frame
            container.seek(0)
    for frame in container.decode(stream):
        break
    if frame is None:
        return None
    img = frame.to_image()
    img.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 3))
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(out)
    return str(out)


def read_media_metadata(path: str) -> dict:
    """Photo or video, by the file's suffix."""
    if Path(path).suffix.lower() in VIDEO_SUFFIXES:
        return read_video_metadata(path)
    from bigcats.intake.jpeg import read_image_metadata

    return read_image_metadata(path)


def is_video(path: str | Path) -> bool:
    """Whether a media file is a video (by its suffix)."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def video_frame(path: str | Path, index: int | None = None):
    """One frame of a video as a PIL image: frame `index` (0-based, clipped to the last), or the middle one.

    Lets a reviewer step through a clip frame by frame (the coat pattern is often clear in one frame only).
    Returns (image, index, number of frames).
    """
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate or stream.guessed_rate or 25)
        duration = (container.duration / av.time_base) if container.duration else None
        total = int(stream.frames) or (int(round(duration * rate)) if duration else 0)
        if index is None:
            index = total // 2
        index = max(0, min(int(index), max(total - 1, 0)))
        target = index / rate
        if index > 0 and stream.time_base:
            container.seek(int(target / stream.time_base) + (stream.start_time or 0), stream=stream, backward=True)
        start = float((stream.start_time or 0) * stream.time_base) if stream.time_base else 0.0
        chosen = None
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is not None and frame.time - start >= target - 0.5 / rate:
                break
        if chosen is None:
            raise ValueError(f"{path}: no decodable frame")
        return chosen.to_image(), index, total
