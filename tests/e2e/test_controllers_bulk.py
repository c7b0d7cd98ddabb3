"""Issue 15 in the browser: an administrator imports 200 controllers from a CSV file (a
preview first); staff pick the affected ones by group and by searching the list, file the
incident and send to all of them: the page returns at once and a progress bar (htmx
polling) follows the server's worker until every notice is delivered."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.steps import log_in
from tests.e2e.test_two_controllers import Driver, answer_the_rest

ROWS = 200


def _csv(tmp_path: Path) -> Path:
    lines = ["slug,name,language,contract_hours,emails,groups"]
    lines += [
        f"bulk-{n:03d},Bulk Client {n:03d} Ltd,en,{24 + n % 3 * 12},privacy@bulk-{n:03d}.example,"
        f"{'Payroll' if n % 2 else 'Recruiting'};Region {n % 4}"
        for n in range(ROWS)
    ]
    path = tmp_path / "controllers.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_two_hundred_controllers_pick_them_by_group_and_name_and_send_to_all(
    page, tmp_path: Path, shot
) -> None:
    log_in(page, "admin@talentcloud.example")
    page.get_by_role("link", name="Organisations").click()
    page.get_by_role("link", name="Import from CSV").click()
    page.get_by_label("CSV file").set_input_files(str(_csv(tmp_path)))
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file").click()
    expect(page.locator(".summary-counts")).to_contain_text("200 to add")
    assert page.locator("tbody tr").count() == ROWS
    shot(page, "30-import-preview")
    with page.expect_navigation():
        page.get_by_role("button", name="Import 200 controllers").click()
    expect(page.locator(".notice")).to_contain_text("200 added, 0 changed")

    page.context.clear_cookies()
    log_in(page)
    page.goto("/incidents/new")
    page.get_by_role("button", name="Start a report").click()
    page.wait_for_url(re.compile(r"/report$"))
    report_url = page.url
    page.get_by_role("link", name="Choose the affected controllers").click()
    items = page.locator("#controller-list .checkbox")
    search = page.get_by_label("Find a controller by name")
    search.fill("bulk client 01")
    expect(page.locator("#controller-search-count")).to_have_text(f"10 of {ROWS + 3} shown")
    expect(items.filter(has_text="Bulk Client 015 Ltd")).to_be_visible()
    expect(items.filter(has_text="Bulk Client 120 Ltd")).to_be_hidden()
    page.get_by_label("Bulk Client 015 Ltd").check()
    search.fill("")
    page.get_by_label("Region 1 (50)").check()
    shot(page, "31-controllers-by-group")
    with page.expect_navigation():
        page.locator('form#step-form button[value="continue"]').last.click()
    assert page.locator("h1").inner_text() == "The incident"

    page.goto(report_url + "/controllers")
    expect(page.get_by_label("Region 1 (50)")).to_be_checked()
    expect(page.get_by_label("Bulk Client 015 Ltd")).to_be_checked()
    expect(page.get_by_label("Bulk Client 001 Ltd")).to_be_checked()  # in Region 1
    expect(page.get_by_label("Bulk Client 002 Ltd")).not_to_be_checked()
    assert page.locator("#controller-list input:checked").count() == 51

    # File it and send to all 51: a batch the server's worker renders and delivers.
    with page.expect_navigation():
        page.locator('form#step-form button[value="continue"]').last.click()
    answer_the_rest(
        Driver(page, "mouse", SCREENSHOTS / "bulk", axe=False), "Payroll export left public."
    )
    page.locator("#confirm_send").check()
    with page.expect_navigation():
        page.locator('form[action$="/notices/send"] button').click()
    progress = page.locator("#send-progress")
    expect(progress).to_have_attribute("data-hx-trigger", "every 2s")
    shot(page, "32-sending-to-all")
    expect(page.locator("#send-progress-text")).to_have_text(
        "51 notices: 0 waiting, 0 rendered, 51 delivered, 0 failed.", timeout=180_000
    )
    assert progress.get_attribute("data-hx-get") is None, "polling stops once delivered"
    shot(page, "33-sent-to-all")
    page.reload()
    counts = page.locator(".notice-counts li")
    expect(counts.nth(0)).to_have_text("51 controllers")
    expect(counts.nth(2)).to_have_text("0 to send")
    expect(counts.nth(3)).to_have_text("51 delivered")
    assert page.locator("#notices tbody tr").count() == 50
    assert page.locator("#notices tbody .tag-orange").count() == 0
