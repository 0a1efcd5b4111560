"""Signed requests between nodes: node name, timestamp and an Ed25519 signature over the request itself.

The signature covers method, path with query, timestamp and the body's SHA-256, so a request cannot be
altered, sent to another endpoint, or replayed after the allowed clock skew.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

from sqlalchemy import Engine

from bigcats.exchange.sync.errors import SyncError
from bigcats.exchange.sync.keys import NodeIdentity, verify

NODE_HEADER = "X-Bigcats-Node"
TIME_HEADER = "X-Bigcats-Timestamp"
SIGNATURE_HEADER = "X-Bigcats-Signature"
MAX_SKEW_S = 300


def _message(method: str, path: str, timestamp: str, body: bytes) -> bytes:
    return "\n".join((method.upper(), path, timestamp, hashlib.sha256(body).hexdigest())).encode()


def sign_request(identity: NodeIdentity, method: str, path: str, body: bytes = b"",
                 now: float | None = None) -> dict[str, str]:
    """The headers that authenticate one request from this node."""
    ts = str(int(now if now is not None else time.time()))
    return {NODE_HEADER: identity.node, TIME_HEADER: ts,
            SIGNATURE_HEADER: identity.sign(_message(method, path, ts, body))}


def verify_request(engine: Engine, headers: Mapping[str, str], method: str, path: str, body: bytes,
                   now: float | None = None, max_skew_s: int = MAX_SKEW_S) -> str:
    """The trusted peer that signed a request; refuses missing, stale, unknown or wrong signatures."""
    node, ts, sig = headers.get(NODE_HEADER), headers.get(TIME_HEADER), headers.get(SIGNATURE_HEADER)
    if not node or not ts or not sig:
        raise SyncError(f"unsigned request: the headers {NODE_HEADER}, {TIME_HEADER} and {SIGNATURE_HEADER} "
                        "are required")
    try:
        stamp = int(ts)
    except ValueError as exc:
        raise SyncError(f"{TIME_HEADER} {ts!r} is not a Unix time in seconds") from exc
    skew = abs((now if now is not None else time.time()) - stamp)
    if skew > max_skew_s:
        raise SyncError(f"stale request from '{node}': its timestamp is {int(skew)} s away from this server's "
                        f"clock (at most {max_skew_s} s allowed); check both clocks")
    verify(engine, node, _message(method, path, ts, body), sig, f"request {method} {path}")
    return node
