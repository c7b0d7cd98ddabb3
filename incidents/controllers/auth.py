"""Login, logout and the language switch."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import QueryParameter, URLEncodedBody
from litestar.response import Redirect, Response, Template

from incidents.auth import DEVICE_COOKIE
from incidents.controllers.common import (
    Config,
    Db,
    Principal,
    client_address,
    flash,
    in_thread,
    safe_next,
)
from incidents.errors import Invalid
from incidents.i18n import LANGUAGES, current_language
from incidents.i18n import gettext as _
from incidents.middleware import LANGUAGE_COOKIE
from incidents.settings import Settings
from incidents.usecases.auth import (
    Login,
    TooManyAttempts,
    log_in,
    log_out,
    remember_language,
)

# Short names for what the handlers of the account pages declare.
Form = URLEncodedBody[dict[str, Any]]
Req = Request[Any, Any, Any]
Page = Template | Redirect
PUBLIC = {"exclude_from_auth": True}


def problems(exc: Invalid) -> list[dict[str, str]]:
    """A refusal's problems as the templates show form errors."""
    return [{"field": p.field, "message": p.message} for p in exc.problems]


def _login_page(email: str = "", next_url: str = "/", exc: Invalid | None = None) -> Template:
    limited = isinstance(exc, TooManyAttempts)
    page = Template(
        "auth/login.html",
        context={
            "email": email,
            "next_url": next_url,
            "errors": problems(exc) if exc else [],
        },
        status_code=429 if limited else 200,
    )
    if isinstance(exc, TooManyAttempts):
        page.headers["Retry-After"] = str(exc.retry_after)
    return page


def remember(response: Response[Any], settings: Settings, name: str, value: str) -> None:
    """A year-long cookie of this browser (its language, its known-device id)."""
    response.set_cookie(
        name,
        value,
        max_age=365 * 86400,
        samesite="lax",
        secure=settings.secure_cookies,
        httponly=True,
    )


def remember_device(response: Response[Any], settings: Settings, login: Login) -> None:
    """The known-device cookie of this browser for the account (see incidents.auth)."""
    remember(response, settings, DEVICE_COOKIE, login.device)


def _sid(request: Req) -> str | None:
    """The session id the browser brought, if any."""
    sid = request.session.get("sid") if request.scope.get("session") else None
    return sid if isinstance(sid, str) else None


class AuthController(Controller):
    path = "/"

    @get("/login", name="login", opt=PUBLIC, sync_to_thread=False)
    def login_page(
        self, next_url: Annotated[str | None, QueryParameter(name="next")] = None
    ) -> Template:
        return _login_page(next_url=safe_next(next_url))

    @post("/login", name="login_submit", opt=PUBLIC)
    @in_thread
    def login_submit(self, request: Req, engine: Db, settings: Config, data: Form) -> Response[Any]:
        email = str(data.get("email", "")).strip()
        next_url = safe_next(str(data.get("next", "") or ""))
        password, address = str(data.get("password", "")), client_address(request)
        device = request.cookies.get(DEVICE_COOKIE)
        try:
            login = log_in(
                engine, settings, email, password, address, device=device, old_sid=_sid(request)
            )
        except Invalid as exc:
            return _login_page(email, next_url, exc)
        request.clear_session()
        request.set_session({"sid": login.sid})
        response = Redirect(next_url, status_code=303)
        if login.language and login.language in LANGUAGES:
            remember(response, settings, LANGUAGE_COOKIE, login.language)
        remember_device(response, settings, login)
        return response

    @post("/logout", name="logout")
    @in_thread
    def logout(self, request: Req, engine: Db, user: Principal) -> Redirect:
        log_out(engine, user)
        request.clear_session()
        flash(request, _("You are logged out."))
        return Redirect(request.app.route_reverse("login"), status_code=303)

    @post("/language", name="language", opt=PUBLIC)
    @in_thread
    def set_language(self, request: Req, engine: Db, settings: Config, data: Form) -> Redirect:
        language = str(data.get("language", ""))
        response = Redirect(safe_next(str(data.get("next", "") or "")), status_code=303)
        if language not in LANGUAGES:
            return response
        current_language.set(language)
        remember(response, settings, LANGUAGE_COOKIE, language)
        remember_language(engine, _sid(request), language)
        return response


handlers = [AuthController]
