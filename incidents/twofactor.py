"""Two-factor login (issue 16): a time-based one-time password (TOTP, RFC 6238, with
``pyotp``) from an authenticator app, or one of ten single-use recovery codes.

The secret is sealed with a key derived from the app's secret key (Fernet) before it is
stored. A code is accepted for the current 30-second step or one step either side; the
step of the last code accepted is kept and a code of that step or an earlier one is
refused, so an overheard code cannot be used again (the step is written with a
conditional UPDATE: of two logins with the same code at once, one wins). Recovery codes
are kept as hashes and used once. Attempts are limited per account (the login window)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from incidents import audit
from incidents.auth import within_limit
from incidents.errors import Invalid, NotFound, Problem
from incidents.i18n import gettext as _
from incidents.models import LoginFailure, RecoveryCode, User
from incidents.security import digest, keyed_digest
from incidents.settings import Settings

STEP_SECONDS = 30
RECOVERY_CODES = 10
ATTEMPTS = 5  # codes tried per account within the login window
_users = User.__table__  # type: ignore[attr-defined]
_codes = RecoveryCode.__table__  # type: ignore[attr-defined]


def _fernet(settings: Settings) -> Fernet:
    key = hashlib.sha256(("totp-seal:" + settings.secret_key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(settings: Settings, secret: str) -> str:
    return _fernet(settings).encrypt(secret.encode()).decode()


def unseal(settings: Settings, sealed: str) -> str | None:
    try:
        return _fernet(settings).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None  # sealed with another key: the user enrols again


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret as text and as a QR code (inline SVG)."""

    secret: str
    uri: str
    qr_svg: str


def start(session: Session, settings: Settings, user: User, issuer: str) -> Enrolment:
    """A new secret for ``user`` (not yet in force: a code from it must confirm it). A
    secret waiting for its code is shown again rather than replaced."""
    secret = unseal(settings, user.totp_secret) if user.totp_secret else None
    if secret is None or enabled(user):
        secret = pyotp.random_base32()  # 160 bits
        user.totp_secret = seal(settings, secret)
        user.totp_enabled_at = None
        user.totp_last_step = None
        session.add(user)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)
    svg = segno.make(uri, error="m").svg_inline(scale=4, title=_("QR code for your app"))
    return Enrolment(_grouped(secret), uri, svg)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _normal(code: str) -> str:
    return "".join(ch for ch in code if ch.isalnum()).lower()


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (of now, or one either side) whose code ``code`` is, or None."""
    code = _normal(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    here = int(now.timestamp()) // STEP_SECONDS
    for step in (here - 1, here, here + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _take_step(session: Session, user: User, step: int) -> bool:
    """Record ``step`` as the last one used, unless it (or a later one) was used already."""
    taken = session.connection().execute(
        update(_users)
        .where(
            _users.c.id == user.id,
            or_(_users.c.totp_last_step.is_(None), _users.c.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return bool(taken.rowcount)


def confirm(
    session: Session, settings: Settings, user: User, code: str, now: datetime
) -> list[str]:
    """Confirm the waiting secret with a code from the app: two-factor login is on, and
    the ten recovery codes (shown once) are returned. Invalid at ``code`` otherwise."""
    secret = unseal(settings, user.totp_secret) if user.totp_secret else None
    if secret is None or enabled(user):
        raise NotFound()
    step = _matching_step(secret, code, now)
    if step is None:
        raise Invalid(
            [Problem("code", _("This code is not right. Enter the 6 digits the app shows now."))]
        )
    user.totp_enabled_at = now
    user.totp_last_step = step
    session.add(user)
    _clear_tries(session, settings, user)
    codes = _new_recovery_codes(session, user, now)
    audit.record(
        session, "user.2fa_enabled", actor_id=user.id, organisation_id=user.organisation_id
    )
    return codes


def _new_recovery_codes(session: Session, user: User, now: datetime) -> list[str]:
    assert user.id is not None
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = [
        f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _n in range(RECOVERY_CODES)
    ]  # 48 bits each
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=digest(_normal(c)), created_at=now) for c in codes
    )
    return codes


def new_recovery_codes(
    session: Session, settings: Settings, user: User, code: str, now: datetime
) -> list[str]:
    """Ten new recovery codes (the old ones end), confirmed with a code from the app
    (counted with ``count_try`` first)."""
    check(session, settings, user, code, now, recovery=False)
    codes = _new_recovery_codes(session, user, now)
    audit.record(
        session, "user.2fa_recovery_codes", actor_id=user.id, organisation_id=user.organisation_id
    )
    return codes


def _limit_key(settings: Settings, user_id: int) -> str:
    return keyed_digest(settings.secret_key, f"totp:{user_id}")


def count_try(session: Session, settings: Settings, user_id: int, now: datetime) -> None:
    """Count a code about to be checked against the account's limit (commit this before
    checking, so a wrong code still counts); Invalid at ``code`` with the wait when the
    account has had too many tries in the window."""
    wait = within_limit(session, settings, _limit_key(settings, user_id), ATTEMPTS, now)
    if wait:
        message = _("Too many codes were tried. Wait %(minutes)s minutes and try again.")
        raise Invalid([Problem("code", message % {"minutes": -(-wait // 60)})])


def check(
    session: Session,
    settings: Settings,
    user: User,
    code: str,
    now: datetime,
    *,
    recovery: bool = True,
) -> str:
    """A code from the app (or, with ``recovery``, a recovery code) for ``user`` (counted
    with ``count_try`` first): which it was, "totp" or "recovery". Invalid at ``code``
    when it is wrong or was used already. A right one clears the account's tries."""
    secret = unseal(settings, user.totp_secret) if user.totp_secret else None
    step = _matching_step(secret, code, now) if secret and enabled(user) else None
    if step is not None and _take_step(session, user, step):
        kind = "totp"
    elif recovery and _use_recovery_code(session, user, code, now):
        kind = "recovery"
    else:
        raise Invalid([Problem("code", _("This code is not right, or it was used already."))])
    _clear_tries(session, settings, user)
    return kind


def _clear_tries(session: Session, settings: Settings, user: User) -> None:
    assert user.id is not None
    session.execute(
        delete(LoginFailure).where(col(LoginFailure.key) == _limit_key(settings, user.id))
    )


def _use_recovery_code(session: Session, user: User, code: str, now: datetime) -> bool:
    normal = _normal(code)
    if len(normal) != 12:
        return False
    used = session.connection().execute(
        update(_codes)
        .where(
            _codes.c.user_id == user.id,
            _codes.c.code_hash == digest(normal),
            _codes.c.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return bool(used.rowcount)


def recovery_codes_left(session: Session, user_id: int) -> int:
    return len(
        session.exec(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user_id, col(RecoveryCode.used_at).is_(None)
            )
        ).all()
    )


def turn_off(session: Session, user: User, actor_id: int, reason: str) -> None:
    """Two-factor login off: the secret and the recovery codes go (the user's own choice,
    or an administrator's reset: ``reason``)."""
    assert user.id is not None
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.add(user)
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    audit.record(
        session,
        "user.2fa_reset" if reason == "admin" else "user.2fa_disabled",
        actor_id=actor_id,
        organisation_id=user.organisation_id,
        user_id=user.id,
    )
