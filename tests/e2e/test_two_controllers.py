"""The whole journey in a real Chromium against `breachdesk serve`: a staff member files a
breach affecting two controllers and sends both notices; each controller's privacy
officer logs in, sees only their own notice, acknowledges and decides; the staff member
downloads the report for the supervisory authority.

Done twice: with the mouse, checking every page with axe-core (no serious or critical
violations), and with the keyboard only (Tab, arrows, Space, Enter: no clicks). Each
step's screenshot lands in test-artifacts/screenshots/journey-<mode>/."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
PASSWORD = "breachdesk-demo"
STAFF = "staff@talentcloud.example"
OFFICERS = {"acme": "fg@acme.example", "northwind": "dpo@northwind.example"}


class Driver:
    """Acts on a page by CSS selector, either with the mouse or with the keyboard only.

    Keyboard: Tab until the element has the focus, then type, Space (check a box, choose
    a radio), arrow keys (move within a radio group) or Enter (follow a link, press a
    button). If Tab cannot reach an element the journey fails: that is the test."""

    def __init__(self, page, mode: str, folder: Path, axe: bool) -> None:
        self.page, self.mode, self.folder, self.axe = page, mode, folder, axe
        self.step = 0
        self.violations: list[str] = []
        self.checked: list[str] = []  # the pages axe-core looked at
        folder.mkdir(parents=True, exist_ok=True)

    # --- keyboard focus ---------------------------------------------------------------

    def _focused(self, selector: str) -> bool:
        return bool(
            self.page.evaluate(
                "sel => !!document.activeElement && document.activeElement.matches(sel)", selector
            )
        )

    def tab_to(self, selector: str, limit: int = 250) -> None:
        assert self.page.locator(selector).count() > 0, f"no {selector} on {self.page.url}"
        for _ in range(limit):
            if self._focused(selector):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"Tab never reached {selector} on {self.page.url}")

    # --- actions ------------------------------------------------------------------------

    def fill(self, selector: str, text: str) -> None:
        if self.mode == "mouse":
            self.page.fill(selector, text)
            return
        self.tab_to(selector)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        self.page.keyboard.type(text)

    def check(self, selector: str) -> None:
        target = self.page.locator(selector)
        if self.mode == "mouse":
            target.check()
            return
        if target.get_attribute("type") == "radio":
            name = target.get_attribute("name")
            self.tab_to(f'input[type="radio"][name="{name}"]')
            if self._focused(selector):
                self.page.keyboard.press("Space")
            for _ in range(20):
                if target.is_checked():
                    break
                self.page.keyboard.press("ArrowDown")
        else:
            self.tab_to(selector)
            if not target.is_checked():
                self.page.keyboard.press("Space")
        assert target.is_checked(), selector

    def go(self, selector: str) -> None:
        """Follow a link or press a submit button; wait for the next page."""
        with self.page.expect_navigation():
            if self.mode == "mouse":
                self.page.locator(selector).first.click()
            else:
                self.tab_to(selector)
                self.page.keyboard.press("Enter")
        self.check_accessibility()

    def download(self, selector: str):
        with self.page.expect_download() as info:
            if self.mode == "mouse":
                self.page.locator(selector).first.click()
            else:
                self.tab_to(selector)
                self.page.keyboard.press("Enter")
        return info.value

    # --- what a person would look at ----------------------------------------------------

    def next(self, seen: str | None = None) -> None:
        """The step's screenshot (``seen``), then on to the next step ("continue")."""
        if seen:
            self.seen(seen)
        self.go('form#step-form button[value="continue"]')

    def seen(self, name: str) -> None:
        """A screenshot of this step, for a person to look at."""
        self.step += 1
        self.page.screenshot(path=str(self.folder / f"{self.step:02d}-{name}.png"), full_page=True)

    def check_accessibility(self) -> None:
        """axe-core on the page now shown (with the mouse run; every page reached)."""
        if not self.axe:
            return
        name = self.page.url
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        assert result["testEngine"]["name"] == "axe-core", result.get("testEngine")
        self.checked.append(self.page.url)
        for violation in result["violations"]:
            if violation["impact"] in {"serious", "critical"}:
                targets = [n["target"] for n in violation["nodes"]][:3]
                self.violations.append(
                    f"{name}: {violation['id']} ({violation['impact']}) {targets}"
                )

    def login(self, email: str) -> None:
        self.page.context.clear_cookies()
        self.page.goto("/login")
        self.check_accessibility()
        self.fill("#email", email)
        self.fill("#password", PASSWORD)
        self.go('form[action="/login"] button[type="submit"]')


def _file_incident(d: Driver, summary: str) -> str:
    d.go('a[href="/incidents"]')
    d.seen("register")
    d.go('a[href="/incidents/new"]')
    d.seen("start")
    d.go("form button.button-start")
    d.seen("task-list")
    d.go('.task-list a[href$="/report/controllers"]')
    d.check('input[name="controllers"][value="acme"]')
    d.check('input[name="controllers"][value="northwind"]')
    d.next("step-controllers")
    return answer_the_rest(d, summary)


