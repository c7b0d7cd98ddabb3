"""A privacy officer's review in a real Chromium: the inbox, the notice, acknowledgement, a
question, the decision (with a mistake first) and the authority's number; another
controller's officer cannot open it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import log_in

pytestmark = pytest.mark.e2e


def _login(page, email: str) -> None:
    log_in(page, email)


def test_officer_reviews_and_decides(page, browser, live_server, shot) -> None:
    _login(page, "fg@zorggroep-noord.example")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notices").click()
    expect(page.locator("h1")).to_have_text("Notices")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    shot(page, "30-officer-inbox")
    with page.expect_navigation():
        rows.first.get_by_role("link").click()
    notice_url = page.url
    expect(page.locator(".notice-frame")).to_contain_text("Ransomware encrypted the file server")
    expect(page.locator(".notice-frame")).not_to_contain_text("Acme")
    shot(page, "31-officer-notice")

    with page.expect_navigation():
        page.get_by_role("button", name="Acknowledge receipt").click()
    expect(page.locator(".flash, [role=status]").first).to_contain_text("Receipt acknowledged")

    page.get_by_label("Ask the processor a question").fill("Were the backups encrypted?")
    with page.expect_navigation():
        page.get_by_role("button", name="Send the question").click()
    expect(page.locator(".thread-body").first).to_have_text("Were the backups encrypted?")

    with page.expect_navigation():
        page.get_by_role("link", name="Record your decision").click()
    page.locator("#is_breach-yes").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Record the decision").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Notify the supervisory authority?")
    expect(page.locator("#is_breach-yes")).to_be_checked()
    shot(page, "32-decision-errors")
    page.locator("#nis2_significant-no").check()  # Zorggroep Noord is a NIS2 entity
    page.locator("#notify_authority-yes").check()
    page.get_by_label("Reasons for this choice").fill(
        "Health data and BSNs were copied by an attacker."
    )
    page.locator("#inform_data_subjects-yes").check()
    page.get_by_label("Reasons for informing or not informing").fill("High risk of identity fraud.")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#decision")).to_contain_text("Health data and BSNs were copied")

    now = datetime.now(ZoneInfo("Europe/Amsterdam")) - timedelta(minutes=2)
    form = page.locator("form[action$='/acts/gdpr_authority']")
    form.get_by_label("Day").fill(str(now.day))
    form.get_by_label("Month").fill(str(now.month))
    form.get_by_label("Year").fill(str(now.year))
    form.get_by_label("Time").fill(f"{now:%H:%M}")
    form.get_by_label("The authority's notification number").fill("AP-2026-000123")
    with page.expect_navigation():
        form.get_by_role("button", name="Record it").click()
    expect(page.locator("#acts")).to_contain_text("AP-2026-000123")
    duty = page.locator("#duties tr", has_text="supervisory authority")
    expect(duty).to_contain_text("met")
    shot(page, "33-authority-notified")

    other = browser.new_context(base_url=live_server, locale="en-GB")
    other_page = other.new_page()
    _login(other_page, "fg@acme.example")  # Acme is affected too, but has no notice yet
    response = other_page.goto(notice_url)
    assert response is not None and response.status == 404
    other.close()
