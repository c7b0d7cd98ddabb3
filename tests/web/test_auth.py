"""Login, logout, rate limits, session rotation and revocation, CSRF."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from incidents.app import SESSION_COOKIE
from incidents.models import User, UserSession
from tests.helpers import ADMIN, OFFICER_ACME, STAFF, PageClient

pytestmark = pytest.mark.usefixtures("demo")


def _logged_in(make_client, email: str) -> PageClient:
    """Another browser, where ``email`` has logged in."""
    browser = make_client()
    browser.login(email)
    return browser


def test_unauthenticated_page_redirects_to_login(client: PageClient) -> None:
    response = client.get("/organisations", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Forganisations"


def test_unauthenticated_htmx_request_gets_client_redirect(client: PageClient) -> None:
    response = client.get("/", headers={"hx-request": "true"}, follow_redirects=False)
    assert response.headers["hx-redirect"] == "/login"


def test_login_page_is_valid_and_has_csrf(client: PageClient) -> None:
    soup = client.page("/login")
    assert soup.select_one("h1").get_text() == "Log in"
    assert soup.select_one('input[name="email"][autocomplete="username"]')


def test_login_and_logout(client: PageClient) -> None:
    response = client.login(STAFF)
    assert response.headers["location"] == "/"
    soup = client.page("/")
    header = soup.select_one(".user-box").get_text(" ", strip=True)
    assert "Sander Bakker" in header and "TalentCloud B.V." in header

    response = client.submit("/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_returns_to_next_page_but_never_off_site(client: PageClient) -> None:
    response = client.submit(
        "/login", {"email": STAFF, "password": "breachdesk-demo", "next": "/organisations"}
    )
    assert response.headers["location"] == "/organisations"
    client.submit("/logout")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.submit(
            "/login", {"email": STAFF, "password": "breachdesk-demo", "next": evil}
        )
        assert response.headers["location"] == "/"
        client.submit("/logout")


def test_wrong_password_keeps_email_and_shows_error_at_field(client: PageClient) -> None:
    soup = client.submit_page("/login", {"email": STAFF, "password": "wrong password"})
    assert soup.title.get_text().startswith("Error: Log in")
    assert soup.select_one(".error-summary a")["href"] == "#email"
    assert (
        soup.select_one("#email-error")
        .get_text(strip=True)
        .endswith("The e-mail address or password is not right")
    )
    assert soup.select_one("#email")["value"] == STAFF
    assert client.get("/", follow_redirects=False).status_code == 303


def test_empty_login_form_is_refused_with_message(client: PageClient) -> None:
    soup = client.submit_page("/login", {"email": "", "password": ""})
    assert "Enter your e-mail address and password" in soup.select_one(".error-summary").text


def test_unknown_account_gets_same_answer_as_wrong_password(client: PageClient) -> None:
    wrong = client.submit("/login", {"email": STAFF, "password": "not the password"})
    unknown = client.submit("/login", {"email": "nobody@nowhere.example", "password": "x" * 12})
    assert wrong.status_code == unknown.status_code == 200
    assert _error_text(wrong.text) == _error_text(unknown.text)


def _error_text(html: str) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html5lib").select_one(".error-summary").get_text(" ", strip=True)


def test_rate_limit_per_account_blocks_even_the_right_password(client: PageClient) -> None:
    for _ in range(5):
        assert (
            client.submit("/login", {"email": STAFF, "password": "bad-guess-123"}).status_code
            == 200
        )
    limited = client.submit("/login", {"email": STAFF, "password": "breachdesk-demo"})
    assert limited.status_code == 429
    assert "Too many failed attempts" in limited.text
    # Another account from the same address is not yet blocked.
    assert (
        client.submit("/login", {"email": ADMIN, "password": "breachdesk-demo"}).status_code == 303
    )


def test_rate_limit_does_not_reveal_whether_an_account_exists(client: PageClient) -> None:
    for email in (STAFF, "ghost@nowhere.example"):
        for _ in range(5):
            client.submit("/login", {"email": email, "password": "bad-guess-123"})
    real = client.submit("/login", {"email": STAFF, "password": "bad-guess-123"})
    ghost = client.submit("/login", {"email": "ghost@nowhere.example", "password": "bad-guess-123"})
    assert real.status_code == ghost.status_code == 429
    assert _error_text(real.text) == _error_text(ghost.text)


def test_rate_limit_per_address(client: PageClient) -> None:
    for number in range(20):
        client.submit("/login", {"email": f"user{number}@nowhere.example", "password": "bad-guess"})
    limited = client.submit("/login", {"email": STAFF, "password": "breachdesk-demo"})
    assert limited.status_code == 429


def test_session_is_rotated_at_login(client: PageClient, engine) -> None:
    client.login(STAFF)
    first = client.cookies.get(SESSION_COOKIE)
    client.login(STAFF)
    second = client.cookies.get(SESSION_COOKIE)
    assert first and second and first != second
    with Session(engine) as session:
        rows = session.exec(select(UserSession)).all()
    assert len(rows) == 2
    assert sum(1 for row in rows if row.revoked_at is None) == 1
    assert {row.revoked_reason for row in rows if row.revoked_at} == {"replaced"}


def test_session_cookie_replayed_after_logout_is_refused(client: PageClient, make_client) -> None:
    client.login(STAFF)
    stolen = client.cookies.get(SESSION_COOKIE)
    client.submit("/logout")
    attacker = make_client()
    attacker.cookies.set(SESSION_COOKIE, stolen, domain="testserver.local")
    response = attacker.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_role_change_revokes_sessions(client: PageClient, make_client) -> None:
    staff = _logged_in(make_client, STAFF)
    assert staff.get("/", follow_redirects=False).status_code == 200
    client.login(ADMIN)
    with_id = _user_id(client, STAFF)
    response = client.submit(
        f"/admin/users/{with_id}",
        {"name": "Sander Bakker", "role": "admin", "org": "talentcloud", "active": "yes"},
    )
    assert response.status_code == 303
    assert staff.get("/", follow_redirects=False).status_code == 303


def test_password_change_revokes_other_sessions(client: PageClient, make_client) -> None:
    other = _logged_in(make_client, OFFICER_ACME)
    client.login(OFFICER_ACME)
    response = client.submit(
        "/account/password",
        {
            "current_password": "breachdesk-demo",
            "new_password": "a-new-long-password",
            "confirm_password": "a-new-long-password",
        },
    )
    assert response.status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 200
    assert other.get("/", follow_redirects=False).status_code == 303
    client.submit("/logout")
    client.login(OFFICER_ACME, "a-new-long-password")


def test_password_change_errors_are_shown_at_the_fields(client: PageClient) -> None:
    client.login(OFFICER_ACME)
    soup = client.submit_page(
        "/account/password",
        {"current_password": "wrong", "new_password": "short", "confirm_password": "other"},
    )
    fields = {a["href"] for a in soup.select(".error-summary a")}
    assert fields == {"#current_password", "#confirm_password"}


def test_admin_password_reset_revokes_sessions(client: PageClient, make_client) -> None:
    officer = _logged_in(make_client, OFFICER_ACME)
    client.login(ADMIN)
    response = client.submit(
        f"/admin/users/{_user_id(client, OFFICER_ACME)}/password", {"password": "reset-password-1"}
    )
    assert response.status_code == 303
    assert officer.get("/", follow_redirects=False).status_code == 303


def test_logout_everywhere_else(client: PageClient, make_client) -> None:
    other = _logged_in(make_client, STAFF)
    client.login(STAFF)
    assert client.submit("/account/sessions/revoke-others").status_code == 303
    assert other.get("/", follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 200


def test_inactive_user_cannot_log_in(client: PageClient, engine) -> None:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == STAFF)).one()
        user.is_active = False
        session.add(user)
        session.commit()
    response = client.submit("/login", {"email": STAFF, "password": "breachdesk-demo"})
    assert response.status_code == 200
    assert "not right" in response.text


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/logout", {}),
        (
            "/account/password",
            {"current_password": "x", "new_password": "y", "confirm_password": "y"},
        ),
        ("/account/tokens", {"label": "x"}),
        ("/account/sessions/revoke-others", {}),
        ("/language", {"language": "en"}),
        ("/admin/users/new", {"email": "a@b.example", "name": "A", "role": "staff"}),
        ("/admin/organisations/new", {"slug": "x", "name": "X"}),
    ],
)
def test_forms_without_csrf_token_are_refused(client: PageClient, url: str, data: dict) -> None:
    client.login(ADMIN)
    response = client.submit(url, data, csrf=False)
    assert response.status_code == 403
    assert "Your form has expired" in response.text
    wrong = client.submit(url, {**data, "_csrf_token": "0" * 128}, csrf=False)
    assert wrong.status_code == 403


def test_login_form_without_csrf_is_refused(client: PageClient) -> None:
    response = client.submit("/login", {"email": STAFF, "password": "breachdesk-demo"}, csrf=False)
    assert response.status_code == 403


def test_htmx_request_with_csrf_header_is_accepted(client: PageClient) -> None:
    client.login(STAFF)
    response = client.post(
        "/account/sessions/revoke-others",
        headers={"x-csrftoken": client.csrf, "hx-request": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def _user_id(client: PageClient, email: str) -> int:
    soup = client.page("/admin/users")
    for row in soup.select("tbody tr"):
        if email in row.get_text():
            return int(row.select_one("a")["href"].rsplit("/", 1)[1])
    raise AssertionError(f"{email} not listed")


def test_static_files_do_not_set_a_csrf_cookie(client: PageClient) -> None:
    """A first visit loads the login page and its assets in parallel: only the page may
    set the CSRF cookie, or an asset's response could replace the token the form holds."""
    for url in ("/static/css/breachdesk.css", "/static/favicon.svg", "/healthz"):
        response = client.get(url)
        assert response.status_code == 200
        assert "bd_csrf" not in response.headers.get("set-cookie", ""), url
    assert "bd_csrf" in client.get("/login").headers.get("set-cookie", "")
