"""Who is asking: encrypted cookie sessions backed by a revocable login row, API bearer
tokens, role guards and login rate limiting."""

from __future__ import annotations

import hmac
import math
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, cast

import anyio.to_thread
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import bindparam, delete, func, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from incidents import held, service
from incidents.db import session_scope
from incidents.i18n import reader_zone
from incidents.logs import get_logger
from incidents.models import (
    ApiToken,
    LoginFailure,
    Organisation,
    User,
    UserSession,
    utcnow,
)
from incidents.principal import CurrentUser
from incidents.security import digest, keyed_digest, needs_rehash, rehash, verify_password
from incidents.settings import Settings

API_PREFIX = "/api/"
PUBLIC_PATHS = ["^/login", "^/static/", "^/healthz", "^/schema", "^/language", "^/favicon"]
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
# A request a page makes by itself (htmx polling) says so with this header: it neither
# counts as the person's activity nor keeps the login from ending when idle.
BACKGROUND_HEADER = "x-background"
# Set after a successful login: a browser that has logged in to an account before is not
# slowed down or refused for what strangers do (see "login and its limits").
DEVICE_COOKIE = "bd_device"
log = get_logger("breachdesk.auth")


# --- sessions -------------------------------------------------------------------------


def start_session(session: Session, user: User, settings: Settings) -> str:
    """Create a login row and return the new session id for the cookie."""
    assert user.id is not None
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            id_hash=digest(sid),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_age_hours),
        )
    )
    return sid


