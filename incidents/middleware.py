"""The outermost middleware: language of the request, security headers, the request log."""

from __future__ import annotations

import time
from http.cookies import SimpleCookie
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

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
        if scope["type"] != "http":
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
            await self.app(scope, receive, send_wrapper)
        finally:
            current_language.reset(token)
            user: Any = scope.get("user")
            self.log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status["code"],
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                user_id=getattr(user, "id", None),
            )
