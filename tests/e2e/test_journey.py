"""A staff member files, saves halfway, resumes, submits and corrects a breach report in
a real Chromium, then finds it in the register."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import fill_date, log_in

pytestmark = pytest.mark.e2e


def _login(page, email: str = "staff@talentcloud.example") -> None:
    log_in(page, email)
    page.wait_for_url(re.compile(r"/$"))


def _continue(page) -> None:
    _submit(page, "Save and continue")


def _submit(page, name: str) -> None:
    """Press a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def test_file_save_resume_submit_correct(page, browser, live_server, shot) -> None:
    _login(page)
    page.get_by_role("link", name="Register").click()
    page.get_by_role("link", name="Report a breach").click()
    shot(page, "10-start-report")
    page.get_by_role("button", name="Start a report").click()
    page.wait_for_url(re.compile(r"/report$"))
    report_url = page.url
    page.get_by_role("link", name="Choose the affected controllers").click()

    page.get_by_label("Acme Retail B.V.").check()
    page.get_by_label("Northwind Logistics Ltd").check()
    _continue(page)
    page.get_by_label("Summary of the incident").fill(
        "E2E: a backup tape with HR data went missing in transport."
    )
    # "Other" asks "namely"; choosing another cause hides it, and what it holds is not sent.
    page.get_by_label("Other", exact=True).check()
    page.get_by_label("Other cause, namely").fill("A courier's mistake")
    page.get_by_label("Lost or stolen device or paper").check()
    expect(page.locator("#question-cause_other")).to_be_hidden()
    page.get_by_label("No", exact=True).check()
    shot(page, "11-step-incident")
    _continue(page)

    # Halfway: save and leave.
    page.get_by_label("Minimum number of persons").fill("40")
    page.get_by_role("button", name="Save and come back later").click()
    page.wait_for_url(report_url)
    assert "in progress" in page.locator(".task-list").inner_text().lower()
    shot(page, "12-task-list-halfway")

    # A colleague resumes the draft in another browser.
    context = browser.new_context(base_url=live_server, locale="en-GB")
    other = context.new_page()
    _login(other, "admin@talentcloud.example")
    other.goto(report_url)
    other.get_by_role("link", name="Describe the affected persons").click()
    assert other.get_by_label("Minimum number of persons").input_value() == "40"
    other.get_by_label("Maximum number of persons").fill("30")
    other.get_by_label("Describe the group of persons").fill("Employees")
    other.get_by_label("No", exact=True).check()
    _submit(other, "Save and continue")
    # The maximum is below the minimum: the error is shown at the field, input kept.
    assert other.title().startswith("Error: Affected persons")
    assert "at least the minimum (40)" in other.locator("#affected_max-error").inner_text()
    assert other.get_by_label("Describe the group of persons").input_value() == "Employees"
    shot(other, "13-error-persons")
    other.get_by_label("Maximum number of persons").fill("60")
    _submit(other, "Save and continue")
    context.close()

    # Back in the first browser: the dates, with a conditional question revealed by the script.
    page.goto(report_url)
    with page.expect_navigation():
        page.get_by_role("link", name="Give the dates").click()
    on_question = page.locator("#question-occurred_on")
    expect(on_question).to_be_hidden()
    page.get_by_label("On the following date").check()
    expect(on_question).to_be_visible()
    expect(page.locator("#question-occurred_from")).to_be_hidden()
    fill_date(page, "occurred_on", "20", "3", "2026")
    fill_date(page, "discovered_at", "27", "3", "2026", "10:00")
    shot(page, "14-step-dates")
    # "Back" keeps what was typed (issue 13): the dates are there on the way forward again.
    with page.expect_navigation():
        page.locator("button.back-link").click()
    assert page.locator("h1").inner_text() == "Affected persons"
    _continue(page)
    assert page.locator("#occurred_on-day").input_value() == "20"
    assert page.locator("#discovered_at-time").input_value() == "10:00"
    # Enter in a field continues; it never goes back.
    with page.expect_navigation():
        page.locator("#discovered_at-year").press("Enter")
    assert page.locator("h1").inner_text() == "Nature of the breach"
    page.go_back()
    _continue(page)

    page.get_by_label("Stolen").check()
    page.get_by_label("An unknown number of recipients").check()
    page.locator("#question-malicious").get_by_label("Not known yet").check()
    page.get_by_label("Temporarily unavailable").check()
    _continue(page)
    page.get_by_label("Name and address details").check()
    page.get_by_label("Directly (e.g. full name with date of birth or e-mail)").check()
    for question in ("sensitive_context", "extensive_volume", "public_or_invalid"):
        page.locator(f"#question-{question}").get_by_label("No", exact=True).check()
    _continue(page)
    page.locator("#question-encrypted").get_by_label("Partly").check()
    page.get_by_label("How? For encryption, explain the method.").fill(
        "Tape encrypted with AES-256; the index was not."
    )
    page.locator("#question-key_compromised").get_by_label("No", exact=True).check()
    _continue(page)
    page.get_by_label("Exposure to (identity) fraud").check()
    _continue(page)
    page.get_by_label(re.compile("Which technical and organisational measures")).fill(
        "Courier contract reviewed."
    )
    _continue(page)
    page.locator("#question-other_eu_countries").get_by_label("No", exact=True).check()
    _continue(page)
    page.get_by_label("Name", exact=True).fill("Sander Bakker")
    page.get_by_label("Role", exact=True).fill("Security officer")
    page.get_by_label("E-mail", exact=True).fill("security@talentcloud.example")
    page.get_by_label("Phone", exact=True).fill("+31 20 123 4567")
    _continue(page)

    # Check your answers, change one, come back, submit.
    assert page.locator("h1").inner_text() == "Check your answers"
    shot(page, "15-check-answers")
    page.get_by_role("link", name="Change Summary of the incident").click()
    page.get_by_label("Summary of the incident").fill(
        "E2E: a backup tape with HR data was lost by the courier."
    )
    _continue(page)
    assert page.locator("h1").inner_text() == "Check your answers"
    assert "lost by the courier" in page.locator("main").inner_text()
    _submit(page, "Submit breach report")
    reference = page.locator("h1").inner_text()
    assert re.fullmatch(r"INC-\d{4}-\d{4}", reference)
    shot(page, "16-incident-page")

    # A correction makes version 2.
    page.get_by_role("link", name="Correct or supplement").click()
    page.get_by_role("link", name="Describe the affected persons").click()
    page.get_by_label("Maximum number of persons").fill("75")
    page.get_by_label("What changed and why").fill("A second tape was in the same box.")
    _submit(page, "Save correction")
    assert "version 2" in page.locator(".notice").first.inner_text()
    page.get_by_role("link", name="what changed last").click()
    assert (
        "60" in page.locator(".diff-old").inner_text()
        and "75" in page.locator(".diff-new").inner_text()
    )
    shot(page, "17-changes")

    # The register finds it.
    page.goto("/incidents")
    page.get_by_label("Search").fill("courier")
    _submit(page, "Apply filters")
    rows = page.locator("tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert (
        reference in row and "Acme Retail B.V., Northwind Logistics Ltd" in row and "40–75" in row
    )
    shot(page, "18-register")


def test_journey_works_without_javascript(browser, live_server) -> None:
    context = browser.new_context(base_url=live_server, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    _login(page)
    page.goto("/incidents/new")
    page.get_by_role("button", name="Start a report").click()
    page.wait_for_url(re.compile(r"/report$"))
    page.get_by_role("link", name="Give the dates").click()
    # Without the script every question shows, with its condition in words.
    assert page.locator("#question-occurred_on").is_visible()
    page.get_by_label("Between the following dates").check()
    page.locator("#occurred_on-day").fill("1")  # answered, but does not apply: refused
    fill_date(page, "occurred_from", "20", "3", "2026")
    fill_date(page, "occurred_until", "21", "3", "2026")
    fill_date(page, "discovered_at", "27", "3", "2026", "10:00")
    _submit(page, "Save and continue")
    assert (
        "only asked when the breach happened on one date"
        in page.locator(".error-summary").inner_text()
    )
    assert page.locator("#occurred_from-day").input_value() == "20", "input kept"
    page.locator("#occurred_on-day").fill("")
    _submit(page, "Save and continue")
    assert page.locator("h1").inner_text() == "Nature of the breach"
    context.close()