def revoke_session(session: Session, id_hash: str, reason: str) -> None:
    session.execute(
        update(UserSession)
        .where(col(UserSession.id_hash) == id_hash, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


def revoke_all_tokens(session: Session, user_id: int) -> int:
    """Revoke every API token of a user (password changed or reset, access changed). A
    revoked token stays revoked: reactivating the user gives none back."""
    result = session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    return _rowcount(result)


def revoke_all_sessions(
    session: Session, user_id: int, reason: str, *, keep: str | None = None
) -> int:
    """Revoke every login of a user (role or password changed, account disabled), but
    the one whose id hash is ``keep`` (the user logs out their other sessions)."""
    live = [col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None)]
    if keep is not None:
        live.append(col(UserSession.id_hash) != keep)
    result = session.execute(
        update(UserSession).where(*live).values(revoked_at=utcnow(), revoked_reason=reason)
    )
    return _rowcount(result)


def _rowcount(result: Any) -> int:
    """The rows an UPDATE or DELETE changed."""
    return int(result.rowcount or 0)


# The principal's fields and the columns of the lookups below that carry them.
_PRINCIPAL_FIELDS = {
    "id": col(User.id),
    "email": col(User.email),
    "name": col(User.name),
    "role": col(User.role),
    "language": col(User.language),
    "organisation_id": col(Organisation.id).label("org_id"),
    "organisation_slug": col(Organisation.slug),
    "organisation_name": col(Organisation.name).label("org_name"),
    "organisation_kind": col(Organisation.kind),
    "two_factor": col(User.totp_enabled_at).is_not(None).label("two_factor"),
    "organisation_timezone": col(Organisation.timezone).label("org_timezone"),
}


def _principal(row: Any, **extra: Any) -> CurrentUser:
    """The principal from a row of a lookup (its first columns are the fields)."""
    return CurrentUser(**dict(zip(_PRINCIPAL_FIELDS, row, strict=False)), **extra)


def principal_by_id(session: Session, user_id: int) -> CurrentUser | None:
    """The principal of an active user (a worker acting for the person who asked), or
    None when the user is gone or no longer active."""
    row = session.execute(
        sa_select(*_PRINCIPAL_FIELDS.values())
        .join(Organisation, col(Organisation.id) == col(User.organisation_id))
        .where(col(User.id) == user_id, col(User.is_active))
    ).first()
    return _principal(row) if row is not None else None


def _lookup(owner: Any, key: Any, *columns: Any) -> Any:
    """The principal (and ``columns``) of the user ``owner.user_id`` names, by ``key``."""
    return (
        sa_select(*_PRINCIPAL_FIELDS.values(), col(User.is_active), *columns)
        .join(User, col(User.id) == owner)
        .join(Organisation, col(Organisation.id) == col(User.organisation_id))
        .where(key)
    )


# Every request looks its session or token up: one prepared statement (built once, so
# SQLAlchemy does not rebuild the join each time), plain column reads, no ORM objects, and
# a write only when the last-seen time is older than SESSION_TOUCH_INTERVAL.
_SESSION_LOOKUP = _lookup(
    col(UserSession.user_id),
    col(UserSession.id_hash) == bindparam("id_hash"),
    col(UserSession.revoked_at),
    col(UserSession.revoked_reason),
    col(UserSession.expires_at),
    col(UserSession.last_seen_at),
    col(User.password_changed_at),
)
_TOKEN_LOOKUP = _lookup(
    col(ApiToken.user_id),
    col(ApiToken.token_hash) == bindparam("token_hash"),
    col(ApiToken.id).label("token_id"),
    col(ApiToken.revoked_at),
    col(ApiToken.last_used_at),
)
# The bound parameters are named after no column: an UPDATE binds its SET values under the
# columns' names, and a WHERE parameter of the same name cannot be compiled.
_SESSION_TOUCH = (
    update(UserSession)
    .where(col(UserSession.id_hash) == bindparam("touch_session"))
    .values(last_seen_at=bindparam("touch_at"))
)
_TOKEN_TOUCH = (
    update(ApiToken)
    .where(col(ApiToken.id) == bindparam("touch_token"))
    .values(last_used_at=bindparam("touch_at"))
)


def _touch(engine: Engine, statement: Any, params: dict[str, Any]) -> None:
    """Record "last seen" in a short write transaction of its own. It is bookkeeping: when
    the database is busy it is skipped (the next request tries again), never a failed page."""
    try:
        with session_scope(engine, write=True) as session:
            session.execute(statement, params)
    except OperationalError as exc:
        log.warning("touch_skipped", error=type(exc).__name__)


@dataclass(frozen=True)
class SessionLookup:
    """The user of a session id, or why there is none: ``ended`` (unknown, logged out,
    revoked, the account inactive), ``idle`` (no activity for the idle time) or
    ``expired`` (the absolute lifetime has passed). ``user_id``: whose login it was."""

    user: CurrentUser | None
    why: str = ""
    user_id: int | None = None


def user_for_session(
    engine: Engine, sid: str, idle: timedelta | None = None, *, background: bool = False
) -> CurrentUser | None:
    return lookup_session(engine, sid, idle, background=background).user


def lookup_session(
    engine: Engine, sid: str, idle: timedelta | None = None, *, background: bool = False
) -> SessionLookup:
    """The session's user; a login idle for ``idle`` ends (it is revoked, reason idle).
    The last-seen time is written at most once a minute, and not for ``background``
    requests (a page's polling)."""
    id_hash = digest(sid)
    now = utcnow()
    with session_scope(engine) as session:
        row = session.execute(_SESSION_LOOKUP, {"id_hash": id_hash}).first()
    if row is None or not row.is_active:
        return SessionLookup(None, "ended")
    if row.revoked_at is not None:
        # A login that idled out earlier (the page's own check may have found it first)
        # stays the person's idle login until its own lifetime ends, unless the password
        # changed since: a step they send is held for them, the login page says why.
        idled = (
            row.revoked_reason == "idle"
            and row.expires_at > now
            and row.password_changed_at <= row.revoked_at
        )
        return SessionLookup(None, "idle", row.id) if idled else SessionLookup(None, "ended")
    if row.expires_at <= now:
        return SessionLookup(None, "expired", row.id)
    if idle is not None and now - row.last_seen_at >= idle:
        with session_scope(engine, write=True) as session:
            revoke_session(session, id_hash, "idle")
        return SessionLookup(None, "idle", row.id)
    if not background and now - row.last_seen_at > SESSION_TOUCH_INTERVAL:
        _touch(engine, _SESSION_TOUCH, {"touch_session": id_hash, "touch_at": now})
    return SessionLookup(_principal(row, session_id_hash=id_hash))


def idle_deadline(engine: Engine, id_hash: str, idle: timedelta) -> datetime | None:
    """When this login ends if nothing more happens (None: it has ended)."""
    with session_scope(engine) as session:
        row = session.execute(
            sa_select(col(UserSession.last_seen_at), col(UserSession.expires_at)).where(
                col(UserSession.id_hash) == id_hash, col(UserSession.revoked_at).is_(None)
            )
        ).first()
    if row is None:
        return None
    return min(row.last_seen_at + idle, row.expires_at)


def keep_alive(engine: Engine, id_hash: str) -> None:
    """The person said "stay logged in": their login counts as active now."""
    _touch(engine, _SESSION_TOUCH, {"touch_session": id_hash, "touch_at": utcnow()})


def user_for_token(engine: Engine, token: str) -> CurrentUser | None:
    now = utcnow()
    with session_scope(engine) as session:
        row = session.execute(_TOKEN_LOOKUP, {"token_hash": digest(token)}).first()
    if row is None:
        return None
    if row.revoked_at is not None or not row.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at > SESSION_TOUCH_INTERVAL:
        _touch(engine, _TOKEN_TOUCH, {"touch_token": row.token_id, "touch_at": now})
    return _principal(row, token_id=row.token_id)


class AuthMiddleware(AbstractAuthenticationMiddleware):
    """Bearer tokens for /api/, the session cookie for everything else."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # A step posted after its login ended is read here to be held (_hold): the
        # request's body is reached through the scope's state.
        scope.setdefault("state", {})[_RECEIVE] = receive
        await super().__call__(scope, receive, send)

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        engine: Engine = connection.app.state.engine
        if connection.scope["path"].startswith(API_PREFIX):
            scheme, _sep, token = connection.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise NotAuthorizedException("A bearer token is required")
            user = await anyio.to_thread.run_sync(user_for_token, engine, token.strip())
            if user is None:
                raise NotAuthorizedException("The token is not valid")
            _second_factor_first(connection, user)
            return AuthenticationResult(user=user, auth=user.token_id)
        session = connection.scope.get("session")
        sid = session.get("sid") if isinstance(session, dict) and session else None
        if not isinstance(sid, str):
            raise NotAuthorizedException("Not logged in")
        settings: Settings = connection.app.state["settings"]
        idle = timedelta(minutes=settings.session_idle_minutes)
        background = connection.headers.get(BACKGROUND_HEADER) == "1"
        found = await anyio.to_thread.run_sync(
            partial(lookup_session, engine, sid, idle, background=background)
        )
        user = found.user
        if user is None:
            state = connection.scope.setdefault("state", {})
            state["ended"] = found
            method = str(connection.scope.get("method", ""))
            if found.user_id is not None and held.holdable(method, connection.scope["path"]):
                state["held"] = await _hold(connection, engine, found.user_id)
            connection.scope["session"] = {}
            raise NotAuthorizedException("The session has ended")
        _second_factor_first(connection, user)
        # The pages show this reader's times in its zone: an officer's controller's.
        settings_zone = connection.app.state["settings"].timezone
        reader_zone.set(user.organisation_timezone if user.is_officer else settings_zone)
        return AuthenticationResult(user=user, auth=user.session_id_hash)


# While a user whose role requires a second factor (BREACHDESK_REQUIRE_2FA) has none,
# these are the only pages they reach; the API refuses their tokens.
ENROLMENT_PATHS = ("/account/two-factor", "/logout", "/language")


_RECEIVE = "breachdesk.receive"


async def _hold(connection: ASGIConnection, engine: Engine, user_id: int) -> str:
    """Hold a questionnaire step posted after its login ended (incidents/held.py)."""
    form = await Request(connection.scope, connection.scope["state"][_RECEIVE]).form()
    data: dict[str, Any] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            data.setdefault(key, []).append(value)
    flat = {k: v[0] if len(v) == 1 else v for k, v in data.items()}
    return await anyio.to_thread.run_sync(
        held.hold, engine, user_id, connection.scope["path"], flat, utcnow()
    )


class EnrolFirst(PermissionDeniedException):
    """This user's role requires a second factor and they have none yet: the pages send
    them to set it up (incidents/app.py), the API refuses (403)."""


def _second_factor_first(connection: ASGIConnection, user: CurrentUser) -> None:
    settings: Settings = connection.app.state["settings"]
    if user.two_factor or user.role not in settings.require_2fa:
        return
    path = connection.scope["path"]
    if not path.startswith(API_PREFIX) and path.startswith(ENROLMENT_PATHS):
        return
    raise EnrolFirst("two-factor login required")


# --- guards ---------------------------------------------------------------------------


def _visible(connection: ASGIConnection, user: CurrentUser, incident_id: Any) -> None:
    """NotFound (404) when the incident in the path is not this user's to see."""
    with Session(connection.app.state["engine"]) as session:
        service.visible_incident(session, user, incident_id)


def requires_role(*roles: str):
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, CurrentUser) or user.role not in allowed:
            # A route about an incident this user may not see answers as if there were
            # none (404), so the role check cannot tell anyone an incident exists; for an
            # officer, a staff-only route about an incident answers 404 even when the
            # incident is theirs to see: to them such a page does not exist.
            incident_id = connection.path_params.get("incident_id")
            if isinstance(user, CurrentUser) and incident_id is not None:
                if user.is_officer:
                    raise NotFoundException()
                await anyio.to_thread.run_sync(_visible, connection, user, incident_id)
            raise PermissionDeniedException("Your role does not give access to this page")

    guard.__name__ = f"requires_{'_or_'.join(sorted(allowed))}"
    return guard


