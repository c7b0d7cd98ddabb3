"""Who is asking: encrypted cookie sessions backed by a revocable login row, API bearer
tokens, role guards and login rate limiting."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import bindparam, delete, func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from incidents.db import session_scope
from incidents.models import (
    ApiToken,
    LoginFailure,
    Organisation,
    User,
    UserSession,
    utcnow,
)
from incidents.security import digest, keyed_digest, needs_rehash, rehash, verify_password
from incidents.settings import Settings

API_PREFIX = "/api/"
PUBLIC_PATHS = ["^/login", "^/static/", "^/healthz", "^/schema", "^/language", "^/favicon"]
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class CurrentUser:
    """The authenticated user of one request; a plain value, safe to pass between threads."""

    id: int
    email: str
    name: str
    role: str
    language: str | None
    organisation_id: int
    organisation_slug: str
    organisation_name: str
    organisation_kind: str
    session_id_hash: str | None = None
    token_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in {"staff", "admin"}

    @property
    def is_officer(self) -> bool:
        return self.role == "officer"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


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
        .where(UserSession.id_hash == id_hash, UserSession.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


def revoke_all_sessions(session: Session, user_id: int, reason: str) -> int:
    """Revoke every login of a user (role or password changed, account disabled)."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


_PRINCIPAL = (
    User.id, User.email, User.name, User.role, User.language, User.is_active,
    Organisation.id.label("org_id"), Organisation.slug, Organisation.name.label("org_name"),  # type: ignore[union-attr]
    Organisation.kind,
)  # fmt: skip


def _principal(row: Any, **extra: Any) -> CurrentUser:
    return CurrentUser(
        id=row.id, email=row.email, name=row.name, role=row.role, language=row.language,
        organisation_id=row.org_id, organisation_slug=row.slug, organisation_name=row.org_name,
        organisation_kind=row.kind, **extra,
    )  # fmt: skip


# Every request looks its session or token up: one prepared statement (built once, so
# SQLAlchemy does not rebuild the join each time), plain column reads, no ORM objects, and
# a write only when the last-seen time is older than SESSION_TOUCH_INTERVAL.
_SESSION_LOOKUP = (
    select(*_PRINCIPAL, UserSession.revoked_at, UserSession.expires_at, UserSession.last_seen_at)
    .join(User, User.id == UserSession.user_id)  # type: ignore[arg-type]
    .join(Organisation, Organisation.id == User.organisation_id)  # type: ignore[arg-type]
    .where(UserSession.id_hash == bindparam("id_hash"))
)
_TOKEN_LOOKUP = (
    select(*_PRINCIPAL, ApiToken.id.label("token_id"), ApiToken.revoked_at, ApiToken.last_used_at)  # type: ignore[union-attr]
    .join(User, User.id == ApiToken.user_id)  # type: ignore[arg-type]
    .join(Organisation, Organisation.id == User.organisation_id)  # type: ignore[arg-type]
    .where(ApiToken.token_hash == bindparam("token_hash"))
)
_SESSION_TOUCH = update(UserSession).where(UserSession.id_hash == bindparam("id_hash"))  # type: ignore[arg-type]
_TOKEN_TOUCH = update(ApiToken).where(ApiToken.id == bindparam("token_id"))  # type: ignore[arg-type]


def user_for_session(engine: Engine, sid: str) -> CurrentUser | None:
    id_hash = digest(sid)
    now = utcnow()
    with session_scope(engine) as session:
        row = session.execute(_SESSION_LOOKUP, {"id_hash": id_hash}).first()
        if row is None:
            return None
        if row.revoked_at is not None or row.expires_at <= now or not row.is_active:
            return None
        if now - row.last_seen_at > SESSION_TOUCH_INTERVAL:
            session.execute(_SESSION_TOUCH.values(last_seen_at=now), {"id_hash": id_hash})
        return _principal(row, session_id_hash=id_hash)


