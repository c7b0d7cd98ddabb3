"""Login, logout and the language switch; the user's own account: password, language,
API tokens and sessions."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Response, Template

from incidents import held
from incidents.auth import DEVICE_COOKIE, idle_deadline, keep_alive, user_for_session
from incidents.clock import now
from incidents.controllers.common import (
    Config,
    Db,
    Form,
    Page,
    Principal,
    Req,
    client_address,
    done,
    flash,
    form_problems,
    in_thread,
    safe_next,
)
from incidents.errors import Conflict, Invalid, NotFound
from incidents.i18n import LANGUAGES, current_language
from incidents.i18n import gettext as _
from incidents.middleware import LANGUAGE_COOKIE
from incidents.principal import CurrentUser
from incidents.settings import Settings
from incidents.usecases import accounts
from incidents.usecases import incidents as incident_cases
from incidents.usecases import invitations as invitation_cases
from incidents.usecases import twofactor as two_factor_cases
from incidents.usecases.auth import (
    Login,
    Pending,
    TooManyAttempts,
    ask_reset,
    log_in,
    log_out,
    remember_language,
    reset_link_open,
    reset_password,
    second_factor,
)

# Short names for what the handlers of the account pages declare.
PUBLIC = {"exclude_from_auth": True}


def _why(why: str | None, settings: Settings, holding: bool = False) -> str:
    """Why the login ended, for the login page (empty: it says nothing)."""
    if holding:
        return _(
            "Your login had ended before you sent this step. Log in again: what you typed "
            "is then saved as the draft."
        )
    if why == "idle":
        return _(
            "You were logged out after %(minutes)s minutes without activity. Log in again to "
            "go on where you were."
        ) % {"minutes": settings.session_idle_minutes}
    if why == "expired":
        return _("A login lasts at most %(hours)s hours. Log in again to go on where you were.") % {
            "hours": settings.session_max_age_hours
        }
    return ""


def _login_page(
    email: str = "", next_url: str = "/", exc: Invalid | None = None, held_token: str = ""
) -> Template:
    limited = isinstance(exc, TooManyAttempts)
    page = Template(
        "auth/login.html",
        context={
            "email": email,
            "next_url": next_url,
            "errors": form_problems(exc.problems) if exc else [],
            "why": "",
            "held": held_token,
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


def _save_held(
    request: Req, engine: Db, settings: Settings, login: Login, token: str
) -> str | None:
    """After a login: the step input held when the earlier login had ended, saved as the
    draft if it is this person's (incidents/held.py); the step's address, or None."""
    if not token:
        return None
    user = user_for_session(engine, login.sid)
    taken = held.take(engine, user.id, token, now()) if user else None
    if user is None or taken is None:
        return None
    incident_id, step_key, data = taken
    controls = {"action", "return", "note", "version"}
    form = {k: v for k, v in data.items() if k not in controls}
    target = request.app.route_reverse("incident_step", incident_id=incident_id, step_key=step_key)
    try:
        saved = incident_cases.save_step(
            engine, user, settings, incident_id, step_key, form, complete=False
        )
    except (Invalid, Conflict, NotFound) as exc:
        message = _("What you typed on this step could not be saved: %(why)s") % {
            "why": str(exc) or _("the incident changed meanwhile")
        }
        flash(request, message, "warning")
        return target
    if saved.problems:
        flash(
            request,
            _(
                "What you typed on this step is saved as the draft, except the answers "
                "that need correcting: enter those again."
            ),
            "warning",
        )
    else:
        flash(request, _("What you typed on this step before logging in again is saved."))
    return target


def _logged_in(settings: Settings, login: Login, next_url: str) -> Response[Any]:
    response = Redirect(next_url, status_code=303)
    if login.language and login.language in LANGUAGES:
        remember(response, settings, LANGUAGE_COOKIE, login.language)
    remember_device(response, settings, login)
    return response


def _pending(request: Req) -> Pending | None:
    """The login of this browser waiting for its second factor, if any."""
    if not request.scope.get("session"):
        return None
    user_id, at = request.session.get("pending"), request.session.get("pending_at")
    if not isinstance(user_id, int) or not isinstance(at, str):
        return None
    try:
        return Pending(user_id, datetime.fromisoformat(at))
    except ValueError:
        return None


def _sid(request: Req) -> str | None:
    """The session id the browser brought, if any."""
    sid = request.session.get("sid") if request.scope.get("session") else None
    return sid if isinstance(sid, str) else None


class AuthController(Controller):
    path = "/"

    @get("/login", name="login", opt=PUBLIC, sync_to_thread=False)
    def login_page(
        self,
        settings: Config,
        next_url: Annotated[str | None, QueryParameter(name="next")] = None,
        why: Annotated[str | None, QueryParameter(name="why")] = None,
        held_token: Annotated[str | None, QueryParameter(name="held")] = None,
    ) -> Template:
        page = _login_page(next_url=safe_next(next_url), held_token=held_token or "")
        page.context["why"] = _why(why, settings, bool(held_token))
        return page

    @post("/login", name="login_submit", opt=PUBLIC)
    @in_thread
    def login_submit(self, request: Req, engine: Db, settings: Config, data: Form) -> Response[Any]:
        email = str(data.get("email", "")).strip()
        next_url = safe_next(str(data.get("next", "") or ""))
        held_token = str(data.get("held", "") or "")[:100]
        password, address = str(data.get("password", "")), client_address(request)
        device = request.cookies.get(DEVICE_COOKIE)
        try:
            login = log_in(
                engine, settings, email, password, address, device=device, old_sid=_sid(request)
            )
        except Invalid as exc:
            return _login_page(email, next_url, exc, held_token)
        request.clear_session()
        if isinstance(login, Pending):
            request.set_session(
                {
                    "pending": login.user_id,
                    "pending_at": login.at.isoformat(),
                    "next": next_url,
                    "held": held_token,
                }
            )
            return Redirect("/login/code", status_code=303)
        request.set_session({"sid": login.sid})
        next_url = _save_held(request, engine, settings, login, held_token) or next_url
        return _logged_in(settings, login, next_url)

    @get("/login/code", name="login_code", opt=PUBLIC, sync_to_thread=False)
    def code_page(self, request: Req) -> Template | Redirect:
        if _pending(request) is None:
            return Redirect("/login", status_code=303)
        return Template("auth/login_code.html", context={"errors": []})

    @post("/login/code", name="login_code_submit", opt=PUBLIC, status_code=200)
    @in_thread
    def code_submit(self, request: Req, engine: Db, settings: Config, data: Form) -> Response[Any]:
        pending = _pending(request)
        if pending is None:
            return Redirect("/login", status_code=303)
        next_url = safe_next(str(request.session.get("next", "") or ""))
        held_token = str(request.session.get("held", "") or "")
        try:
            login = second_factor(engine, settings, pending, str(data.get("code", "")), None)
        except NotFound:
            request.clear_session()
            flash(request, _("Too much time passed since your password: log in again."))
            return Redirect("/login", status_code=303)
        except Invalid as exc:
            context = {"errors": form_problems(exc.problems)}
            return Template("auth/login_code.html", context=context)
        request.clear_session()
        request.set_session({"sid": login.sid})
        next_url = _save_held(request, engine, settings, login, held_token) or next_url
        return _logged_in(settings, login, next_url)

    @post("/logout", name="logout")
    @in_thread
    def logout(self, request: Req, engine: Db, user: Principal) -> Redirect:
        log_out(engine, user)
        request.clear_session()
        return done(request, _("You are logged out."), "login")

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


# --- an invitation's link ----------------------------------------------------------


def _invitation_gone() -> Template:
    return Template("auth/invitation_gone.html", status_code=404)


def _invitation_page(
    opened: invitation_cases.Opened, values: dict[str, str], exc: Invalid | None = None
) -> Template:
    context = {
        "invitation": opened.invitation,
        "org": opened.organisation,
        "values": values,
        "errors": form_problems(exc.problems) if exc else [],
    }
    return Template("auth/invitation.html", context=context)


class InvitationController(Controller):
    """The page an invitation's link opens: choose a password, and be logged in."""

    path = "/invitations"

    @get("/{token:str}", name="invitation", opt=PUBLIC)
    @in_thread
    def invitation(self, engine: Db, token: FromPath[str]) -> Template:
        opened = invitation_cases.opened(engine, token)
        if opened is None:
            return _invitation_gone()
        return _invitation_page(opened, {"name": opened.invitation.name})

    @post("/{token:str}", name="invitation_accept", opt=PUBLIC, status_code=200)
    @in_thread
    def accept(
        self, request: Req, engine: Db, settings: Config, token: FromPath[str], data: Form
    ) -> Response[Any]:
        values = {key: str(data.get(key, "")) for key in ("name", "password", "confirm_password")}
        try:
            login = invitation_cases.accept(engine, settings, token, values)
        except NotFound:
            return _invitation_gone()
        except Invalid as exc:
            opened = invitation_cases.opened(engine, token)
            if opened is None:
                return _invitation_gone()
            return _invitation_page(opened, {"name": values["name"]}, exc)
        request.clear_session()
        request.set_session({"sid": login.sid})
        flash(request, _("Welcome to Breachdesk: your account is ready and you are logged in."))
        response = Redirect("/", status_code=303)
        if login.language and login.language in LANGUAGES:
            remember(response, settings, LANGUAGE_COOKIE, login.language)
        remember_device(response, settings, login)
        return response


