"""The exchange endpoints a node's web server offers its peers: status, pull changes, push a package.

Every request must be signed by a trusted peer (see auth.py); the lead mounts `router(get_engine)` in the
web application.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from bigcats.exchange.sync import state
from bigcats.exchange.sync.auth import verify_request
from bigcats.exchange.sync.bundle import pack, unpack
from bigcats.exchange.sync.changes import last_seq
from bigcats.exchange.sync.errors import SyncError
from bigcats.exchange.sync.export import export_changes
from bigcats.exchange.sync.keys import NodeIdentity, default_key_dir, load_identity
from bigcats.exchange.sync.receive import receive

PREFIX = "/sync/v1"


def router(get_engine: Callable[..., Engine], identity: NodeIdentity | None = None,
           key_dir: str | Path | None = None) -> APIRouter:
    """The exchange API (under /sync/v1) for a node whose engine `get_engine` gives (a FastAPI dependency)."""
    api = APIRouter(prefix=PREFIX, tags=["exchange"])
    cached: dict[str, NodeIdentity] = {}

    def me(engine: Engine) -> NodeIdentity:
        if "id" not in cached:
            cached["id"] = identity or load_identity(key_dir or default_key_dir(engine))
        return cached["id"]

    async def peer_of(request: Request, engine: Engine = Depends(get_engine)) -> str:
        body = await request.body()
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        try:
            return verify_request(engine, request.headers, request.method, path, body)
        except SyncError as exc:
            raise HTTPException(status_code=401, detail=str(exc)) from exc

    @api.get("/status")
    def status(peer: str = Depends(peer_of), engine: Engine = Depends(get_engine)) -> dict:
        """This node's name, the last change applied here from the caller, and this node's sequence."""
        return {"node": me(engine).node, "applied_from_you": state.applied(engine, peer),
                "sequence": last_seq(engine)}

    @api.get("/changes")
    def changes(since: int = Query(0, ge=0), peer: str = Depends(peer_of),
                engine: Engine = Depends(get_engine)) -> Response:
        """A signed package (zip) of the changes after `since` that the caller's agreements let it see."""
        work = Path(tempfile.mkdtemp(prefix="bigcats-serve-"))
        try:
            folder = export_changes(engine, peer, since=since, out=work / "package", identity=me(engine))
            return Response(content=pack(folder), media_type="application/zip")
        except SyncError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from exc
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @api.post("/packages")
    async def packages(request: Request, peer: str = Depends(peer_of),
                       engine: Engine = Depends(get_engine)) -> dict:
        """Receive a signed package (zip) from the caller: verified, applied in order, conflicts listed."""
        body = await request.body()
        work = Path(tempfile.mkdtemp(prefix="bigcats-inbox-"))
        try:
            folder = unpack(body, work / "package")
            return await run_in_threadpool(receive, engine, folder, peer, me(engine).node)
        except SyncError as exc:
            # The sender hears what was wrong with its package, not where this server keeps its files.
            raise HTTPException(status_code=409, detail=str(exc).replace(str(work / "package"), "package")
                                .replace(str(work), "inbox")) from exc
        finally:
            shutil.rmtree(work, ignore_errors=True)

    return api
