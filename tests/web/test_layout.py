"""The page frame: security headers, vendored htmx, language switch, request log."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import structlog

from incidents.settings import PROJECT_ROOT
from tests.helpers import OFFICER_ACME, STAFF, PageClient
from tests.web.notice_helpers import file_via_api

pytestmark = pytest.mark.usefixtures("demo")

HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


def test_vendored_htmx_is_exactly_2_0_11() -> None:
    path = PROJECT_ROOT / "static" / "vendor" / "htmx-2.0.11.min.js"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == HTMX_SHA256
    sums = (PROJECT_ROOT / "static" / "vendor" / "SHA256SUMS").read_text()
    assert f"{HTMX_SHA256}  htmx-2.0.11.min.js" in sums


def test_pages_load_only_local_scripts_and_styles(client: PageClient) -> None:
    client.login(STAFF)
    soup = client.page("/")
    scripts = [tag["src"] for tag in soup.select("script")]
    assert scripts == ["/static/vendor/htmx-2.0.11.min.js", "/static/js/breachdesk.js"]
    assert [tag["href"] for tag in soup.select("link[rel=stylesheet]")] == [
        "/static/css/breachdesk.css"
    ]
    assert not soup.select("script:not([src])"), "inline script would break the CSP"
    assert not soup.select("[style]"), "inline style would break the CSP"
    for url in [*scripts, "/static/css/breachdesk.css"]:
        response = client.get(url)
        assert response.status_code == 200, url
    htmx = client.get("/static/vendor/htmx-2.0.11.min.js").content
    assert hashlib.sha256(htmx).hexdigest() == HTMX_SHA256


def test_htmx_keeps_no_history_of_breach_pages(client: PageClient) -> None:
    soup = client.page("/login")
    config = json.loads(soup.select_one('meta[name="htmx-config"]')["content"])
    assert config["historyCacheSize"] == 0 and config["includeIndicatorStyles"] is False


@pytest.mark.parametrize(
    "url", ["/login", "/healthz", "/static/css/breachdesk.css", "/api/v1/me", "/nope"]
)
def test_security_headers_on_every_response(client: PageClient, url: str) -> None:
    headers = client.get(url, follow_redirects=False).headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"


def test_pages_are_not_cached(client: PageClient) -> None:
    client.login(STAFF)
    assert client.get("/").headers["cache-control"] == "no-store"


def test_cookies_are_httponly_and_samesite(client: PageClient) -> None:
    login_page = client.get("/login")
    assert (
        "HttpOnly" in login_page.headers["set-cookie"]
        and "SameSite=lax" in login_page.headers["set-cookie"]
    )
    response = client.login(STAFF)
    session_cookie = next(
        v for v in response.headers.get_list("set-cookie") if v.startswith("bd_session=")
    )
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie


def test_language_switch_to_dutch_and_back(client: PageClient) -> None:
    client.login(OFFICER_ACME)
    response = client.submit("/language", {"language": "nl", "next": "/account"})
    assert response.status_code == 303 and response.headers["location"] == "/account"
    soup = client.page("/account")
    assert soup.html["lang"] == "nl"
    assert soup.h1.get_text() == "Uw account"
    assert soup.select_one(".logout-form button").get_text(strip=True) == "Uitloggen"
    client.submit("/language", {"language": "en", "next": "/account"})
    assert client.page("/account").h1.get_text() == "Your account"


def test_language_choice_is_remembered_at_next_login(client: PageClient, make_client) -> None:
    client.login(OFFICER_ACME)
    client.submit("/language", {"language": "nl", "next": "/"})
    other = make_client()
    other.login(OFFICER_ACME)
    assert other.page("/").h1.get_text() == "Termijnen"


def test_browser_language_is_used_before_a_choice(client: PageClient) -> None:
    dutch = client.get("/login", headers={"accept-language": "nl-NL,nl;q=0.9,en;q=0.5"})
    assert "<h1>Inloggen</h1>" in dutch.text
    english = client.get("/login", headers={"accept-language": "en-GB,en;q=0.9,nl;q=0.1"})
    assert "<h1>Log in</h1>" in english.text


def test_unknown_language_is_ignored(client: PageClient) -> None:
    response = client.submit("/language", {"language": "xx", "next": "https://evil.example"})
    assert response.headers["location"] == "/"
    assert "bd_lang" not in response.headers.get("set-cookie", "")


def test_dutch_error_page_title(client: PageClient) -> None:
    client.submit("/language", {"language": "nl", "next": "/"})
    soup = client.submit_page("/login", {"email": "a@b.example", "password": "verkeerd-wachtwoord"})
    assert soup.title.get_text().startswith("Fout: Inloggen")
    assert "Er is een probleem" in soup.select_one(".error-summary").text


def test_request_log_line_has_no_personal_data(client: PageClient) -> None:
    assert client.csrf
    with structlog.testing.capture_logs() as logs:
        client.submit("/login", {"email": STAFF, "password": "breachdesk-demo", "next": "/account"})
        client.get("/account")
    lines = [entry for entry in logs if entry["event"] == "request"]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("POST", "/login", 303),
        ("GET", "/account", 200),
    ]
    assert lines[0]["user_id"] is None and isinstance(lines[1]["user_id"], int)
    assert all(isinstance(line["duration_ms"], float) for line in lines)
    assert set(lines[0]) == {
        "event",
        "log_level",
        "method",
        "path",
        "status",
        "duration_ms",
        "user_id",
    }
    dumped = json.dumps(logs)
    assert STAFF not in dumped and "breachdesk-demo" not in dumped and "bd_session" not in dumped


def test_logging_writes_json(tmp_path: Path) -> None:
    import io

    from incidents.logs import configure_logging, get_logger

    stream = io.StringIO()
    configure_logging(stream=stream)
    get_logger().info("request", method="GET", path="/", status=200, duration_ms=1.5, user_id=3)
    record = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert record["event"] == "request" and record["user_id"] == 3 and record["level"] == "info"
    configure_logging()


def test_server_error_log_has_no_exception_message() -> None:
    from incidents.logs import safe_traceback

    try:
        raise ValueError("secret personal detail")
    except ValueError as exc:
        where = safe_traceback(exc)
    assert where and "secret personal detail" not in json.dumps(where)


def test_downloads_name_their_charset_once(client: PageClient, api_headers) -> None:
    """Issue 13: "text/csv; charset=utf-8; charset=utf-8" no more."""
    file_via_api(client, api_headers(STAFF))
    client.login(STAFF)
    for url, kind in (
        ("/incidents/export.csv", "text/csv"),
        ("/incidents/export.json", "application/json"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        content_type = response.headers["content-type"]
        assert content_type.startswith(kind) and content_type.count("charset") <= 1, content_type
