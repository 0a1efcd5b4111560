"""Signed requests between nodes: node name, timestamp, nonce and an Ed25519 signature over the request itself.

The signature covers method, path with query, timestamp, a random nonce and the body's SHA-256, so a request
cannot be altered or sent to another endpoint; it is refused after the allowed clock skew, and within it each
nonce is accepted once (nonces are remembered for the window, so a captured request cannot be replayed).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta, timezone
from collections.abc import Mapping

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError

from bigcats.exchange.sync.errors import SyncError
from bigcats.exchange.sync.keys import NodeIdentity, verify
from bigcats.store.models_sync import SyncNonce

NODE_HEADER = "X-Bigcats-Node"
TIME_HEADER = "X-Bigcats-Timestamp"
SIGNATURE_HEADER = "X-Bigcats-Signature"
NONCE_HEADER = "X-Bigcats-Nonce"
MAX_SKEW_S = 300


def _message(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join((method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest())).encode()


def sign_request(identity: NodeIdentity, method: str, path: str, body: bytes = b"",
                 now: float | None = None) -> dict[str, str]:
    """The headers that authenticate one request from this node."""
    ts = str(int(now if now is not None else time.time()))
    nonce = secrets.token_hex(16)
    return {NODE_HEADER: identity.node, TIME_HEADER: ts, NONCE_HEADER: nonce,
            SIGNATURE_HEADER: identity.sign(_message(method, path, ts, nonce, body))}


def verify_request(engine: Engine, headers: Mapping[str, str], method: str, path: str, body: bytes,
                   now: float | None = None, max_skew_s: int = MAX_SKEW_S) -> str:
    """The trusted peer that signed a request; refuses missing, stale, unknown or wrong signatures."""
    node, ts, sig = headers.get(NODE_HEADER), headers.get(TIME_HEADER), headers.get(SIGNATURE_HEADER)
    nonce = headers.get(NONCE_HEADER)
    if not node or not ts or not sig or not nonce:
        raise SyncError(f"unsigned request: the headers {NODE_HEADER}, {TIME_HEADER}, {NONCE_HEADER} and "
                        f"{SIGNATURE_HEADER} are required")
    if len(nonce) > 64 or not nonce.isalnum():
        raise SyncError(f"{NONCE_HEADER} must be at most 64 letters and digits")
    try:
        stamp = int(ts)
    except ValueError as exc:
        raise SyncError(f"{TIME_HEADER} {ts[:32]!r} is not a Unix time in seconds") from exc
    clock = now if now is not None else time.time()
    skew = abs(clock - stamp)
    if skew > max_skew_s:
        raise SyncError(f"stale request from '{node}': its timestamp is {int(skew)} s away from this server's "
                        f"clock (at most {max_skew_s} s allowed); check both clocks")
    verify(engine, node, _message(method, path, ts, nonce, body), sig, f"request {method} {path}")
    _remember_nonce(engine, node, nonce, clock, max_skew_s)
    return node


def _remember_nonce(engine: Engine, node: str, nonce: str, clock: float, window_s: int) -> None:
    """Accept a nonce once within the window (a unique key makes concurrent replays fail too)."""
    seen = datetime.fromtimestamp(clock, timezone.utc).replace(tzinfo=None)
    try:
        with engine.begin() as conn:
            # Forget nonces older than twice the window: their requests are refused as stale anyway.
            conn.execute(delete(SyncNonce).where(SyncNonce.seen_at < seen - timedelta(seconds=2 * window_s)))
            conn.execute(SyncNonce.__table__.insert().values(node=node, nonce=nonce, seen_at=seen))
    except IntegrityError as exc:
        raise SyncError(f"replayed request from '{node}': this nonce was used already; each signed request "
                        "is accepted once") from exc
