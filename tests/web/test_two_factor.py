"""Issue 16: two-factor login (TOTP, RFC 6238). Set up on the account page (the key as a
QR code and as text; ten recovery codes shown once); the login asks for the code after
the password; a code is never accepted twice; recovery codes work once; tries are
limited; roles in BREACHDESK_REQUIRE_2FA must set it up before anything else, and their
API tokens are refused until then; an administrator resets a lost second factor."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pyotp
import pytest
from sqlmodel import Session, select

from incidents.models import OutboxMessage, User
from tests.helpers import ADMIN, DEMO_PASSWORD, STAFF, PageClient

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def settings(settings):
    """As everywhere, but administrators must log in with a second factor (the default)."""
    return dataclasses.replace(settings, require_2fa=frozenset({"admin"}))


def _code(secret: str, clock, seconds: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=seconds))


def _enrol(client: PageClient, clock) -> tuple[str, list[str]]:
    """Set up two-factor login for the logged-in user: the secret and recovery codes."""
    page = client.page("/account/two-factor")
    secret = page.select_one(".totp-secret").get_text().replace(" ", "")
    assert page.select_one(".qr-code svg") is not None
    wrong = client.submit("/account/two-factor", {"code": "000000"})
    assert wrong.status_code == 200 and "This code is not right" in wrong.text
    done = client.submit_page("/account/two-factor", {"code": _code(secret, clock)})
    codes = [li.get_text(strip=True) for li in done.select(".recovery-codes li")]
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


def _password(client: PageClient, email: str = STAFF):
    return client.submit("/login", {"email": email, "password": DEMO_PASSWORD})


def test_set_up_then_log_in_with_a_code_never_the_same_code_twice(
    client: PageClient, make_client, clock
) -> None:
    clock.freeze(clock.now().replace(second=5, microsecond=0))
    client.login(STAFF)
    assert "Off: you log in with your password only" in client.page("/account").text
    secret, _codes = _enrol(client, clock)
    assert "On: you log in with your password" in client.page("/account").text

    browser = make_client()
    step_one = _password(browser)
    assert step_one.status_code == 303 and step_one.headers["location"] == "/login/code"
    assert browser.client.get("/", follow_redirects=False).status_code == 303, "not yet in"
    used = browser.submit("/login/code", {"code": _code(secret, clock)})
    assert used.status_code == 200 and "used already" in used.text, "the enrolment's code"
    clock.travel(timedelta(seconds=30))
    fresh = _code(secret, clock)
    assert browser.submit("/login/code", {"code": fresh}).status_code == 303
    assert browser.client.get("/", follow_redirects=False).status_code == 200

    again = make_client()
    _password(again)
    replay = again.submit("/login/code", {"code": fresh})
    assert "used already" in replay.text, "an overheard code does not work twice"
    earlier = again.submit("/login/code", {"code": _code(secret, clock, -30)})
    assert "used already" in earlier.text, "nor one of an earlier step"


def test_a_recovery_code_works_once(client: PageClient, make_client, clock) -> None:
    client.login(STAFF)
    _secret, codes = _enrol(client, clock)
    browser = make_client()
    _password(browser)
    assert browser.submit("/login/code", {"code": codes[3].upper()}).status_code == 303
    again = make_client()
    _password(again)
    assert "used already" in again.submit("/login/code", {"code": codes[3]}).text
    left = client.page("/account/two-factor").text
    assert "You have 9 unused recovery codes" in left


def test_tries_are_limited_and_the_password_step_runs_out(
    client: PageClient, make_client, clock
) -> None:
    client.login(STAFF)
    secret, _codes = _enrol(client, clock)
    clock.travel(timedelta(seconds=30))
    browser = make_client()
    _password(browser)
    for _n in range(5):
        assert "not right" in browser.submit("/login/code", {"code": "123456"}).text
    limited = browser.submit("/login/code", {"code": _code(secret, clock)})
    assert "Too many codes were tried" in limited.text, "even the right one, for now"
    clock.travel(timedelta(minutes=16))
    late = make_client()
    _password(late)
    clock.travel(timedelta(minutes=6))
    expired = late.submit("/login/code", {"code": _code(secret, clock)})
    assert expired.status_code == 303 and expired.headers["location"] == "/login"
    _password(late)
    assert late.submit("/login/code", {"code": _code(secret, clock)}).status_code == 303


def test_an_admin_sets_it_up_before_anything_else(client: PageClient, clock, api_headers) -> None:
    token = api_headers(ADMIN)
    refused = client.get("/api/v1/me", headers=token)
    assert refused.status_code == 403 and "two-factor" in refused.json()["errors"][0]["message"]
    client.login(ADMIN)
    for path in ("/", "/incidents", "/admin/users/", "/account"):
        response = client.client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/account/two-factor"
    page = client.page("/account/two-factor")
    assert "Your role requires two-factor login" in page.text
    secret, _codes = _enrol(client, clock)
    assert client.client.get("/admin/users/", follow_redirects=False).status_code == 200
    assert client.get("/api/v1/me", headers=token).status_code == 200
    clock.travel(timedelta(seconds=30))
    off = client.submit("/account/two-factor/off", {"off_code": _code(secret, clock)})
    assert off.status_code == 200 and "it stays on" in off.text


def test_an_administrator_resets_a_lost_second_factor(
    client: PageClient, make_client, clock, engine
) -> None:
    staff = make_client()
    staff.login(STAFF)
    _enrol(staff, clock)
    client.login(ADMIN)
    _enrol(client, clock)  # the admin's own, as required
    with Session(engine) as session:
        staff_id = session.exec(select(User.id).where(User.email == STAFF)).one()
    edit = client.page(f"/admin/users/{staff_id}")
    assert "On since" in edit.text
    reset = client.submit(f"/admin/users/{staff_id}/two-factor-reset")
    assert reset.status_code == 303
    assert staff.client.get("/", follow_redirects=False).status_code == 303, "logged out"
    with Session(engine) as session:
        mail = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "security")).one()
    # The processor reads Dutch (the staff member chose no language of their own).
    assert mail.recipients == [STAFF] and "heeft het inloggen met twee factoren" in mail.body_text
    assert "<p>" in mail.body_html
    assert _password(make_client()).headers["location"] == "/", "the password alone again"
    again = client.submit(f"/admin/users/{staff_id}/two-factor-reset")
    assert again.status_code == 200 and "no second factor to reset" in again.text


def test_one_code_sent_by_two_browsers_at_once_logs_in_once(
    client: PageClient, make_client, clock
) -> None:
    """The step of a code is taken with a conditional UPDATE: of two logins with the same
    (overheard) code at the same instant, one gets in and the other is refused."""
    from tests.helpers import at_once

    client.login(STAFF)
    secret, _codes = _enrol(client, clock)
    clock.travel(timedelta(seconds=30))
    first, second = make_client(), make_client()
    _password(first)
    _password(second)
    code = _code(secret, clock)
    answers = at_once(
        lambda: first.submit("/login/code", {"code": code}),
        lambda: second.submit("/login/code", {"code": code}),
    )
    assert sorted(a.status_code for a in answers) == [200, 303]
    refused = next(a for a in answers if a.status_code == 200)
    assert "used already" in refused.text
