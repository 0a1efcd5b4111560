"""Node identities: an Ed25519 key pair per node, and the public keys of trusted peers.

A node's private key never leaves its folder (written with owner-only permissions); its public key is what
partners register with `bigcats exchange trust`.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine, select

from bigcats.core.clock import utcnow
from bigcats.exchange.sync.errors import SyncError
from bigcats.store.models_sync import SyncPeer

PRIVATE_FILE = "node.key"
PUBLIC_FILE = "node.pub"
NODE_FILE = "node.json"
ENV_KEYS = "BIGCATS_NODE_KEYS"


@dataclass(frozen=True)
class NodeIdentity:
    """This node's name and private signing key."""

    node: str
    private_key: Ed25519PrivateKey

    def sign(self, data: bytes) -> str:
        """A base64 Ed25519 signature of the bytes."""
        return base64.b64encode(self.private_key.sign(data)).decode()

    def public_pem(self) -> str:
        """The public key in PEM form, as peers register it."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def default_key_dir(engine: Engine | None = None) -> Path:
    """Where a node's keys live: $BIGCATS_NODE_KEYS, else beside an SQLite database, else ~/.bigcats/node."""
    if os.environ.get(ENV_KEYS):
        return Path(os.environ[ENV_KEYS]).expanduser()
    if engine is not None and engine.url.get_backend_name() == "sqlite" and engine.url.database:
        return Path(engine.url.database).resolve().parent / "bigcats-node"
    return Path.home() / ".bigcats" / "node"


def generate_keys(folder: str | Path, node: str, overwrite: bool = False) -> Path:
    """Create this node's Ed25519 key pair in a folder; returns the public key file to give to partners."""
    if not node or any(c.isspace() for c in node):
        raise SyncError(f"node name {node!r} must be non-empty and without spaces (e.g. the partner code)")
    folder = Path(folder)
    if (folder / PRIVATE_FILE).exists() and not overwrite:
        raise SyncError(f"{folder / PRIVATE_FILE} exists already: a new key would make partners distrust this "
                        "node; pass overwrite to replace it")
    folder.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    path = folder / PRIVATE_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private)
    identity = NodeIdentity(node, key)
    (folder / PUBLIC_FILE).write_text(identity.public_pem(), encoding="ascii")
    (folder / NODE_FILE).write_text(json.dumps({"node": node}), encoding="utf-8")
    return folder / PUBLIC_FILE


def load_identity(folder: str | Path) -> NodeIdentity:
    """This node's identity from its key folder."""
    folder = Path(folder)
    if not (folder / PRIVATE_FILE).exists() or not (folder / NODE_FILE).exists():
        raise SyncError(f"no node keys in {folder}: run `bigcats exchange keygen NODE --keys {folder}` first")
    key = serialization.load_pem_private_key((folder / PRIVATE_FILE).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SyncError(f"{folder / PRIVATE_FILE} is not an Ed25519 private key")
    node = json.loads((folder / NODE_FILE).read_text(encoding="utf-8"))["node"]
    return NodeIdentity(node, key)


def _public_key(pem: str, where: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise SyncError(f"{where} is not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SyncError(f"{where} is not an Ed25519 public key")
    return key


def trust_peer(engine: Engine, node: str, key_file: str | Path, partner: str | None = None,
               url: str | None = None) -> dict:
    """Register (or replace) a peer node's public key and the partner whose sharing agreements apply to it."""
    pem = Path(key_file).read_text(encoding="ascii")
    _public_key(pem, str(key_file))
    row = {"node": node, "partner": partner or node, "public_key": pem, "url": url,
           "added_at": utcnow()}
    with engine.begin() as conn:
        existing = conn.execute(select(SyncPeer.id).where(SyncPeer.node == node)).scalar_one_or_none()
        if existing is None:
            conn.execute(SyncPeer.__table__.insert().values(**row))
        else:
            conn.execute(SyncPeer.__table__.update().where(SyncPeer.id == existing).values(**row))
    return {k: v for k, v in row.items() if k != "public_key"}


def peer_record(engine: Engine, node: str) -> dict:
    """A trusted peer's record; refuses an unknown node with what to do about it."""
    with engine.connect() as conn:
        row = conn.execute(select(SyncPeer.node, SyncPeer.partner, SyncPeer.public_key, SyncPeer.url)
                           .where(SyncPeer.node == node)).mappings().first()
    if row is None:
        raise SyncError(f"unknown node '{node}': it is not a trusted peer here; register its public key with "
                        f"`bigcats exchange trust {node} KEYFILE`")
    return dict(row)


def verify(engine: Engine, node: str, data: bytes, signature: str, what: str) -> None:
    """Check that a trusted peer signed these bytes; refuses unknown signers and altered data."""
    key = _public_key(peer_record(engine, node)["public_key"], f"the registered key of '{node}'")
    try:
        key.verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError) as exc:
        raise SyncError(f"{what}: the signature does not match the key registered for '{node}' - the data was "
                        "altered or signed by someone else") from exc
