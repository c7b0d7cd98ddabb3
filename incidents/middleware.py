"""The outermost middleware (language of the request, security headers, the request log,
addresses with control characters refused) and the input guard inside Litestar (path
integers beyond 64 bits, JSON nested too deep)."""

from __future__ import annotations

import html
import json
import re
import time
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import NotFoundException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from forms.questionnaire import Text
from forms.values import CONTROL_CHARACTERS
from incidents.i18n import LANGUAGES, current_language, negotiate
from incidents.logs import get_logger

LANGUAGE_COOKIE = "bd_lang"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


BAD_ADDRESS_TITLE = Text("The address is not valid", "Het adres is niet geldig")
BAD_ADDRESS = Text(
    "The address has a control character in “{field}”, which no page or search accepts. "
    "Check the link, or type the address again.",
    "Het adres bevat een stuurteken in „{field}”; geen pagina of zoekopdracht aanvaardt dat. "
    "Controleer de link, of typ het adres opnieuw.",
)
HOME = Text("Go to the home page", "Naar de startpagina")


def control_character_in(scope: Scope) -> str | None:
    """Where the address has a control character (a NUL, an escape…), as the name of the
    query parameter, or ``path``; None when it has none. Such characters are never text
    (PostgreSQL cannot even store a NUL) and no route or filter expects them."""
    if CONTROL_CHARACTERS.search(scope["path"]):
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    if "%" not in query and not CONTROL_CHARACTERS.search(query):
        return None
    for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        if CONTROL_CHARACTERS.search(name) or CONTROL_CHARACTERS.search(value):
            return CONTROL_CHARACTERS.sub("", name)[:40] or "query"
    return None


def bad_address_response(field: str, language: str, api: bool) -> tuple[bytes, bytes]:
    """The body and content type of the 400 for an address with a control character: the
    API's error list, or a plain page in the site's style (the address cannot be echoed in
    the site's own pages, which repeat it)."""
    message = BAD_ADDRESS.get(language).format(field=field)
    if api:
        body = {"errors": [{"field": field, "message": message}]}
        return json.dumps(body, ensure_ascii=False).encode(), b"application/json"
    title = BAD_ADDRESS_TITLE.get(language)
    page = (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)} – Breachdesk</title>\n"
        '<link rel="stylesheet" href="/static/css/breachdesk.css">\n</head>\n<body>\n'
        '<main id="main" class="wrap">\n'
        f'<h1>{html.escape(title)}</h1>\n<p class="lead">{html.escape(message)}</p>\n'
        f'<p><a href="/">{html.escape(HOME.get(language))}</a></p>\n</main>\n</body>\n</html>\n'
    )
    return page.encode(), b"text/html; charset=utf-8"


