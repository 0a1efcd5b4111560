"""Password hashing with Argon2id (pwdlib): the store keeps only the PHC string with its salt and parameters."""

from __future__ import annotations

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from bigcats.errors import BigcatsError

MIN_PASSWORD = 8
_HASHER = PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    """An Argon2id hash of a password (PHC string with its salt and parameters)."""
    if len(password) < MIN_PASSWORD:
        raise BigcatsError(f"password: must have at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    """Whether a password matches its stored hash."""
    try:
        return _HASHER.verify(password, hashed)
    except Exception:  # a malformed stored hash must read as "wrong password", never as a server error
        return False