# --- a forgotten password -----------------------------------------------------------

# The answer to a request for a reset link takes at least this long, whether or not the
# address has an account (the work differs by a few writes), so its timing tells nothing.
RESET_ANSWER_SECONDS = 0.4


def _reset_gone() -> Template:
    return Template("auth/reset_gone.html", status_code=404)


def _reset_form(errors: list[dict[str, Any]] | None = None) -> Template:
    return Template("auth/reset_password.html", context={"errors": errors or []})


class PasswordResetController(Controller):
    """Ask for a link by e-mail address; the link's page sets a new password."""

    path = "/password-reset"

    @get("/", name="password_reset", opt=PUBLIC, sync_to_thread=False)
    def ask_page(self) -> Template:
        return Template("auth/reset_ask.html", context={"values": {}, "errors": []})

    @post("/", name="password_reset_ask", opt=PUBLIC, status_code=200)
    @in_thread
    def ask(self, request: Req, engine: Db, settings: Config, data: Form) -> Template:
        started = time.perf_counter()
        email = str(data.get("email", "")).strip()
        if not email:
            message = _("Enter the e-mail address you log in with")
            context = {"values": {}, "errors": [{"field": "email", "message": message}]}
            return Template("auth/reset_ask.html", context=context)
        wait = ask_reset(engine, settings, email, client_address(request))
        time.sleep(max(0.0, RESET_ANSWER_SECONDS - (time.perf_counter() - started)))
        if wait:
            message = _(
                "Too many links were asked for from here. Wait %(minutes)s minutes and try again."
            ) % {"minutes": -(-wait // 60)}
            problem = {"field": "email", "message": message}
            page = Template(
                "auth/reset_ask.html",
                context={"values": {"email": email}, "errors": [problem]},
                status_code=429,
            )
            page.headers["Retry-After"] = str(wait)
            return page
        return Template("auth/reset_sent.html", context={"email": email})

    @get("/{token:str}", name="password_reset_link", opt=PUBLIC)
    @in_thread
    def link(self, engine: Db, token: FromPath[str]) -> Template:
        return _reset_form() if reset_link_open(engine, token) else _reset_gone()

    @post("/{token:str}", name="password_reset_set", opt=PUBLIC, status_code=200)
    @in_thread
    def set_password(
        self, request: Req, engine: Db, settings: Config, token: FromPath[str], data: Form
    ) -> Response[Any]:
        password, confirm = str(data.get("password", "")), str(data.get("confirm_password", ""))
        try:
            login = reset_password(engine, settings, token, password, confirm)
        except NotFound:
            return _reset_gone()
        except Invalid as exc:
            return _reset_form(form_problems(exc.problems))
        request.clear_session()
        request.set_session({"sid": login.sid})
        flash(
            request,
            _(
                "Your new password is set and you are logged in. Your other sessions have "
                "been logged out and your API tokens revoked."
            ),
        )
        response = Redirect("/", status_code=303)
        remember_device(response, settings, login)
        return response


# --- staying logged in -------------------------------------------------------------


class SessionController(Controller):
    """The idle warning's two questions: how long until this login ends if nothing
    happens (asked as a background request, so asking does not count as activity), and
    "stay logged in"."""

    path = "/session"

    @get("/idle", name="session_idle")
    @in_thread
    def idle(self, engine: Db, user: Principal, settings: Config) -> Response[Any]:
        idle = timedelta(minutes=settings.session_idle_minutes)
        ends = idle_deadline(engine, user.session_id_hash or "", idle)
        left = max(0, int((ends - now()).total_seconds())) if ends else 0
        return Response({"seconds_left": left}, headers={"cache-control": "no-store"})

    @post("/keep-alive", name="session_keep_alive", status_code=200)
    @in_thread
    def keep_alive(self, request: Req, engine: Db, user: Principal, data: Form) -> Response[Any]:
        keep_alive(engine, user.session_id_hash or "")
        if request.headers.get("accept", "").startswith("application/json"):
            return Response({"ok": True})
        return Redirect(safe_next(str(data.get("next", "") or "")), status_code=303)


# --- the user's own account ---------------------------------------------------------


def _render(engine: Db, user: CurrentUser, **extra: Any) -> Template:
    page = accounts.account_page(engine, user)
    context = {"tokens": page.tokens, "logins": page.logins, "errors": [], "values": {}}
    context.update(extra)
    return Template("account/index.html", context=context)


def _two_factor_page(
    engine: Db, settings: Settings, user: CurrentUser, errors: list[dict[str, Any]] | None = None
) -> Template:
    found = two_factor_cases.page(engine, settings, user)
    return Template("account/two_factor.html", context={"page": found, "errors": errors or []})


def _recovery_codes(
    engine: Db,
    settings: Settings,
    user: CurrentUser,
    act: Callable[[Db, Settings, CurrentUser, str], list[str]],
    code: str,
    first: bool,
) -> Template:
    """The recovery codes ``act`` made with ``code`` (shown once), or the two-factor page
    again with why not."""
    try:
        codes = act(engine, settings, user, code)
    except Invalid as exc:
        return _two_factor_page(engine, settings, user, form_problems(exc.problems))
    return Template("account/recovery_codes.html", context={"codes": codes, "first": first})


class AccountController(Controller):
    path = "/account"

    @get("/", name="account")
    @in_thread
    def account(self, engine: Db, user: Principal) -> Template:
        return _render(engine, user)

    @post("/password", name="account_password", status_code=200)
    @in_thread
    def change_password(
        self, request: Req, engine: Db, user: Principal, settings: Config, data: Form
    ) -> Page:
        try:
            login = accounts.change_password(
                engine,
                settings,
                user,
                current=str(data.get("current_password", "")),
                new=str(data.get("new_password", "")),
                confirm=str(data.get("confirm_password", "")),
                address=client_address(request),
            )
        except Invalid as exc:
            return _render(engine, user, errors=form_problems(exc.problems))
        request.set_session({"sid": login.sid})
        message = _(
            "Your password has been changed. Other sessions have been logged out and "
            "your API tokens revoked."
        )
        response = done(request, message, "account")
        # The old known-device cookies ended with the password; this browser gets a new one.
        remember_device(response, settings, login)
        return response

    @post("/tokens", name="account_token_create", status_code=200)
    @in_thread
    def create_token(self, engine: Db, user: Principal, data: Form) -> Template:
        label = str(data.get("label", "")).strip()
        try:
            token = accounts.create_token(engine, user, label)
        except Invalid as exc:
            return _render(
                engine, user, errors=form_problems(exc.problems), values={"label": label}
            )
        return _render(engine, user, new_token=token)

    @post("/tokens/{token_id:int}/revoke", name="account_token_revoke")
    @in_thread
    def revoke_token(
        self, request: Req, engine: Db, user: Principal, token_id: FromPath[int]
    ) -> Redirect:
        accounts.revoke_token(engine, user, token_id)
        return done(request, _("The token has been revoked."), "account")

    @get("/two-factor", name="account_two_factor")
    @in_thread
    def two_factor(self, engine: Db, user: Principal, settings: Config) -> Template:
        return _two_factor_page(engine, settings, user)

    @post("/two-factor", name="account_two_factor_confirm", status_code=200)
    @in_thread
    def two_factor_confirm(
        self, engine: Db, user: Principal, settings: Config, data: Form
    ) -> Template:
        code = str(data.get("code", ""))
        return _recovery_codes(engine, settings, user, two_factor_cases.confirm, code, True)

    @post("/two-factor/recovery-codes", name="account_recovery_codes", status_code=200)
    @in_thread
    def recovery_codes(self, engine: Db, user: Principal, settings: Config, data: Form) -> Template:
        code = str(data.get("code", ""))
        return _recovery_codes(engine, settings, user, two_factor_cases.new_codes, code, False)

    @post("/two-factor/off", name="account_two_factor_off", status_code=200)
    @in_thread
    def two_factor_off(
        self, request: Req, engine: Db, user: Principal, settings: Config, data: Form
    ) -> Page:
        try:
            two_factor_cases.turn_off(engine, settings, user, str(data.get("off_code", "")))
        except Invalid as exc:
            problems = [{**p, "field": "off_code"} for p in form_problems(exc.problems)]
            return _two_factor_page(engine, settings, user, problems)
        return done(request, _("Two-factor login is off."), "account")

    @post("/sessions/revoke-others", name="account_sessions_revoke")
    @in_thread
    def revoke_other_sessions(self, request: Req, engine: Db, user: Principal) -> Redirect:
        accounts.revoke_other_sessions(engine, user)
        return done(request, _("All your other sessions have been logged out."), "account")


handlers = [
    AuthController,
    InvitationController,
    PasswordResetController,
    SessionController,
    AccountController,
]
