"""The application factory."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import anyio.to_thread
from litestar import Litestar, Request, Response, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.middleware import DefineMiddleware
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy.exc import DBAPIError

from forms.questionnaire import Text
from incidents import clock, service
from incidents.auth import API_PREFIX, PUBLIC_PATHS, AuthMiddleware, EnrolFirst
from incidents.controllers import (
    admin,
    api,
    api_controllers,
    api_evidence,
    api_invitations,
    api_notices,
    api_tasks,
    auth,
    pages,
    reports,
)
from incidents.controllers import incidents as incident_pages
from incidents.controllers import notices as notice_pages
from incidents.controllers.common import (
    DEPENDENCIES,
    Reply,
    error_response,
    one_error,
    pop_flashes,
    safe_next,
)
from incidents.db import make_engine
from incidents.errors import Conflict, Invalid, NotAllowed, NotFound
from incidents.i18n import current_language
from incidents.i18n import gettext as _
from incidents.logs import configure_logging, get_logger, safe_traceback
from incidents.middleware import EdgeMiddleware, InputGuardMiddleware, logged_path
from incidents.principal import CurrentUser
from incidents.settings import PROJECT_ROOT, Settings
from incidents.templating import build_environment
from notify import obligations

SESSION_COOKIE = "bd_session"
CSRF_COOKIE = "bd_csrf"


def current_user(context: Mapping[str, Any]) -> CurrentUser | None:
    """The user of the request, or None on public pages (never raises)."""
    request = context.get("request")
    if request is None:
        return None
    user = request.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


def get_flashes(context: Mapping[str, Any]) -> list[dict[str, str]]:
    request = context.get("request")
    return pop_flashes(request) if request is not None else []


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX) or request.url.path.startswith("/schema")


def _error_page(request: Request, status: int, title: str, message: str) -> Response[Any]:
    return Template(
        "error.html",
        context={"status": status, "title": title, "message": message},
        status_code=status,
    )


def _answer(
    request: Request, status: int, api_message: str, title: str, page_message: str
) -> Response[Any]:
    """An error as JSON to the API (``api_message``) and as a page to the browser."""
    if _is_api(request):
        return one_error(status, None, api_message)
    return _error_page(request, status, title, page_message)


def handle_not_authorized(request: Request, exc: NotAuthorizedException) -> Response[Any]:
    if _is_api(request):
        response = one_error(401, None, _("Authentication required: send a valid bearer token."))
        response.headers["www-authenticate"] = 'Bearer realm="breachdesk"'
        return response
    query = {}
    ended = request.scope.get("state", {}).get("ended")
    if request.headers.get("hx-request") == "true":  # a fragment: the page it is on
        here = urlsplit(request.headers.get("hx-current-url", ""))
        if here.path not in {"", "/", "/login"}:
            query["next"] = safe_next(here.path + (f"?{here.query}" if here.query else ""))
    elif request.method == "GET" and request.url.path not in {"/", "/login"}:
        query["next"] = request.url.path
    if ended is not None and ended.why in {"idle", "expired"}:
        query["why"] = ended.why
    if token := request.scope.get("state", {}).get("held"):
        query["next"] = request.url.path
        query["held"] = token
    target = "/login" + ("?" + urlencode(query) if query else "")
    if request.headers.get("hx-request") == "true":
        return Response(content=None, status_code=200, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def handle_forbidden(request: Request, exc: PermissionDeniedException) -> Response[Any]:
    if isinstance(exc, EnrolFirst):
        return _enrol_first(request)
    csrf = "CSRF" in str(exc.detail)
    if _is_api(request):
        return one_error(403, None, _("You may not do this."))
    if csrf:
        return _error_page(
            request,
            403,
            _("Your form has expired"),
            _(
                "The page was open too long or was sent from elsewhere. Go back, reload the page "
                "and send the form again."
            ),
        )
    return handle_not_allowed(request, NotAllowed())


def _enrol_first(request: Request) -> Response[Any]:
    """A user whose role requires two-factor login and who has not set it up: the API
    refuses; a page sends them to set it up."""
    if _is_api(request):
        message = _(
            "Your role requires two-factor login: set it up on your account page before "
            "using the API."
        )
        return one_error(403, None, message)
    target = "/account/two-factor"
    if request.headers.get("hx-request") == "true":
        return Response(content=None, status_code=200, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def handle_not_allowed(request: Request, exc: NotAllowed) -> Response[Any]:
    """The domain's NotAllowed, answered as a role that does not give access (403)."""
    return _answer(
        request,
        403,
        _("You may not do this."),
        _("You do not have access"),
        _("Your role does not give access to this page."),
    )


