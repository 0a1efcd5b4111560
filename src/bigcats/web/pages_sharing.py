"""The sharing page: administrators propose, accept, decline, change and end agreements from the browser.

Plain HTML forms (CSRF token in a hidden field) posting to this router; each action calls `web.sharing` and
comes back to the page with what happened, so it works without JavaScript.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from urllib.parse import quote

from bigcats.web import queries, sharing
from bigcats.web.deps import AdminDep, CallerDep, Conn, LangDep, StateDep
from bigcats.web.errors import WebError
from bigcats.web.pages import render

router = APIRouter(include_in_schema=False)


def _date(value: str | None, name: str) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        return pd.Timestamp(value.strip()).to_pydatetime().replace(tzinfo=None)
    except ValueError:
        raise WebError(f"{name}: not a date: {value!r}") from None


def _back(message: str, error: bool = False) -> RedirectResponse:
    return RedirectResponse(f"/sharing?{'error' if error else 'done'}={quote(message)}", status_code=303)


@router.get("/sharing", response_class=HTMLResponse)
def sharing_page(request: Request, conn: Conn, caller: CallerDep, lang: LangDep, done: str | None = None,
                 error: str | None = None) -> HTMLResponse:
    """Agreements in force, open proposals and the history, with the forms to act on them."""
    if caller.is_public:
        return RedirectResponse("/login?next=/sharing", status_code=303)
    data = sharing.overview(conn, caller)
    return render(request, "sharing.html", lang, caller, data=data, done=done, error=error,
                  species=queries.species_list(conn, lang))


@router.post("/sharing/propose")
def propose(conn: Conn, caller: AdminDep, state: StateDep, owner: Annotated[str, Form()],
            grantee: Annotated[str, Form()] = "", species: Annotated[list[str] | None, Form()] = None,
            exact_locations: Annotated[str | None, Form()] = None, valid_from: Annotated[str, Form()] = "",
            valid_until: Annotated[str, Form()] = "", embargo_until: Annotated[str, Form()] = "",
            note: Annotated[str, Form()] = "", replaces: Annotated[str, Form()] = "") -> RedirectResponse:
    """Propose an agreement, a change of one, or share with the public."""
    try:
        out = sharing.propose(conn, caller, owner, grantee or None, [s for s in species or [] if s] or None,
                              bool(exact_locations), _date(valid_from, "from"), _date(valid_until, "until"),
                              _date(embargo_until, "embargo until"), note or None,
                              int(replaces) if replaces.strip().isdigit() else None)
    except WebError as exc:
        return _back(str(exc), error=True)
    conn.commit()
    state.summary.clear()
    if "agreement" in out:
        return _back(f"agreement {out['agreement']} in force")
    return _back(f"proposal {out['proposal']} sent to the other side")


@router.post("/sharing/proposals/{proposal_id}/{action}")
def decide(proposal_id: int, action: str, conn: Conn, caller: AdminDep, state: StateDep) -> RedirectResponse:
    """Accept or decline the other side's proposal, or withdraw one's own."""
    try:
        if action == "accept":
            out = sharing.accept(conn, caller, proposal_id)
            message = f"agreement {out['agreement']} in force"
        elif action in ("decline", "withdraw"):
            sharing.decline(conn, caller, proposal_id, withdraw=action == "withdraw")
            message = f"proposal {proposal_id}: {action}"
        else:
            raise WebError(f"{action}: not an action on proposals", status=404)
    except WebError as exc:
        return _back(str(exc), error=True)
    conn.commit()
    state.summary.clear()
    return _back(message)


@router.post("/sharing/agreements/{agreement_id}/end")
def end(agreement_id: int, conn: Conn, caller: AdminDep, state: StateDep,
        note: Annotated[str, Form()] = "") -> RedirectResponse:
    """End an agreement now."""
    try:
        sharing.end(conn, caller, agreement_id, note or None)
    except WebError as exc:
        return _back(str(exc), error=True)
    conn.commit()
    state.summary.clear()
    return _back(f"agreement {agreement_id} ended")