staff_only = requires_role("staff", "admin")
admin_only = requires_role("admin")
officer_only = requires_role("officer")


# --- login and its limits ------------------------------------------------------------
#
# Every attempt is counted *before* the password is checked, under a lock per key, so
# concurrent guesses cannot slip past the count (PostgreSQL: transaction-level advisory
# locks, taken in a fixed order; SQLite: its single writer). The password hash is checked
# outside any transaction; a success removes the attempt that was counted.
#
# A browser without a known-device cookie for the account:
# - the account from this address: ``login_attempts_per_account`` failures in the window,
#   then this address is refused for this account until the window has passed;
# - this address, any account: ``login_attempts_per_address`` failures, then refused;
# - the account from anywhere: after ``login_attempts_per_account`` failures it is *slowed
#   down*, never locked: each further attempt waits 1, 2, 4 … seconds after the last
#   failure, at most ``login_slowdown_max_seconds``.
# A browser that has logged in to the account since its password last changed carries a
# known-device cookie (a random id and its HMAC, bound to the account and its password):
# it is limited on its own (``login_attempts_per_account`` failures per window) and
# neither slowed down nor refused for what others do from its address or elsewhere, so a
# stranger cannot keep an officer out of their 72 hours.


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    limited: bool
    retry_after: int = 0  # seconds until the next attempt can be checked


