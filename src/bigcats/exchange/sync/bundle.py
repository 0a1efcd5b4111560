"""A signed exchange package: Camtrap DP packages per project plus a manifest of SHA-256s, signed Ed25519.

The manifest names the sender, the receiver, the change-sequence range and the hash of every file; the
signature covers the manifest's exact bytes, so a changed, added or removed file or a forged sender is found.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from sqlalchemy import Engine

from bigcats.core.archives import ArchiveLimits, safe_unpack
from bigcats.core.clock import utcnow_z
from bigcats.exchange.camtrapdp.package import contained
from bigcats.exchange.sync.errors import SyncError
from bigcats.problems import DataError
from bigcats.exchange.sync.keys import NodeIdentity, verify

FORMAT = "bigcats-sync/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
# A package holds a few files per project; 4 GiB is far above a season of a park; CSV compresses ~10-20x.
PACKAGE_LIMITS = ArchiveLimits(max_unpacked=4 * 1024**3, max_members=10_000, max_ratio=200, ratio_floor=1 << 20)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sign_bundle(folder: Path, identity: NodeIdentity, peer: str, from_seq: int, to_seq: int,
                projects: list[dict]) -> str:
    """Write the manifest and its signature for the files in a folder; returns the manifest's SHA-256."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in (MANIFEST, SIGNATURE))
    manifest = {
        "format": FORMAT, "sender": identity.node, "receiver": peer, "from_seq": int(from_seq),
        "to_seq": int(to_seq), "created": utcnow_z(),
        "projects": projects,
        "files": {p.relative_to(folder).as_posix(): file_sha256(p) for p in files},
    }
    data = json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False).encode()
    (folder / MANIFEST).write_bytes(data)
    (folder / SIGNATURE).write_text(identity.sign(data), encoding="ascii")
    return hashlib.sha256(data).hexdigest()


def verify_bundle(engine: Engine, folder: str | Path, sender: str | None = None) -> tuple[dict, str]:
    """Check the signature and every file hash of a package; returns its manifest and the manifest's SHA-256."""
    folder = Path(folder)
    if not (folder / MANIFEST).exists() or not (folder / SIGNATURE).exists():
        raise SyncError(f"{folder} is not a signed exchange package: {MANIFEST} or {SIGNATURE} is missing")
    data = (folder / MANIFEST).read_bytes()
    try:
        manifest = json.loads(data)
        claimed = manifest["sender"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SyncError(f"{folder / MANIFEST} is not a valid manifest: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise SyncError(f"{folder / MANIFEST}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    if sender is not None and claimed != sender:
        raise SyncError(f"{folder}: the package says it comes from '{claimed}', expected '{sender}'")
    verify(engine, claimed, data, (folder / SIGNATURE).read_text(encoding="ascii").strip(), f"package {folder}")
    listed = manifest.get("files", {})
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*")
               if p.is_file() and p.name not in (MANIFEST, SIGNATURE)}
    if present - set(listed):
        raise SyncError(f"package {folder}: file(s) not in the signed manifest: {', '.join(sorted(present - set(listed)))}")
    for name, digest in listed.items():
        try:
            contained(str(name))
        except DataError as exc:
            raise SyncError(f"package {folder}: the manifest names a file outside the package: "
                            f"{str(name)[:200]!r}") from exc
        path = folder / name
        if not path.is_file():
            raise SyncError(f"package {folder}: {name} is listed in the manifest but missing")
        if file_sha256(path) != digest:
            raise SyncError(f"package {folder}: {name} was altered (its SHA-256 differs from the signed manifest)")
    return manifest, hashlib.sha256(data).hexdigest()


def pack(folder: str | Path) -> bytes:
    """The package folder as zip bytes (deflated: CSV shrinks several-fold on the wire)."""
    folder = Path(folder)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(folder).as_posix())
    return buf.getvalue()


def unpack(data: bytes, folder: str | Path) -> Path:
    """Unzip package bytes into a folder, refusing paths that leave it, links, oversized or bomb-like contents.

    The checks are the one archive rule of `bigcats.core.archives`, with an exchange package's limits.
    """
    return safe_unpack(io.BytesIO(data), folder, PACKAGE_LIMITS, name="the package", error=SyncError)
