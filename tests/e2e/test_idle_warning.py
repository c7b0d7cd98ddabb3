"""Issue 16: the idle warning's script in a real Chromium against the live server. The
browser's clock is moved with Playwright's clock (the page's timers); the login's last
activity is moved back in the live database (as if the person had left the desk), so the
server's own answer decides, as it does for a person: two minutes before the end the
warning shows, "Stay logged in" keeps the login, and at the end the page goes to the login
page, which says why, or, on a questionnaire step, keeps what was typed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, select, update

from incidents.db import make_engine
from incidents.models import User, UserSession, utcnow
from tests.e2e.conftest import LIVE
from tests.e2e.steps import log_in

pytestmark = pytest.mark.e2e

STAFF = "staff@talentcloud.example"


def _idle_since(minutes: float) -> None:
    """The staff member's logins were last active ``minutes`` ago."""
    engine = make_engine(f"sqlite:///{LIVE['workdir']}/live.db")
    try:
        with Session(engine) as session:
            user_id = session.exec(select(User.id).where(User.email == STAFF)).one()
            session.exec(
                update(UserSession)
                .where(col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None))
                .values(last_seen_at=utcnow() - timedelta(minutes=minutes))
            )
            session.commit()
    finally:
        engine.dispose()


def test_the_warning_shows_keeps_the_login_and_ends_it(page, shot) -> None:
    page.clock.install()
    log_in(page)
    warning = page.locator("#idle-warning")
    expect(warning).to_be_hidden()
    # 27 minutes on by the page's clock: it asks the server, which still counts 30.
    with page.expect_response("**/session/idle") as asked:
        page.clock.fast_forward("27:01")
    assert asked.value.json()["seconds_left"] > 1700
    expect(warning).to_be_hidden()
    # Really idle for 28.5 minutes: the next question finds 90 seconds left.
    _idle_since(28.5)
    page.clock.fast_forward("30:00")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("logged out in two minutes")
    expect(warning).to_have_attribute("role", "alertdialog")
    shot(page, "24-idle-warning")
    page.get_by_role("button", name="Stay logged in").click()
    expect(warning).to_be_hidden()
    assert "/login" not in page.url
    # Idle past the end: the page goes to the login page, which says why and comes back.
    _idle_since(31)
    page.clock.fast_forward("30:00")
    page.wait_for_url("**/login?why=idle*")
    expect(page.locator("main")).to_contain_text("30 minutes")
    page.get_by_label("Password").fill("breachdesk-demo")
    page.get_by_label("E-mail address").fill(STAFF)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert page.url.endswith("/"), page.url


def test_a_step_keeps_what_was_typed_when_the_login_ends(page) -> None:
    page.clock.install()
    log_in(page)
    page.goto("/incidents/new")
    page.get_by_role("button", name="Start a report").click()
    page.wait_for_url(re.compile(r"/report$"))
    page.goto(page.url + "/persons")
    typed = "Applicants of the autumn intake"
    page.locator("#affected_group").fill(typed)
    _idle_since(31)
    page.clock.fast_forward("29:00")
    warning = page.locator("#idle-warning")
    expect(warning).to_contain_text("What you typed on this page stays here")
    expect(warning.get_by_role("button", name="Stay logged in")).to_be_hidden()
    assert "/report/persons" in page.url, "the step stays"
    expect(page.locator("#affected_group")).to_have_value(typed)
    # Sent, it is held across the login and saved as the draft.
    with page.expect_navigation():
        page.get_by_role("button", name="Save and come back later").click()
    assert "/login" in page.url
    page.get_by_label("E-mail address").fill(STAFF)
    page.get_by_label("Password").fill("breachdesk-demo")
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert "/report/persons" in page.url, page.url
    expect(page.locator("#affected_group")).to_have_value(typed)