@dataclass(frozen=True)
class _Limits:
    """What one attempt is counted against: keys refused once they hold ``limit``
    failures, and the account key that slows down (None: not slowed down)."""

    refusing: tuple[tuple[str, int], ...]
    account: str
    slowed: bool


def _limits(settings: Settings, email: str, address: str, device: str | None) -> _Limits:
    key = partial(keyed_digest, settings.secret_key)
    per_account = settings.login_attempts_per_account
    if device is not None:
        return _Limits(((key("device:" + device), per_account),), key("account:" + email), False)
    return _Limits(
        (
            (key("pair:" + email + "\n" + address), per_account),
            (key("address:" + address), settings.login_attempts_per_address),
        ),
        key("account:" + email),
        True,
    )


def _device_mac(settings: Settings, user: User, device: str) -> str:
    changed = user.password_changed_at.astimezone(UTC).isoformat()
    return keyed_digest(settings.secret_key, f"device:{user.id}:{changed}:{device}")


def device_cookie(settings: Settings, user: User) -> str:
    """A new known-device cookie for this browser and account (set after a login)."""
    device = secrets.token_urlsafe(16)
    return f"{device}.{_device_mac(settings, user, device)}"


def known_device(settings: Settings, user: User | None, cookie: str | None) -> str | None:
    """The device id when ``cookie`` was given at a login to this account since its
    password last changed; None otherwise."""
    if user is None or not cookie or len(cookie) > 200:
        return None
    device, _dot, mac = cookie.partition(".")
    if not device or not hmac.compare_digest(mac, _device_mac(settings, user, device)):
        return None
    return device