def send_reply(request: Request, exc: Reply) -> Response[Any]:
    return exc.response


def handle_not_found(request: Request, exc: NotFoundException | NotFound) -> Response[Any]:
    """A missing page and the domain's NotFound (absent, or not this user's to see): 404."""
    return _answer(
        request,
        404,
        _("Not found."),
        _("Page not found"),
        _("There is no page at this address, or you may not see it."),
    )


def handle_conflict(request: Request, exc: Conflict) -> Response[Any]:
    """The domain's Conflict: the thing is not in a state that allows this (409)."""
    message = exc.message or _("This cannot be done in the current state.")
    return _answer(request, 409, message, _("This cannot be done now"), message)


def handle_invalid(request: Request, exc: Invalid) -> Response[Any]:
    """The domain's Invalid that no handler turned into its form again: 422, every problem."""
    if _is_api(request):
        return error_response(422, [{"field": p.field, "message": p.message} for p in exc.problems])
    message = " ".join(p.message for p in exc.problems) or exc.message
    return _error_page(request, 422, _("The input was not accepted"), message)


def handle_validation(request: Request, exc: ValidationException) -> Response[Any]:
    errors: list[dict[str, Any]] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            key = str(item.get("key") or "").removeprefix("$.") or None
            errors.append({"field": key, "message": str(item.get("message", "invalid"))})
    if not errors:
        errors.append({"field": None, "message": str(exc.detail)})
    if _is_api(request):
        return error_response(400, errors)
    return _error_page(request, 400, _("The request was not understood"), str(exc.detail))


def handle_http_exception(request: Request, exc: HTTPException) -> Response[Any]:
    if _is_api(request):
        response = one_error(exc.status_code, None, str(exc.detail))
    else:
        response = _error_page(request, exc.status_code, str(exc.detail), str(exc.detail))
    for name, value in (exc.headers or {}).items():  # e.g. Allow on a 405
        response.headers[name] = value
    return response


CHANGED_MEANWHILE_TITLE = Text("Changed while you were saving", "Gewijzigd terwijl u opsloeg")
CHANGED_MEANWHILE = Text(
    "Someone else was changing the same thing at the same moment, so nothing of yours was "
    "saved. Go back, check what you entered and send it again.",
    "Iemand anders wijzigde op hetzelfde moment hetzelfde, daarom is niets van u "
    "opgeslagen. Ga terug, controleer wat u invulde en verstuur het opnieuw.",
)
CHANGED_MEANWHILE_API = Text(
    "The same data was being changed by another request at the same moment, so nothing "
    "was saved. Send the request again.",
    "Dezelfde gegevens werden op hetzelfde moment door een ander verzoek gewijzigd, daarom "
    "is niets opgeslagen. Verstuur het verzoek opnieuw.",
)


def handle_database_error(request: Request, exc: DBAPIError) -> Response[Any]:
    """A transaction that lost a race for the same rows (PostgreSQL: deadlock detected, or
    could not serialize; SQLite: database is locked) saved nothing and may simply be sent
    again: 409, not 500. Any other database error is a fault (500)."""
    if not service.lock_conflict(exc):
        return handle_server_error(request, exc)
    get_logger("breachdesk.error").warning(
        "lock_conflict",
        method=request.method,
        path=logged_path(request.url.path),
        error=type(exc.orig).__name__,
    )
    language = current_language.get()
    if _is_api(request):
        return one_error(409, None, CHANGED_MEANWHILE_API.get(language))
    return _error_page(
        request, 409, CHANGED_MEANWHILE_TITLE.get(language), CHANGED_MEANWHILE.get(language)
    )


