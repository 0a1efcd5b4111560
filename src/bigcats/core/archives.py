"""Zip archives from outside (uploads, exchange packages) checked before anything is read, then unpacked safely.

One rule for every door: an archive is refused if any member's path would leave the folder it is unpacked into
(`../`, absolute paths, drive letters, links), if it holds too many files, if its members would unpack to more than
the size limit, or if they are compressed like a zip bomb (per member and over the whole archive: many small
members each under a per-member threshold must not add up to a bomb). Sizes are counted again as the bytes come
out, because a zip's headers can lie about them. The caller's error class is raised, so a web upload answers 413
and an exchange says it refused the peer's package, from the same checks.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bigcats.errors import BigcatsError


@dataclass(frozen=True)
class ArchiveLimits:
    """What an archive may hold: files, unpacked bytes, compression ratio (ignored below `ratio_floor` bytes)."""

    max_unpacked: int = 4 * 1024**3
    max_members: int = 200_000
    max_ratio: float = 200  # text CSV compresses ~10-20x; a 1 GB file of zeros compresses ~1000x
    ratio_floor: int = 64 * 1024  # below this, a member's ratio says nothing (a small CSV of repeated values)


def check_members(archive: zipfile.ZipFile, name: str, limits: ArchiveLimits,
                  error: type[BigcatsError] = BigcatsError) -> list[zipfile.ZipInfo]:
    """The members of an open archive if it is safe to unpack, else `error` naming the archive and the member."""
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise error(f"{name}: {len(members)} files in the archive, more than the {limits.max_members} allowed",
                    status=413)
    total = packed = 0
    for info in members:
        member = info.filename
        parts = PurePosixPath(member.replace("\\", "/")).parts
        if member.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise error(f"{name}: member {member[:200]!r} would be written outside the folder")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise error(f"{name}: member {member[:200]!r} is a symbolic link, which archives may not hold here")
        total += info.file_size
        if total > limits.max_unpacked:
            raise error(f"{name}: unpacks to more than {limits.max_unpacked} bytes (stopped at {member[:200]!r})",
                        status=413)
        packed += info.compress_size
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise error(f"{name}: member {member[:200]!r} is compressed "
                        f"{info.file_size // max(info.compress_size, 1)}x, a zip bomb's ratio "
                        f"(limit {limits.max_ratio:g}x)", status=413)
        if total > limits.ratio_floor and total > limits.max_ratio * max(packed, 1):
            raise error(f"{name}: the archive's members are compressed {total // max(packed, 1)}x together "
                        f"(by {member[:200]!r}), a zip bomb's ratio (limit {limits.max_ratio:g}x)", status=413)
    return members


def extract_members(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], dest: str | Path, name: str,
                    limits: ArchiveLimits, packed_bytes: int,
                    error: type[BigcatsError] = BigcatsError) -> Path:
    """Unpack checked members into dest, counting the bytes as they come out against the size and ratio limits."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    dest = dest.resolve()
    written = 0
    for info in members:
        target = (dest / info.filename).resolve()
        if not target.is_relative_to(dest) or target == dest and not info.is_dir():
            raise error(f"{name}: member {info.filename[:200]!r} would be written outside the folder")
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with archive.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > limits.max_unpacked or (written > limits.ratio_floor
                                                         and written > limits.max_ratio * max(packed_bytes, 1)):
                        raise error(f"{name}: unpacks to more than its headers say, {limits.max_unpacked} bytes "
                                    f"or a zip bomb's ratio: refused", status=413)
                    out.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            # A damaged member (its checksum or sizes disagree with its bytes) or a compression zipfile cannot read.
            raise error(f"{name}: member {info.filename[:200]!r} cannot be read ({exc}): damaged or cut off") from None
    return dest


def open_archive(source: str | Path | zipfile.ZipFile, name: str,
                 error: type[BigcatsError] = BigcatsError) -> zipfile.ZipFile:
    """A zip archive opened for reading, or `error` saying it is not one (or was cut off in transfer)."""
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise error(f"{name}: not a zip archive, or cut off in transfer ({exc})") from exc


def safe_unpack(source: str | Path, dest: str | Path, limits: ArchiveLimits = ArchiveLimits(), *,
                name: str | None = None, error: type[BigcatsError] = BigcatsError) -> Path:
    """Check an archive (a path or a file-like object) and unpack it into dest; `error` on anything unsafe."""
    label = name or (Path(source).name if isinstance(source, (str, Path)) else "archive")
    packed = Path(source).stat().st_size if isinstance(source, (str, Path)) else _size_of(source)
    with open_archive(source, label, error) as archive:
        members = check_members(archive, label, limits, error)
        return extract_members(archive, members, dest, label, limits, packed, error)


def _size_of(stream) -> int:
    here = stream.tell()
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(here)
    return size
