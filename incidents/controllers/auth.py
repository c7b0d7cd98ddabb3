"""Login, logout and the language switch."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import QueryParameter, URLEncodedBody
from litestar.response import Redirect, Response, Template

from incidents import audit
from incidents.auth import (
    DEVICE_COOKIE,
    attempt_login,
    device_cookie,
    revoke_session,
    start_session,
    user_for_session,
)
from incidents.controllers.common import (
    client_address,
    engine_of,
    flash,
    in_thread,
    safe_next,
    settings_of,
)
from incidents.db import session_scope
from incidents.i18n import LANGUAGES, current_language
from incidents.i18n import gettext as _
from incidents.middleware import LANGUAGE_COOKIE
from incidents.models import User
from incidents.security import digest
from incidents.settings import Settings


def _login_page(
    email: str = "", next_url: str = "/", error: str | None = None, status: int = 200
) -> Template:
    errors = [{"field": "email", "message": error}] if error else []
    return Template(
        "auth/login.html",
        context={"email": email, "next_url": next_url, "errors": errors},
        status_code=status,
    )


@get("/login", name="login", opt={"exclude_from_auth": True}, sync_to_thread=False)
def login_page(
    request: Request[Any, Any, Any],
    next_url: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Template:
    return _login_page(next_url=safe_next(next_url))


@post("/login", name="login_submit", opt={"exclude_from_auth": True})
@in_thread
def login_submit(
    request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]]
) -> Response[Any]:
    email = str(data.get("email", "")).strip()
    password = str(data.get("password", ""))
    next_url = safe_next(str(data.get("next", "") or ""))
    settings = settings_of(request)
    if not email or not password:
        message = _("Enter your e-mail address and password")
        return _login_page(email, next_url, message, 200)
    outcome = attempt_login(
        engine_of(request),
        settings,
        email,
        password,
        client_address(request),
        device_cookie=request.cookies.get(DEVICE_COOKIE),
    )
    if outcome.user is None:
        if outcome.limited:
            return _limited_page(email, next_url, outcome.retry_after)
        message = _("The e-mail address or password is not right")
        return _login_page(email, next_url, message, 200)
    user: User = outcome.user
    with session_scope(engine_of(request), write=True) as session:
        # Rotate: a new login id, and any session the browser brought is dropped.
        old = request.session.get("sid") if request.scope.get("session") else None
        if isinstance(old, str):
            revoke_session(session, digest(old), "replaced")
        sid = start_session(session, user, settings)
        audit.record(session, "user.login", actor_id=user.id, organisation_id=user.organisation_id)
    request.clear_session()
    request.set_session({"sid": sid})
    response = Redirect(next_url, status_code=303)
    if user.language in LANGUAGES:
        _remember_language(response, user.language, settings)
    remember_device(response, settings, user)
    return response


def remember_device(response: Response[Any], settings: Settings, user: User) -> None:
    """The known-device cookie of this browser for this account (see incidents.auth)."""
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie(settings, user),
        max_age=365 * 86400,
        samesite="lax",
        secure=settings.secure_cookies,
        httponly=True,
    )


def wait_message(seconds: int) -> str:
    """ "Wait N seconds" or "Wait N minutes", rounded up."""
    if seconds < 120:
        return _("Too many failed attempts. Wait %(seconds)s seconds and try again.") % {
            "seconds": seconds
        }
    return _("Too many failed attempts. Wait %(minutes)s minutes and try again.") % {
        "minutes": -(-seconds // 60)
    }


def _limited_page(email: str, next_url: str, retry_after: int) -> Template:
    page = _login_page(email, next_url, wait_message(retry_after), 429)
    page.headers["Retry-After"] = str(retry_after)
    return page


def _remember_language(response: Redirect, language: str, settings: Settings) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=365 * 86400,
        samesite="lax",
        secure=settings.secure_cookies,
        httponly=True,
    )


@post("/logout", name="logout")
@in_thread
def logout(request: Request[Any, Any, Any]) -> Redirect:
    user = request.user
    with session_scope(engine_of(request), write=True) as session:
        if user.session_id_hash:
            revoke_session(session, user.session_id_hash, "logout")
        audit.record(session, "user.logout", actor_id=user.id, organisation_id=user.organisation_id)
    request.clear_session()
    flash(request, _("You are logged out."))
    return Redirect(request.app.route_reverse("login"), status_code=303)


@post("/language", name="language", opt={"exclude_from_auth": True})
@in_thread
def set_language(request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]]) -> Redirect:
    language = str(data.get("language", ""))
    target = safe_next(str(data.get("next", "") or ""))
    response = Redirect(target, status_code=303)
    if language not in LANGUAGES:
        return response
    current_language.set(language)
    settings = settings_of(request)
    _remember_language(response, language, settings)
    sid = request.session.get("sid") if request.scope.get("session") else None
    if isinstance(sid, str):
        user = user_for_session(engine_of(request), sid)
        if user is not None:
            with session_scope(engine_of(request), write=True) as session:
                row = session.get(User, user.id)
                if row is not None:
                    row.language = language
                    session.add(row)
    return response


handlers = [login_page, login_submit, logout, set_language]
