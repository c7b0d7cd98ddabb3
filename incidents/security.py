"""Password hashing (argon2id), random tokens and their stored hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verified against when an account does not exist, so both paths cost the same.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "bd_"  # noqa: S105  (a prefix, not a secret)


class PasswordPolicyError(ValueError):
    """``code`` is ``empty`` or ``short``."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def check_password_policy(password: str) -> None:
    if not password or not password.strip():
        raise PasswordPolicyError("empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError("short")


def hash_password(password: str) -> str:
    check_password_policy(password)
    return _hasher.hash(password)


def rehash(password: str) -> str:
    """A fresh hash of a password that just verified (the hashing parameters changed)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    """An API token: a recognisable prefix and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """SHA-256 of a high-entropy secret (tokens, session ids). Fine without salt or stretching."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def keyed_digest(secret_key: str, value: str) -> str:
    """HMAC of a low-entropy value (an e-mail address, an IP address) for rate-limit keys."""
    return hmac.new(secret_key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()