def user_for_token(engine: Engine, token: str) -> CurrentUser | None:
    now = utcnow()
    with session_scope(engine) as session:
        row = session.execute(_TOKEN_LOOKUP, {"token_hash": digest(token)}).first()
        if row is None:
            return None
        if row.revoked_at is not None or not row.is_active:
            return None
        if row.last_used_at is None or now - row.last_used_at > SESSION_TOUCH_INTERVAL:
            session.execute(_TOKEN_TOUCH.values(last_used_at=now), {"token_id": row.token_id})
        return _principal(row, token_id=row.token_id)


class AuthMiddleware(AbstractAuthenticationMiddleware):
    """Bearer tokens for /api/, the session cookie for everything else."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        engine: Engine = connection.app.state.engine
        if connection.scope["path"].startswith(API_PREFIX):
            scheme, _sep, token = connection.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise NotAuthorizedException("A bearer token is required")
            user = await anyio.to_thread.run_sync(user_for_token, engine, token.strip())
            if user is None:
                raise NotAuthorizedException("The token is not valid")
            return AuthenticationResult(user=user, auth=user.token_id)
        sid = (
            connection.scope.get("session", {}).get("sid")
            if connection.scope.get("session")
            else None
        )
        if not isinstance(sid, str):
            raise NotAuthorizedException("Not logged in")
        user = await anyio.to_thread.run_sync(user_for_session, engine, sid)
        if user is None:
            connection.scope["session"] = {}
            raise NotAuthorizedException("The session has ended")
        return AuthenticationResult(user=user, auth=user.session_id_hash)


# --- guards ---------------------------------------------------------------------------


def _visible(connection: ASGIConnection, user: CurrentUser, incident_id: Any) -> None:
    """404 when the incident in the path is not this user's to see."""
    from incidents import service  # the service layer imports this module

    with Session(connection.app.state["engine"]) as session:
        service.visible_incident(session, user, incident_id)


def requires_role(*roles: str):
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, CurrentUser) or user.role not in allowed:
            # A route about an incident this user may not see answers as if there were
            # none (404), so the role check cannot tell anyone an incident exists.
            incident_id = connection.path_params.get("incident_id")
            if isinstance(user, CurrentUser) and incident_id is not None:
                await anyio.to_thread.run_sync(_visible, connection, user, incident_id)
            raise PermissionDeniedException("Your role does not give access to this page")

    guard.__name__ = f"requires_{'_or_'.join(sorted(allowed))}"
    return guard


staff_only = requires_role("staff", "admin")
admin_only = requires_role("admin")
officer_only = requires_role("officer")


# --- login and its rate limit ---------------------------------------------------------


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    limited: bool


def _failure_keys(settings: Settings, email: str, address: str) -> tuple[str, str]:
    return (
        keyed_digest(settings.secret_key, "account:" + email),
        keyed_digest(settings.secret_key, "address:" + address),
    )


def _recent_failures(session: Session, key: str, since: datetime) -> int:
    return int(
        session.exec(
            select(func.count()).where(LoginFailure.key == key, LoginFailure.at > since)
        ).one()
    )


def attempt_login(
    session: Session, settings: Settings, email: str, password: str, address: str
) -> LoginOutcome:
    """Check a login. Failures count against the account name and the client address,
    whether the account exists or not, so the answer never reveals which accounts exist."""
    email = email.strip().lower()
    now = utcnow()
    since = now - timedelta(minutes=settings.login_window_minutes)
    account_key, address_key = _failure_keys(settings, email, address)
    session.execute(delete(LoginFailure).where(LoginFailure.at <= since))  # type: ignore[arg-type]
    if (
        _recent_failures(session, account_key, since) >= settings.login_attempts_per_account
        or _recent_failures(session, address_key, since) >= settings.login_attempts_per_address
    ):
        return LoginOutcome(user=None, limited=True)
    user = session.exec(select(User).where(User.email == email)).first()
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        session.add(LoginFailure(key=account_key, at=now))
        session.add(LoginFailure(key=address_key, at=now))
        return LoginOutcome(user=None, limited=False)
    session.execute(delete(LoginFailure).where(LoginFailure.key == account_key))  # type: ignore[arg-type]
    if needs_rehash(user.password_hash):
        user.password_hash = rehash(password)
        session.add(user)
    return LoginOutcome(user=user, limited=False)
