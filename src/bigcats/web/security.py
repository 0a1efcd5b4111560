"""Passwords, session tokens, CSRF tokens and the sign-in rate limit.

Passwords are hashed with Argon2id (pwdlib). A session cookie holds a random token signed with the
installation's key; the database keeps only its SHA-256, so a stolen database gives no usable session.
CSRF uses signed double-submit tokens: a readable cookie whose value every state-changing request must repeat
in the X-CSRF-Token header or a csrf_token form field; a forger on another site can neither read nor sign it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Connection, delete, func, select, update

from bigcats.core.clock import utcnow
from bigcats.access.passwords import hash_password, verify_password  # noqa: F401  (used by the routes)
from bigcats.store.models_access import AppSetting, LoginAttempt

SESSION_COOKIE = "bigcats_session"
CSRF_COOKIE = "bigcats_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SESSION_HOURS = 12
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILED_PER_USER = 5
MAX_FAILED_PER_ADDRESS = 20


def now_utc() -> datetime:
    """The current UTC time, naive, as the store keeps times."""
    return utcnow()


# A valid hash to verify against when the user does not exist, so timing does not reveal user names.
_DUMMY_HASH = hash_password("not-a-real-password")


def verify_or_dummy(password: str, hashed: str | None) -> bool:
    """Verify a password, spending the same time when there is no such user."""
    if hashed is None:
        verify_password(password, _DUMMY_HASH)
        return False
    return verify_password(password, hashed)


def secret_key(conn: Connection) -> str:
    """The installation's signing key, created on first use and shared by every server process."""
    key = conn.execute(select(AppSetting.value).where(AppSetting.key == "secret_key")).scalar_one_or_none()
    if key is None:
        key = secrets.token_urlsafe(48)
        conn.execute(AppSetting.__table__.insert().values(key="secret_key", value=key))
        conn.commit()
    return key


class Signer:
    """Signs and checks session and CSRF tokens with the installation key.

    Checking a signature costs more than the rest of a cached answer, and every request of a browser carries the
    same two cookies, so the results of checks are remembered (bounded): a CSRF token once valid stays valid
    (CSRF tokens do not expire), a session cookie's token hash until the cookie's own age limit.
    """

    MEMO = 8192  # cookies remembered per kind

    def __init__(self, key: str) -> None:
        self._session = URLSafeTimedSerializer(key, salt="bigcats-session")
        self._csrf = URLSafeTimedSerializer(key, salt="bigcats-csrf")
        self._sessions: dict[str, tuple[str, float]] = {}  # cookie -> (token hash, signed-at + age limit)
        self._csrfs: set[str] = set()

    def new_session_token(self) -> tuple[str, str]:
        """A fresh session: (cookie value, token hash to store)."""
        token = secrets.token_urlsafe(32)
        return self._session.dumps(token), token_hash(token)

    def session_hash(self, cookie: str | None) -> str | None:
        """The stored hash of a session cookie's token, or None if the cookie is absent, forged or too old."""
        if not cookie:
            return None
        known = self._sessions.get(cookie)
        if known is not None and time.time() < known[1]:
            return known[0]
        try:
            token, signed = self._session.loads(cookie, max_age=SESSION_HOURS * 3600, return_timestamp=True)
        except (BadSignature, SignatureExpired):
            return None
        hashed = token_hash(token)
        if len(self._sessions) >= self.MEMO:
            self._sessions.clear()
        self._sessions[cookie] = (hashed, signed.timestamp() + SESSION_HOURS * 3600)
        return hashed

    def new_csrf(self) -> str:
        """A fresh signed CSRF token."""
        return self._csrf.dumps(secrets.token_urlsafe(16))

    def csrf_valid(self, token: str | None) -> bool:
        """Whether a CSRF token carries this installation's signature."""
        if not token:
            return False
        if token in self._csrfs:
            return True
        try:
            self._csrf.loads(token)
        except BadSignature:
            return False
        if len(self._csrfs) >= self.MEMO:
            self._csrfs.clear()
        self._csrfs.add(token)
        return True


def token_hash(token: str) -> str:
    """SHA-256 of a session token (what the database keeps)."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_matches(cookie: str | None, sent: str | None, signer: Signer) -> bool:
    """Whether a request repeats its own valid CSRF cookie."""
    return bool(cookie and sent) and signer.csrf_valid(cookie) and hmac.compare_digest(cookie, sent)


ACCOUNT_DELAY = timedelta(seconds=30)  # past the per-account limit: one try per delay, never a lockout


def claim_login(conn: Connection, username: str, address: str | None) -> tuple[int | None, int]:
    """Record a sign-in attempt before its password is checked; returns (attempt id, 0) or (None, retry after s).

    The attempt is written (as failed until proven otherwise) and committed first, then the attempts recorded
    before it are counted: the database's ids order concurrent requests, so twenty simultaneous guesses are
    counted like twenty in a row. Limits are separate per client address (MAX_FAILED_PER_ADDRESS failures in
    LOGIN_WINDOW: refused for the window) and per account (past MAX_FAILED_PER_USER failures: one try per
    ACCOUNT_DELAY), so failures from elsewhere delay an account's owner but never lock them out. Refused
    attempts are removed again, so hammering does not lengthen anyone's wait.
    """
    now = now_utc()
    aid = conn.execute(LoginAttempt.__table__.insert().values(
        username=username[:128], address=address, at=now, success=False)).inserted_primary_key[0]
    conn.commit()
    since = now - LOGIN_WINDOW
    earlier = (LoginAttempt.id < aid, LoginAttempt.at >= since, LoginAttempt.success.is_(False))
    retry = 0
    if address:
        by_addr = conn.execute(select(func.count()).select_from(LoginAttempt).where(
            *earlier, LoginAttempt.address == address)).scalar_one()
        if by_addr >= MAX_FAILED_PER_ADDRESS:
            retry = int(LOGIN_WINDOW.total_seconds())
    if not retry:
        by_user, last = conn.execute(select(func.count(), func.max(LoginAttempt.at)).where(
            *earlier, LoginAttempt.username == username[:128])).one()
        if by_user >= MAX_FAILED_PER_USER and last is not None and now - last < ACCOUNT_DELAY:
            retry = max(1, int((ACCOUNT_DELAY - (now - last)).total_seconds()) + 1)
    if retry:
        conn.execute(delete(LoginAttempt).where(LoginAttempt.id == aid))
        conn.commit()
        return None, retry
    return aid, 0


def finish_login(conn: Connection, attempt_id: int, success: bool) -> None:
    """Mark a claimed attempt as succeeded (it stays a failure otherwise)."""
    if success:
        conn.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(success=True))
    conn.commit()


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: frozenset[str]) -> str | None:
    """The client's address: the connection's peer, or, when that is a trusted proxy, the address it forwarded.

    X-Forwarded-For is read right to left, skipping trusted proxies; without configured proxies it is ignored,
    since anyone can send it.
    """
    if peer is None or peer not in trusted_proxies or not forwarded_for:
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if hop not in trusted_proxies:
            return hop[:64]
    return peer
