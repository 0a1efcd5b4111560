"""Push to and pull from another node's server over HTTP(S), with signed requests."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine

from bigcats.exchange.sync import state
from bigcats.exchange.sync.auth import sign_request
from bigcats.exchange.sync.bundle import MANIFEST, pack, unpack
from bigcats.exchange.sync.errors import SyncError
from bigcats.exchange.sync.export import export_changes
from bigcats.exchange.sync.keys import NodeIdentity, default_key_dir, load_identity
from bigcats.exchange.sync.receive import receive

API = "/sync/v1"


def _call(url: str, identity: NodeIdentity, method: str, endpoint: str, body: bytes = b"",
          timeout: float = 600.0) -> httpx.Response:
    full = url.rstrip("/") + API + endpoint
    parts = urlsplit(full)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = sign_request(identity, method, path, body)
    if body:
        headers["Content-Type"] = "application/zip"
    try:
        resp = httpx.request(method, full, content=body or None, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise SyncError(f"{method} {full} failed: {exc.__class__.__name__}: {exc}; nothing was recorded as "
                        "exchanged, so running it again resumes") from exc
    if resp.status_code >= 400:
        try:
            detail = resp.json().get("detail", resp.text)
        except ValueError:
            detail = resp.text
        raise SyncError(f"{method} {full}: the server answered {resp.status_code}: {detail}")
    return resp


def remote_status(url: str, identity: NodeIdentity) -> dict:
    """What the other server knows of this node: its name, our last applied change, its own sequence."""
    return _call(url, identity, "GET", "/status").json()


def push(url: str, engine: Engine, peer: str, identity: NodeIdentity | None = None,
         key_dir: str | Path | None = None, timeout: float = 600.0) -> dict:
    """Send the peer everything it has not applied yet (it says where it stands, so interrupted pushes resume)."""
    identity = identity or load_identity(key_dir or default_key_dir(engine))
    remote = remote_status(url, identity)
    if remote.get("node") != peer:
        raise SyncError(f"the server at {url} is node '{remote.get('node')}', not '{peer}'")
    since = int(remote["applied_from_you"])
    work = Path(tempfile.mkdtemp(prefix="bigcats-push-"))
    try:
        folder = export_changes(engine, peer, since=since, out=work / "package", identity=identity)
        digest = hashlib.sha256((folder / MANIFEST).read_bytes()).hexdigest()
        body = pack(folder)
        state.mark(engine, peer, "out", digest, "sent")
        try:
            answer = _call(url, identity, "POST", "/packages", body, timeout).json()
        except SyncError as exc:
            state.mark(engine, peer, "out", digest, "failed", error=str(exc))
            raise
        state.mark(engine, peer, "out", digest, "acknowledged", counts=answer.get("added"))
        return {"peer": peer, "url": url, "from_seq": since, "to_seq": answer.get("to_seq"),
                "bytes_sent": len(body), "result": answer}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def pull(url: str, engine: Engine, peer: str, identity: NodeIdentity | None = None,
         key_dir: str | Path | None = None, timeout: float = 600.0) -> dict:
    """Fetch and apply what the peer changed since the last change applied here from it."""
    identity = identity or load_identity(key_dir or default_key_dir(engine))
    since = state.applied(engine, peer)
    body = _call(url, identity, "GET", f"/changes?since={since}", timeout=timeout).content
    work = Path(tempfile.mkdtemp(prefix="bigcats-pull-"))
    try:
        folder = unpack(body, work / "package")
        result = receive(engine, folder, peer=peer, node=identity.node)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"peer": peer, "url": url, "from_seq": since, "to_seq": result["to_seq"], "bytes_received": len(body),
            "result": result}
