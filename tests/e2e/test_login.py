"""Logging in, switching language and logging out in a real Chromium."""

from __future__ import annotations

import re

import pytest

from tests.e2e.steps import log_in

pytestmark = pytest.mark.e2e


def test_staff_logs_in_switches_language_and_logs_out(page, shot) -> None:
    page.goto("/")
    assert page.url.endswith("/login")
    shot(page, "01-login")
    page.get_by_label("E-mail address").fill("staff@talentcloud.example")
    page.get_by_label("Password").fill("breachdesk-demo")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("h1").inner_text() == "Deadlines"
    assert "TalentCloud B.V." in page.locator(".user-box").inner_text()
    assert page.locator(".user-box").inner_text().startswith("Sander Bakker")
    shot(page, "02-home-staff")

    page.get_by_label("Language").select_option("nl")
    with page.expect_navigation():
        page.get_by_role("button", name="Change language").click()
    assert page.locator("h1").inner_text() == "Termijnen"
    assert page.locator("html").get_attribute("lang") == "nl"
    shot(page, "03-home-dutch")

    page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert "U bent uitgelogd." in page.locator(".notice").inner_text()
    page.goto("/organisations")
    assert "/login" in page.url


def test_wrong_password_shows_focused_error_summary(page, shot) -> None:
    log_in(page, "fg@acme.example", "not the password")
    assert page.title().startswith("Error: Log in")
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.get_by_label("E-mail address").input_value() == "fg@acme.example"
    shot(page, "04-login-error")
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "email"


def test_login_with_the_keyboard_only(page) -> None:
    page.goto("/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.locator("#email").focus()
    page.keyboard.type("fg@acme.example")
    page.keyboard.press("Tab")
    page.keyboard.type("breachdesk-demo")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("h1").inner_text() == "Deadlines"
    assert "Acme Retail B.V." in page.locator("#org-heading + .summary-list").inner_text()
    assert page.locator(".main-nav a").count() == 4  # home, register, notices, statistics
