"""Issue 16 in the browser: an administrator invites a privacy officer; the officer opens
the link in the e-mail, chooses a password, sets up two-factor login with an
authenticator app (the code computed here from the key the page shows), logs out, logs
in with the password and a fresh code, and acknowledges the notice waiting for Northwind
(an English-speaking controller: the pages after the invitation are in its language)."""

from __future__ import annotations

import re
import time
from email import policy
from email.parser import BytesParser

import httpx
import pyotp
from playwright.sync_api import expect
from sqlmodel import Session, select

from incidents.accounts import create_token
from incidents.db import make_engine
from incidents.models import User
from tests.e2e.conftest import LIVE
from tests.e2e.steps import log_in
from tests.factories import complete_answers

NEW = "e2e.dpo@northwind.example"
PASSWORD = "an-officers-own-password"


def _staff_token() -> str:
    engine = make_engine(f"sqlite:///{LIVE['workdir']}/live.db")
    try:
        with Session(engine) as session:
            user = session.exec(select(User).where(User.email == "staff@talentcloud.example")).one()
            token = create_token(session, user, "e2e", actor_id=None)
            session.commit()
        return token
    finally:
        engine.dispose()


def _invitation_link(timeout: float = 60) -> str:
    """The link in the invitation e-mail the server's worker wrote to its outbox folder."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in (LIVE["workdir"] / "outbox").glob("*.eml"):
            message = BytesParser(policy=policy.default).parse(path.open("rb"))
            if NEW in str(message["To"]):
                text = message.get_body(preferencelist=("plain",)).get_content()
                found = re.search(r"https?://\S+/invitations/[A-Za-z0-9_-]+", text)
                assert found, text
                return found.group(0)
        time.sleep(0.5)
    raise AssertionError("no invitation e-mail was delivered")


def _fresh_code(secret: str, used: set[str]) -> str:
    """A code of a time step not used yet (waits for the next step when needed)."""
    totp = pyotp.TOTP(secret)
    while totp.now() in used:
        time.sleep(1)
    code = totp.now()
    used.add(code)
    return code


def test_an_invited_officer_sets_up_two_factor_login_and_acknowledges(
    page, live_server, shot
) -> None:
    api = httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {_staff_token()}"})
    filed = api.post("/api/v1/incidents", json=complete_answers(controllers=["northwind"]))
    assert filed.status_code == 201, filed.text
    incident = filed.json()
    assert api.post(f"/api/v1/incidents/{incident['id']}/notices/northwind/send").status_code == 200

    log_in(page, "admin@talentcloud.example")
    page.goto("/admin/users/")
    page.get_by_role("link", name="Invite a person").click()
    page.get_by_label("E-mail address", exact=True).fill(NEW)
    page.get_by_label("Name", exact=True).fill("Eva de Wit")
    page.get_by_label("Role", exact=True).select_option("officer")
    page.get_by_label("Organisation", exact=True).select_option("northwind")
    with page.expect_navigation():
        page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".notice").first).to_contain_text(f"sent to {NEW}")
    shot(page, "40-invitation-sent")
    page.context.clear_cookies()

    link = _invitation_link()  # written for BREACHDESK_BASE_URL: opened on this server
    page.goto("/invitations/" + link.rsplit("/", 1)[1])
    expect(page.locator("h1")).to_have_text("Choose your password")
    expect(page.locator("#username")).to_have_value(NEW)
    shot(page, "41-invitation-accept")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Create my account").click()
    expect(page.locator(".notice").first).to_contain_text("your account is ready")

    page.goto("/account")
    page.get_by_role("link", name="Set up two-factor login").click()
    secret = page.locator(".totp-secret").inner_text().replace(" ", "")
    expect(page.locator(".qr-code svg")).to_be_visible()
    shot(page, "42-two-factor-set-up")
    used: set[str] = set()
    page.get_by_label("Code from your app").fill(_fresh_code(secret, used))
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on two-factor login").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    shot(page, "43-recovery-codes")
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()

    log_in(page, NEW, PASSWORD)
    expect(page.locator("h1")).to_have_text("Code from your app")
    page.get_by_label("Code", exact=True).fill(_fresh_code(secret, used))
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    page.goto("/notices")
    row = page.locator("tbody tr", has_text=incident["reference"])
    expect(row).to_have_count(1)
    with page.expect_navigation():
        row.get_by_role("link").first.click()
    with page.expect_navigation():
        page.get_by_role("button", name="Acknowledge receipt").click()
    expect(page.locator(".flash, [role=status]").first).to_contain_text("Receipt acknowledged")
    shot(page, "44-officer-acknowledged")
