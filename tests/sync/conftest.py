"""Two nodes for the exchange tests: each with its own SQLite database, keys, and (on demand) a live server."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from bigcats.exchange.sync import generate_keys, load_identity, trust_peer
from bigcats.exchange.sync.api import router
from bigcats.store.db import open_store


@dataclass
class Node:
    name: str
    partner: str
    engine: Engine
    keys: Path
    url: str | None = None

    @property
    def identity(self):
        return load_identity(self.keys)


def make_node(tmp: Path, name: str, partner: str, url: str | None = None) -> Node:
    (tmp / name).mkdir()
    engine = open_store(url or f"sqlite:///{tmp / name / 'bigcats.db'}")
    generate_keys(tmp / name / "keys", name)
    return Node(name, partner, engine, tmp / name / "keys")


def introduce(a: Node, b: Node) -> None:
    """Each node trusts the other's public key."""
    trust_peer(a.engine, b.name, b.keys / "node.pub", partner=b.partner)
    trust_peer(b.engine, a.name, a.keys / "node.pub", partner=a.partner)


@pytest.fixture(params=["sqlite", "postgresql"])
def nodes(request, tmp_path, shared_data, new_database):
    """Node RU (partner INBO holds the official Camtrap DP example) and node CN (partner HUNCHUN), trusting each other.

    RU runs on SQLite or on the PostgreSQL server, CN on a laptop's SQLite: a national server and a park laptop.
    """
    from bigcats.exchange.camtrapdp.importer import import_package

    with new_database(request.param, tmp_path) as url:
        ru, cn = make_node(tmp_path, "RU", "INBO", url), make_node(tmp_path, "CN", "HUNCHUN")
        introduce(ru, cn)
        import_package(ru.engine, shared_data / "camtrap-dp-example", "INBO", country="BEL")
        yield ru, cn
        ru.engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A uvicorn server on loopback in a thread of the test process."""

    def __init__(self, node: Node) -> None:
        app = FastAPI()
        app.include_router(router(lambda: node.engine, key_dir=node.keys))
        port = _free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        node.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def servers(nodes):
    """Both nodes served on loopback on free ports."""
    live = [LiveServer(n) for n in nodes]
    yield nodes
    for s in live:
        s.stop()