def handle_server_error(request: Request, exc: Exception) -> Response[Any]:
    get_logger("breachdesk.error").error(
        "unhandled_exception",
        method=request.method,
        path=logged_path(request.url.path),
        exception=type(exc).__name__,
        where=safe_traceback(exc),
    )
    return _answer(
        request,
        500,
        _("Something went wrong on our side. Nothing was saved."),
        _("Something went wrong"),
        _("Something went wrong on our side. Try again later."),
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging()
    obligations.configure(omnibus_from=settings.gdpr_omnibus_from)
    if settings.clock_offset_seconds:
        clock.set_offset(timedelta(seconds=settings.clock_offset_seconds))
    engine = make_engine(settings.database_url, hide_parameters=True)
    environment = build_environment(settings.zone, follow_reader=True)
    template_engine = JinjaTemplateEngine.from_environment(environment)
    template_engine.register_template_callable("current_user", current_user)
    template_engine.register_template_callable("get_flashes", get_flashes)

    session_secret = hashlib.sha256(("session:" + settings.secret_key).encode()).digest()
    session_config = CookieBackendConfig(
        secret=session_secret,
        key=SESSION_COOKIE,
        max_age=settings.session_max_age_hours * 3600,
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
        exclude=["^/static/", "^/api/", "^/healthz"],
    )
    csrf_config = CSRFConfig(
        secret=hashlib.sha256(("csrf:" + settings.secret_key).encode()).hexdigest(),
        cookie_name=CSRF_COOKIE,
        cookie_secure=settings.secure_cookies,
        cookie_httponly=True,
        cookie_samesite="lax",
        # The API uses bearer tokens. Static files and /healthz get no CSRF cookie: a page's
        # stylesheet, script and icon are fetched in parallel, and each response to a
        # browser without the cookie would set a different one, so the form's token could
        # stop matching before the first submit (seen in the browser tests).
        exclude=["^/api/", "^/static/", "^/healthz$"],
    )

    stop_worker = threading.Event()
    workers: list[threading.Thread] = []

    async def start_worker(app: Litestar) -> None:
        if settings.run_worker:
            # Delivery and reminders in a thread of this process: a send here wakes it at
            # once (incidents/signals.py); on PostgreSQL so does a send in any process.
            from incidents.reminders import run_forever

            thread = threading.Thread(
                target=run_forever,
                args=(engine, settings),
                kwargs={"stop": stop_worker},
                name="worker",
                daemon=True,
            )
            thread.start()
            workers.append(thread)

    async def dispose_engine(app: Litestar) -> None:
        stop_worker.set()
        for thread in workers:  # let a cycle under way finish its message (a few seconds)
            await anyio.to_thread.run_sync(thread.join, 5)
        engine.dispose()

    app = Litestar(
        route_handlers=[
            # The HTML pages stay out of the OpenAPI document; it describes the JSON API.
            Router(
                path="/",
                route_handlers=[
                    *pages.handlers,
                    *auth.handlers,
                    *admin.handlers,
                    *incident_pages.handlers,
                    *notice_pages.handlers,
                    *reports.page_handlers,
                ],
                include_in_schema=False,
            ),
            *api.handlers,
            *api_notices.handlers,
            *api_controllers.handlers,
            *api_invitations.handlers,
            *api_tasks.handlers,
            *api_evidence.handlers,
            *reports.api_handlers,
            create_static_files_router(
                path="/static",
                directories=[PROJECT_ROOT / "static"],
                name="static",
                opt={"exclude_from_auth": True},
                include_in_schema=False,
            ),
        ],
        state=State({"engine": engine, "settings": settings}),
        dependencies=DEPENDENCIES,
        template_config=TemplateConfig(instance=template_engine),
        csrf_config=csrf_config,
        middleware=[
            session_config.middleware,
            DefineMiddleware(AuthMiddleware, exclude=PUBLIC_PATHS),
            InputGuardMiddleware,
        ],
        plugins=[HTMXPlugin()],
        exception_handlers={
            NotAuthorizedException: handle_not_authorized,
            PermissionDeniedException: handle_forbidden,
            Reply: send_reply,
            NotFoundException: handle_not_found,
            NotFound: handle_not_found,
            NotAllowed: handle_not_allowed,
            Conflict: handle_conflict,
            Invalid: handle_invalid,
            ValidationException: handle_validation,
            HTTPException: handle_http_exception,
            DBAPIError: handle_database_error,
            Exception: handle_server_error,
        },
        openapi_config=OpenAPIConfig(
            title="Breachdesk API",
            # The JSON and YAML documents only: the interactive viewers Litestar offers load
            # their scripts from CDNs, and the app must work offline.
            render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
            version="1",
            description="Personal-data breach register: incidents, notices and decisions.",
            path="/schema",
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", description="API token")
                }
            ),
            security=[{"bearer": []}],
        ),
        on_startup=[start_worker],
        on_shutdown=[dispose_engine],
        logging_config=None,
        debug=False,
    )
    # Templates link to routes by name. Litestar's own url_for reads the request from the
    # template context, which a macro imported without context does not have: this one
    # reads the app's route table and works in every template rendered with this app.
    environment.globals["url_for"] = app.route_reverse
    environment.globals["idle_seconds"] = settings.session_idle_minutes * 60
    # Outside Litestar's own exception handler, so that error responses raised by the
    # middleware (401, CSRF 403) also get the security headers and a request log line.
    app.asgi_handler = EdgeMiddleware(
        app.asgi_handler, default_language=settings.default_language, secure=settings.secure_cookies
    )
    return app


def app_from_env() -> Litestar:
    """Entry point for `uvicorn --factory incidents.app:app_from_env`."""
    return create_app(Settings.from_env())