def request_language(headers: list[tuple[bytes, bytes]], default: str) -> str:
    cookie_header = b"; ".join(value for name, value in headers if name == b"cookie")
    if cookie_header:
        cookies: SimpleCookie = SimpleCookie()
        try:
            cookies.load(cookie_header.decode("latin-1"))
        except Exception:
            cookies = SimpleCookie()
        morsel = cookies.get(LANGUAGE_COOKIE)
        if morsel is not None and morsel.value in LANGUAGES:
            return morsel.value
    accept = next((v.decode("latin-1") for n, v in headers if n == b"accept-language"), None)
    return negotiate(accept, default)


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, default_language: str = "nl", secure: bool = False) -> None:
        self.app = app
        self.default_language = default_language
        self.headers = list(SECURITY_HEADERS)
        if secure:
            self.headers.append(
                (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
            )
        self.log = get_logger("breachdesk.request")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        headers = list(scope.get("headers", []))
        if scope["path"].startswith("/api/"):
            # API clients get English unless they ask for Dutch.
            accept = next(
                (v.decode("latin-1") for n, v in headers if n == b"accept-language"), None
            )
            language = negotiate(accept, "en")
        else:
            language = request_language(headers, self.default_language)
        token = current_language.set(language)
        started = time.perf_counter()
        status: dict[str, int] = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = MutableScopeHeaders.from_message(message)
                for name, value in self.headers:
                    if name.decode() not in headers:
                        headers.add(name.decode(), value.decode())
                if "cache-control" not in headers and not scope["path"].startswith("/static/"):
                    headers.add("cache-control", "no-store")
                headers.add("content-language", language)
                if "vary" not in headers:
                    headers.add("vary", "Cookie, Accept-Language")
            await send(message)

        try:
            field = control_character_in(scope)
            if field is None:
                await self.app(scope, receive, send_wrapper)
            else:
                api = scope["path"].startswith(("/api/", "/schema"))
                body, kind = bad_address_response(field, language, api)
                start: HTTPResponseStartEvent = {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [(b"content-type", kind)],
                }
                end: HTTPResponseBodyEvent = {
                    "type": "http.response.body",
                    "body": body,
                    "more_body": False,
                }
                await send_wrapper(start)
                await send(end)
        finally:
            current_language.reset(token)
            user: Any = scope.get("user")
            self.log.info(
                "request",
                method=scope["method"],
                path=logged_path(scope["path"]),
                status=status["code"],
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                user_id=getattr(user, "id", None),
            )


# Paths that carry a one-time secret (an invitation's or a reset's link): logged without it.
SECRET_PATHS = re.compile(r"^(/invitations/|/password-reset/)[^/]+")


def logged_path(path: str) -> str:
    return SECRET_PATHS.sub(r"\1…", path)


# --- the input guard, inside Litestar (after routing, before the handlers) ----------------

# Every id a path names (users, invitations, tokens, tasks, webhooks, numbers of a notice)
# is a 32-bit column: PostgreSQL refuses a larger value with an error, not "not found".
PATH_INTEGERS = range(-(2**31), 2**31)
MAX_JSON_DEPTH = 32  # the API's bodies are two levels deep: an object of lists of text
# The largest body that is not a form: the API's largest, every answer at its longest
# (30-odd texts of at most 10,000 characters), is well under it. Litestar's own limit
# (request_max_body_size, 10,000,000 bytes) stays for the forms.
MAX_JSON_BODY = 1024 * 1024
MAX_CSV_BODY = 5_000_000  # a CSV of controllers (incidents.controller_csv.MAX_BYTES)
FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")
# A string, to its closing quote or the end of the body (so a match never fails and the
# scan stays linear whatever the body holds).
JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.?)*+(?:"|\Z)', re.DOTALL)
BRACKETS = bytes.maketrans(b"{}", b"[]")  # for nesting, an object is a list
NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
TOO_LARGE = Text(
    "The body is larger than {size} bytes, more than any request of the API needs",
    "De inhoud is groter dan {size} bytes, meer dan enig verzoek aan de API nodig heeft",
)
TOO_DEEP = Text(
    "The JSON is nested more than {levels} levels deep",
    "De JSON is meer dan {levels} niveaus diep genest",
)


def _nesting(levels: int) -> re.Pattern[bytes]:
    """Brackets only: a run of balanced groups, none nested deeper than ``levels``. The
    quantifiers are possessive (the grammar has one parse), so the match is linear and
    runs in the regular expression engine, never in a Python loop."""
    group = rb"\[\]"
    for _ in range(levels - 1):
        group = rb"\[(?:" + group + rb")*+\]"
    return re.compile(rb"(?:" + group + rb")*+")


WITHIN_DEPTH = _nesting(MAX_JSON_DEPTH)


def nested_too_deep(body: bytes) -> bool:
    """Whether JSON nests more than MAX_JSON_DEPTH levels, outside its strings.

    Cheap for any body: a body without that many brackets is not looked at further (two
    counts); otherwise its strings are dropped, the brackets kept, and one regular
    expression checks that they pair up no deeper than the limit. Only when they do not
    (too deep, or not JSON at all) does the JSON decoder tell which: it raises
    RecursionError at its own depth (about a thousand) and stops at the first fault."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    text = JSON_STRING.sub(b"", body) if b'"' in body else body
    if WITHIN_DEPTH.fullmatch(text.translate(BRACKETS, NOT_BRACKETS)):
        return False
    try:
        msgspec.json.decode(body)
    except RecursionError:
        return True
    except msgspec.DecodeError:
        return False  # not JSON: the handler's decoder answers 400 with its own message
    return True  # JSON whose brackets pair up, but deeper than the limit


def _limited(receive: Receive, limit: int) -> Receive:
    """``receive`` that refuses (413) a body growing past ``limit`` bytes as it arrives."""
    received = 0

    async def wrapper() -> ReceiveMessage:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _too_large(limit)
        return message

    return wrapper


def _too_large(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(TOO_LARGE.get(current_language.get()).format(size=limit))


class InputGuardMiddleware:
    """What no handler should meet: a path integer that no id column (32 bits) holds (a 404, as
    for any id that does not exist, instead of an overflow in the database driver), a body
    that is not a form larger than MAX_JSON_BODY (413, refused by its Content-Length
    before it is read, or as it arrives), and one nested deeper than MAX_JSON_DEPTH (a 400
    naming the body, instead of the JSON decoder's recursion error, a 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            for value in scope.get("path_params", {}).values():
                if (
                    isinstance(value, int)
                    and not isinstance(value, bool)
                    and value not in PATH_INTEGERS
                ):
                    raise NotFoundException()
            if scope["method"] in {"POST", "PUT", "PATCH"}:
                receive = await self._check_body(scope, receive)
        await self.app(scope, receive, send)

    async def _check_body(self, scope: Scope, receive: Receive) -> Receive:
        headers = scope.get("headers", [])
        kind = next((v for n, v in headers if n == b"content-type"), b"")
        if kind.lower().startswith(FORM_TYPES):
            return receive
        csv_body = kind.lower().startswith(b"text/csv")  # the controllers' import
        limit = MAX_CSV_BODY if csv_body else MAX_JSON_BODY
        length = next((v for n, v in headers if n == b"content-length"), b"").strip()
        if length.isdigit() and (len(length) > 9 or int(length) > limit):
            raise _too_large(limit)  # said before it is sent: nothing of it is read
        receive = _limited(receive, limit)
        if csv_body:
            return receive
        request: Request[Any, Any, Any] = Request(scope, receive)
        body = await request.body()  # kept in the scope; the handler reads it from there
        if nested_too_deep(body):
            message = TOO_DEEP.get(current_language.get()).format(levels=MAX_JSON_DEPTH)
            raise ValidationException(message, extra=[{"key": "body", "message": message}])
        return receive
