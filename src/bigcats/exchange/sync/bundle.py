"""A signed exchange package: Camtrap DP packages per project plus a manifest of SHA-256s, signed Ed25519.

The manifest names the sender, the receiver, the change-sequence range and the hash of every file; the
signature covers the manifest's exact bytes, so a changed, added or removed file or a forged sender is found.
"""

from __future__ import annotations

import hashlib
import io
import json
import stat
import zipfile
from pathlib import Path

from sqlalchemy import Engine

from bigcats.core.clock import utcnow_z
from bigcats.exchange.camtrapdp.package import contained
from bigcats.exchange.sync.errors import SyncError
from bigcats.problems import DataError
from bigcats.exchange.sync.keys import NodeIdentity, verify

FORMAT = "bigcats-sync/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
MAX_ZIP_BYTES = 4 * 1024**3  # refuse zip bombs: far above a season of a park
MAX_MEMBERS = 10_000  # a package holds a few files per project
MAX_RATIO = 200  # CSV compresses ~10-20x
RATIO_FLOOR = 1 << 20


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

    Sizes are counted as the bytes come out (a zip's headers can lie about them), and the whole archive's
    compression ratio is bounded as well as each member's.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise SyncError(f"the package is not a zip file (or was cut off in transfer): {exc}") from exc
    with zf:
        root = folder.resolve()
        members = zf.infolist()
        if len(members) > MAX_MEMBERS:
            raise SyncError(f"the package holds {len(members)} files, more than {MAX_MEMBERS}: refused")
        declared = sum(i.file_size for i in members)
        if declared > MAX_ZIP_BYTES or (declared > RATIO_FLOOR and declared > MAX_RATIO * max(len(data), 1)):
            raise SyncError("the package unpacks to more than 4 GiB or is compressed like a zip bomb: refused")
        written = 0
        for info in members:
            target = (folder / info.filename).resolve()
            if root not in target.parents or stat.S_ISLNK(info.external_attr >> 16):
                raise SyncError(f"the package holds a path outside its folder or a link: {info.filename[:200]!r}")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                for block in iter(lambda: src.read(1 << 20), b""):
                    written += len(block)
                    if written > MAX_ZIP_BYTES or (written > RATIO_FLOOR and written > MAX_RATIO * len(data)):
                        raise SyncError("the package unpacks to more than its headers say, 4 GiB or a zip "
                                        "bomb's ratio: refused")
                    dst.write(block)
    return folder