def answer_the_rest(d: Driver, summary: str) -> str:
    """From the step after the controllers to the submitted incident; its reference."""
    d.fill("#summary", summary)
    d.check('input[name="cause"][value="hacking_malware_phishing"]')
    d.check('input[name="ongoing"][value="no"]')
    d.next("step-incident")
    d.fill("#affected_min", "150")
    d.fill("#affected_max", "420")
    d.fill("#affected_group", "Employees of both clients")
    d.check('input[name="vulnerable_subjects"][value="no"]')
    d.next("step-persons")
    d.check('input[name="occurred_kind"][value="unknown"]')
    found = datetime.now(ZoneInfo("Europe/Amsterdam")) - timedelta(hours=2)
    for part, value in (
        ("day", found.day),
        ("month", found.month),
        ("year", found.year),
        ("time", f"{found:%H:%M}"),
    ):
        d.fill(f"#discovered_at-{part}", str(value))
    d.next("step-dates")
    d.check('input[name="nature"][value="copied"]')
    d.check('input[name="recipients"][value="unknown"]')
    d.check('input[name="malicious"][value="yes"]')
    d.next("step-nature")
    for value in ("name_address", "email", "special"):
        d.check(f'input[name="data_types"][value="{value}"]')
    d.check('input[name="special_categories"][value="health"]')
    d.check('input[name="identifiability"][value="maximum"]')
    for key in ("sensitive_context", "extensive_volume", "public_or_invalid"):
        d.check(f'input[name="{key}"][value="no"]')
    d.next("step-data")
    d.check('input[name="encrypted"][value="no"]')
    d.next()
    d.check('input[name="consequences"][value="stigmatisation"]')
    d.next()
    d.fill("#measures", "Mailbox rules removed, passwords reset, MFA enforced.")
    d.next()
    d.check('input[name="other_eu_countries"][value="no"]')
    d.next()
    d.fill("#contact_name", "Sander Bakker")
    d.fill("#contact_role", "Security officer")
    d.fill("#contact_email", "security@talentcloud.example")
    d.fill("#contact_phone", "+31 20 123 4567")
    d.next("step-contact")
    assert d.page.url.endswith("/report/check"), (
        d.page.url
    )  # (another test may switch the language)
    d.seen("check-answers")
    d.go('form[action$="/submit"] button')
    reference = d.page.locator("h1").inner_text()
    assert re.fullmatch(r"INC-\d{4}-\d{4}", reference), reference
    d.seen("incident-page")
    return reference


def _officer_decides(d: Driver, slug: str, reference: str, notify: bool) -> str:
    d.login(OFFICERS[slug])
    d.go('nav a[href="/notices"]')
    row = d.page.locator("tbody tr", has_text=reference)
    assert row.count() == 1, f"{slug} does not see {reference}"
    d.seen(f"{slug}-inbox")
    d.go(f'tbody a[href="{row.locator("a").first.get_attribute("href")}"]')
    notice_url = d.page.url
    frame = d.page.locator(".notice-frame").inner_text()
    other = "Northwind" if slug == "acme" else "Acme"
    assert other not in frame, f"{slug}'s notice names {other}"
    d.seen(f"{slug}-notice")
    d.go('form[action$="/acknowledge"] button')
    d.go('a[href$="/decision"]')
    d.seen(f"{slug}-decision-form")
    answer = "yes" if notify else "no"
    reasons = (
        (f"{slug}: health data copied by an attacker.", f"{slug}: high risk of stigmatisation.")
        if notify
        else (
            f"{slug}: only our test accounts were in the mailbox.",
            f"{slug}: no real persons concerned.",
        )
    )
    d.check("#is_breach-yes")
    questions = (
        ("notify_authority", "authority_reason"),
        ("inform_data_subjects", "data_subjects_reason"),
    )
    for (question, reason_field), reason in zip(questions, reasons, strict=True):
        d.check(f"#{question}-{answer}")
        d.fill(f"#{reason_field}", reason)
    d.go('form[action$="/decision"] button[type="submit"]')
    assert d.page.url.startswith(notice_url)
    d.seen(f"{slug}-decided")
    return notice_url


@pytest.mark.parametrize("mode", ["mouse", "keyboard"])
def test_two_controllers_from_filing_to_the_regulator_report(
    browser, live_server, mode: str
) -> None:
    context = browser.new_context(
        base_url=live_server,
        locale="en-GB",
        bypass_csp=True,
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    d = Driver(page, mode, SCREENSHOTS / f"journey-{mode}", axe=mode == "mouse")

    d.login(STAFF)
    d.seen("staff-home")
    reference = _file_incident(
        d, f"E2E {mode}: a hacked mailbox with sick notes of two clients' staff."
    )
    d.check("#confirm_send")  # the box names the controllers it goes to
    d.go('form[action$="/notices/send"] button')
    assert d.page.locator("#notices tbody .tag-orange").count() == 0  # nothing left to send
    d.seen("notices-sent")
    incident_url = d.page.url

    acme_notice = _officer_decides(d, "acme", reference, notify=True)
    northwind_notice = _officer_decides(d, "northwind", reference, notify=False)
    # Each officer sees only their own notice: the other's is not there at all.
    response = page.goto(acme_notice)
    assert response is not None and response.status == 404
    page.goto(northwind_notice)

    d.login(STAFF)
    page.goto(incident_url)
    d.seen("staff-incident-after-decisions")
    download = d.download('a[href$="/report.pdf?lang=en"]')
    target = d.folder / f"{reference}-report-en.pdf"
    download.save_as(str(target))
    text = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(target.read_bytes())).pages
    )
    assert reference in text
    assert "Acme Retail B.V.: Yes" in text and "Northwind Logistics Ltd: No" in text
    assert "acme: health data copied by an attacker." in text
    assert "northwind: only our test accounts were in the mailbox." in text
    context.close()
    assert errors == [], errors
    assert d.violations == [], "axe-core found serious or critical problems:\n" + "\n".join(
        d.violations
    )
    if mode == "mouse":
        assert len(d.checked) >= 20, d.checked