def _lock_keys(session: Session, keys: list[str]) -> None:
    """Serialise attempts on these keys (PostgreSQL; SQLite has one writer anyway)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for number in sorted(int.from_bytes(bytes.fromhex(k[:16]), "big", signed=True) for k in keys):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": number})


def _failures(
    session: Session, key: str, since: datetime
) -> tuple[int, datetime | None, datetime | None]:
    count, first, last = session.execute(
        select(func.count(), func.min(LoginFailure.at), func.max(LoginFailure.at)).where(
            LoginFailure.key == key, LoginFailure.at > since
        )
    ).one()
    return int(count), first, last


def _reserve(
    session: Session, settings: Settings, limits: _Limits, now: datetime
) -> tuple[int, list[int]]:
    """Count this attempt as a failure unless a limit refuses it. Returns (seconds to
    wait, 0 when the attempt may go on; the ids of the rows that counted it)."""
    window = timedelta(minutes=settings.login_window_minutes)
    since = now - window
    keys = [key for key, _limit in limits.refusing] + [limits.account]
    _lock_keys(session, keys)
    session.execute(
        delete(LoginFailure).where(col(LoginFailure.key).in_(keys), col(LoginFailure.at) <= since)
    )
    for key, limit in limits.refusing:
        count, first, _last = _failures(session, key, since)
        if count >= limit and first is not None:
            return _seconds(first + window - now), []
    count, _first, last = _failures(session, limits.account, since)
    excess = count - settings.login_attempts_per_account
    if limits.slowed and excess >= 0 and last is not None:
        delay = timedelta(seconds=min(2**excess, settings.login_slowdown_max_seconds))
        if now < last + delay:
            return _seconds(last + delay - now), []
    rows = [LoginFailure(key=key, at=now) for key in keys]
    session.add_all(rows)
    session.flush()
    return 0, [int(cast(int, row.id)) for row in rows]


def within_limit(session: Session, settings: Settings, key: str, limit: int, now: datetime) -> int:
    """Count one request against ``key`` (a keyed hash) unless it holds ``limit`` within
    the login window already: 0 when counted, else the seconds until one runs out. For
    limits other than the login's (password reset links), in the caller's transaction."""
    window = timedelta(minutes=settings.login_window_minutes)
    since = now - window
    _lock_keys(session, [key])
    session.execute(
        delete(LoginFailure).where(col(LoginFailure.key) == key, col(LoginFailure.at) <= since)
    )
    count, first, _last = _failures(session, key, since)
    if count >= limit and first is not None:
        return _seconds(first + window - now)
    session.add(LoginFailure(key=key, at=now))
    session.flush()
    return 0


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def _check(
    engine: Engine, settings: Settings, user: User | None, password: str, limits: _Limits
) -> LoginOutcome:
    with session_scope(engine, write=True) as session:
        wait, counted = _reserve(session, settings, limits, utcnow())
    if wait:
        return LoginOutcome(user=None, limited=True, retry_after=wait)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return LoginOutcome(user=None, limited=False)
    with session_scope(engine, write=True) as session:
        # This attempt does not count, nor do this browser's or address's earlier failures;
        # the account's failures from elsewhere (a stranger's) run out with the window, so
        # a success here gives a stranger no fresh guesses.
        refusing = [key for key, _limit in limits.refusing]
        session.execute(delete(LoginFailure).where(col(LoginFailure.id).in_(counted)))
        session.execute(delete(LoginFailure).where(col(LoginFailure.key).in_(refusing)))
        if needs_rehash(user.password_hash):
            session.execute(
                update(User).where(col(User.id) == user.id).values(password_hash=rehash(password))
            )
    return LoginOutcome(user=user, limited=False)


def attempt_login(
    engine: Engine,
    settings: Settings,
    email: str,
    password: str,
    address: str,
    *,
    device_cookie: str | None = None,
) -> LoginOutcome:
    """Check a login. Failures are counted whether the account exists or not, so the
    answer never reveals which accounts exist. The returned user is detached."""
    email = email.strip().lower()
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.email == email)).first()
    device = known_device(settings, user, device_cookie)
    return _check(engine, settings, user, password, _limits(settings, email, address, device))


def check_own_password(
    engine: Engine, settings: Settings, user_id: int, password: str, address: str
) -> LoginOutcome:
    """A logged-in user's current password (to change it), counted like a login from
    this address, so a borrowed session cannot guess it without limit."""
    with session_scope(engine) as session:
        user = session.get(User, user_id)
    if user is None:
        return LoginOutcome(user=None, limited=False)
    limits = _limits(settings, user.email, address, None)
    return _check(engine, settings, user, password, replace(limits, slowed=False))


def prune_login_failures(engine: Engine, settings: Settings) -> int:
    """Forget failures older than the window (the worker does this every cycle)."""
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    expired = col(LoginFailure.at) <= since
    with session_scope(engine) as session:  # a read first: no write when nothing expired
        if session.execute(select(LoginFailure.id).where(expired).limit(1)).first() is None:
            return 0
    with session_scope(engine, write=True) as session:
        result = session.execute(delete(LoginFailure).where(expired))
    return _rowcount(result)
