"""Sign in, sign out, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from bigcats.web.deps import CallerDep, Conn, StateDep, client_of, cookie_secure
from bigcats.web.security import SESSION_COOKIE
from bigcats.web.sessions import set_session_cookies, sign_in, sign_out

router = APIRouter(tags=["auth"])


class Credentials(BaseModel):
    """A user name and password."""

    username: str
    password: str


@router.post("/auth/login")
def login(body: Credentials, request: Request, response: Response, conn: Conn, state: StateDep) -> dict:
    """Sign in: sets the HttpOnly session cookie and a fresh CSRF cookie."""
    cookie = sign_in(conn, state.signer, body.username, body.password, client_of(request, state))
    set_session_cookies(response, cookie, state.signer, cookie_secure(request, state))
    return {"signedIn": True, "username": body.username.strip()}


@router.post("/auth/logout")
def logout(request: Request, response: Response, conn: Conn, state: StateDep) -> dict:
    """Sign out: the session ends on the server and the cookie is cleared."""
    sign_out(conn, state.signer, request.cookies.get(SESSION_COOKIE))
    set_session_cookies(response, None, state.signer, cookie_secure(request, state))
    return {"signedIn": False}


@router.get("/me")
def me(caller: CallerDep, conn: Conn) -> dict:
    """The caller: user name and roles per partner code (public when not signed in)."""
    from sqlalchemy import select

    from bigcats.store.models import Partner

    codes = dict(conn.execute(select(Partner.id, Partner.code).where(Partner.id.in_(list(caller.roles)))).all()) \
        if caller.roles else {}
    return {"public": caller.is_public, "username": caller.username,
            "roles": {codes[p]: r for p, r in caller.roles.items() if p in codes}}
