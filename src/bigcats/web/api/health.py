"""Camera health for the partners a user belongs to: the report (JSON), its timeline page, and confirming fixes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from bigcats.store.models import Partner
from bigcats.web.deps import Conn, StateDep, UserDep
from bigcats.web.errors import WebError

router = APIRouter(tags=["health"])


def _codes(conn, caller, role: str = "viewer") -> list[str]:
    ids = [pid for pid in caller.roles if caller.has_role(pid, role)]
    return list(conn.execute(select(Partner.code).where(Partner.id.in_(ids))).scalars()) if ids else []


@router.get("/health")
def health_report(caller: UserDep, conn: Conn, state: StateDep) -> dict:
    """Faults found in the photo streams of the caller's partners' cameras, with the fix each offers."""
    from bigcats.health.store import check_store

    return check_store(state.engine, _codes(conn, caller))


@router.get("/health.html", response_class=HTMLResponse)
def health_page(caller: UserDep, conn: Conn, state: StateDep) -> HTMLResponse:
    """The same report as a page with a timeline per camera (no scripts, no external files)."""
    from bigcats.health.page import render_page
    from bigcats.health.store import _frames, check_store

    codes = _codes(conn, caller)
    _, media = _frames(state.engine, codes)
    return HTMLResponse(render_page(check_store(state.engine, codes), media))


class ApplyBody(BaseModel):
    """Keys of the findings to fix, as the report lists them."""

    keys: list[str] = Field(min_length=1, max_length=500)


@router.post("/health/apply")
def health_apply(body: ApplyBody, caller: UserDep, conn: Conn, state: StateDep) -> dict:
    """Write the confirmed fixes (editors of each deployment's partner): outages and clock corrections, once."""
    from bigcats.health.store import apply_findings, deployment_partners

    owners = deployment_partners(state.engine, body.keys)
    editable = set(_codes(conn, caller, "editor"))
    refused = sorted({k for k in body.keys if owners.get(int(k.split(":")[0]) if k.split(":")[0].isdigit() else -1)
                      not in editable})
    if refused:
        raise WebError("confirming a camera fix needs the editor role in the camera's partner: "
                       + ", ".join(refused[:5]), status=403)
    return apply_findings(state.engine, body.keys, confirmed_by=caller.username)
