"""Signing in and out: password check under the rate limit, server-side session rows, the cookies."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Response
from sqlalchemy import Connection, delete, select

from bigcats.store.models_access import User, WebSession
from bigcats.web.errors import WebError
from bigcats.web.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_HOURS,
    Signer,
    claim_login,
    finish_login,
    now_utc,
    verify_or_dummy,
)


def sign_in(conn: Connection, signer: Signer, username: str, password: str, address: str | None) -> str:
    """A new session cookie value for a correct user name and password; WebError 401, or 429 when rate-limited."""
    username = (username or "").strip()
    if not username or not password:
        raise WebError("username and password: both are required", status=400)
    attempt, retry = claim_login(conn, username, address)
    if attempt is None:
        raise WebError(f"too many failed sign-ins: wait {retry} seconds and try again", status=429,
                       headers={"Retry-After": str(retry)})
    user = conn.execute(select(User.id, User.password_hash, User.is_active).where(User.username == username)
                        ).one_or_none()
    ok = verify_or_dummy(password, user.password_hash if user else None) and bool(user and user.is_active)
    finish_login(conn, attempt, ok)
    if not ok:
        raise WebError("wrong user name or password", status=401)
    cookie, token_hash = signer.new_session_token()
    now = now_utc()
    conn.execute(delete(WebSession).where(WebSession.expires_at < now))
    conn.execute(WebSession.__table__.insert().values(token_hash=token_hash, user_id=user.id, created_at=now,
                                                      expires_at=now + timedelta(hours=SESSION_HOURS)))
    conn.commit()
    return cookie


def sign_out(conn: Connection, signer: Signer, cookie: str | None) -> None:
    """End the session of a cookie (nothing to do if it is not a live session)."""
    token_hash = signer.session_hash(cookie)
    if token_hash:
        conn.execute(delete(WebSession).where(WebSession.token_hash == token_hash))
        conn.commit()


def set_session_cookies(response: Response, cookie: str | None, signer: Signer, secure: bool) -> None:
    """Set (or clear, for None) the HttpOnly session cookie, and rotate the CSRF token with the session."""
    if cookie is None:
        response.delete_cookie(SESSION_COOKIE, path="/")
    else:
        response.set_cookie(SESSION_COOKIE, cookie, max_age=SESSION_HOURS * 3600, httponly=True, samesite="lax",
                            secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, signer.new_csrf(), httponly=False, samesite="strict", secure=secure, path="/")
