"""Logging in and out, and the language a logged-in user reads the pages in. Who may try
how often (limits, slow-down, known devices) is decided in incidents/auth.py; these
functions turn its outcome into a new login or a refusal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from incidents import accounts, audit, resets, twofactor
from incidents.auth import (
    attempt_login,
    device_cookie,
    revoke_session,
    start_session,
    user_for_session,
)
from incidents.clock import now
from incidents.db import session_scope
from incidents.errors import Invalid, NotFound, Problem
from incidents.i18n import gettext as _
from incidents.models import User
from incidents.principal import CurrentUser
from incidents.security import digest
from incidents.settings import Settings


@dataclass(frozen=True)
class Login:
    """A new login of this browser: the session id and known-device cookie to set, and
    the user's language."""

    sid: str
    device: str
    language: str | None


@dataclass(frozen=True)
class Pending:
    """The password was right; the account's second factor is asked next (within
    PENDING_MINUTES, in the same browser)."""

    user_id: int
    at: datetime


PENDING_MINUTES = 5


class TooManyAttempts(Invalid):
    """The attempt was not checked: ``retry_after`` seconds until the next one can be."""

    def __init__(self, problems: Iterable[Problem], retry_after: int) -> None:
        super().__init__(problems)
        self.retry_after = retry_after


def wait_message(seconds: int) -> str:
    """ "Wait N seconds" or "Wait N minutes", rounded up."""
    if seconds < 120:
        return _("Too many failed attempts. Wait %(seconds)s seconds and try again.") % {
            "seconds": seconds
        }
    return _("Too many failed attempts. Wait %(minutes)s minutes and try again.") % {
        "minutes": -(-seconds // 60)
    }


def new_login(session: Session, settings: Settings, user: User) -> Login:
    """A login row for ``user`` (in the caller's transaction) and the cookies that go
    with it; call after any change of the user's password (the device cookie is bound
    to it)."""
    sid = start_session(session, user, settings)
    return Login(sid=sid, device=device_cookie(settings, user), language=user.language)


def log_in(
    engine: Engine,
    settings: Settings,
    email: str,
    password: str,
    address: str,
    *,
    device: str | None,
    old_sid: str | None,
) -> Login | Pending:
    """Check the e-mail address and password (counted against the login limits) and
    start a session; the session the browser brought (``old_sid``) is dropped. Invalid
    (TooManyAttempts when a limit refused the attempt) with the message at ``email``.
    Pending when the account logs in with a second factor: ``second_factor`` then."""
    email = email.strip()
    if not email or not password:
        raise Invalid([Problem("email", _("Enter your e-mail address and password"))])
    outcome = attempt_login(engine, settings, email, password, address, device_cookie=device)
    if outcome.limited:
        problem = Problem("email", wait_message(outcome.retry_after))
        raise TooManyAttempts([problem], outcome.retry_after)
    user = outcome.user
    if user is None:
        raise Invalid([Problem("email", _("The e-mail address or password is not right"))])
    if twofactor.enabled(user):
        assert user.id is not None
        return Pending(user.id, now())  # the code from the app comes next
    with session_scope(engine, write=True) as session:
        if old_sid:
            revoke_session(session, digest(old_sid), "replaced")
        login = new_login(session, settings, user)
        audit.record(session, "user.login", actor_id=user.id, organisation_id=user.organisation_id)
    return login


def log_out(engine: Engine, user: CurrentUser) -> None:
    """End this login."""
    with session_scope(engine, write=True) as session:
        if user.session_id_hash:
            revoke_session(session, user.session_id_hash, "logout")
        audit.record(session, "user.logout", actor_id=user.id, organisation_id=user.organisation_id)


def remember_language(engine: Engine, sid: str | None, language: str) -> None:
    """Keep the language with the account of a browser that is logged in (the language
    switch is public: a browser without a live session changes only its cookie)."""
    user = user_for_session(engine, sid) if sid else None
    if user is None:
        return
    with session_scope(engine, write=True) as session:
        accounts.set_language(session, user.id, language)


# --- a forgotten password ----------------------------------------------------------------


def ask_reset(engine: Engine, settings: Settings, email: str, address: str) -> int:
    """Ask for a reset link for ``email`` from ``address``: seconds to wait when this
    address asked too often, else 0 (whether or not the address has an account)."""
    with session_scope(engine, write=True) as session:
        return resets.ask(session, settings, email, address, now())


def reset_link_open(engine: Engine, token: str) -> bool:
    with session_scope(engine) as session:
        return resets.find_open(session, token, now()) is not None


def reset_password(
    engine: Engine, settings: Settings, token: str, password: str, confirm: str
) -> Login:
    """Choose the new password with an open link, and log in (every other session and
    API token of the account ends). NotFound when the link is not open; InputError."""
    with session_scope(engine, write=True) as session:
        user = resets.reset(session, token, password, confirm, now())
        return new_login(session, settings, user)


# --- the second factor of a login ---------------------------------------------------------


def second_factor(
    engine: Engine, settings: Settings, pending: Pending, code: str, old_sid: str | None
) -> Login:
    """The code from the app (or a recovery code) after the password: the login starts.
    NotFound when the password step is older than PENDING_MINUTES or the account is no
    longer active; Invalid at ``code`` (wrong, used already, or too many tries)."""
    at = now()
    if at - pending.at > timedelta(minutes=PENDING_MINUTES):
        raise NotFound()
    with session_scope(engine, write=True) as session:  # counted even if the code is wrong
        twofactor.count_try(session, settings, pending.user_id, at)
    with session_scope(engine, write=True) as session:
        user = session.get(User, pending.user_id)
        if user is None or not user.is_active:
            raise NotFound()
        kind = twofactor.check(session, settings, user, code, at)
        if old_sid:
            revoke_session(session, digest(old_sid), "replaced")
        login = new_login(session, settings, user)
        audit.record(
            session,
            "user.login",
            actor_id=user.id,
            organisation_id=user.organisation_id,
            second_factor=kind,
        )
    return login
