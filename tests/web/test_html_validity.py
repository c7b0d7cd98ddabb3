"""The pages the journeys visit pass the Nu Html Checker (vnu.jar, the W3C's HTML checker,
installed into .vnu/ by `make vnu`, which `make test` runs): no errors. Warnings are not
asked for (``--errors-only``). The pages are collected first and checked in one run of the
checker, as its Java start takes seconds; a page with a known mistake is checked with them,
so a checker that reads nothing cannot pass."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from httpx import Response

from incidents.settings import PROJECT_ROOT
from tests.helpers import ADMIN, OFFICER_ACME, STAFF, PageClient
from tests.web.journey import STEP_FORMS, fill_all, start_report

pytestmark = pytest.mark.usefixtures("demo")

VNU_JAR = PROJECT_ROOT / ".vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CANARY = "canary.html"
CANARY_HTML = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Canary</title></head>'
    '<body><div hx-get="/x">An attribute no HTML element has.</div></body></html>'
)


class Pages:
    """The pages seen, by a label that says whose page it is and in what state."""

    def __init__(self) -> None:
        self.html: dict[str, str] = {}
        self.urls: dict[str, str] = {}

    def keep(self, label: str, response: Response, status: int) -> str:
        assert response.status_code == status, f"{label}: {response.status_code}, not {status}"
        assert response.headers["content-type"].startswith("text/html"), label
        assert label not in self.html, f"two pages labelled {label!r}"
        self.html[label] = response.text
        self.urls[label] = f"{response.request.method} {response.request.url.raw_path.decode()}"
        return response.text

    def get(
        self, label: str, browser: PageClient, url: str, status: int = 200, **kwargs: Any
    ) -> BeautifulSoup:
        response = browser.get(url, follow_redirects=True, **kwargs)
        return BeautifulSoup(self.keep(label, response, status), "html5lib")

    def post(
        self,
        label: str,
        browser: PageClient,
        url: str,
        data: dict[str, Any],
        status: int = 200,
        errors: bool = True,
    ) -> BeautifulSoup:
        """A form sent and the page it answers with: by default one with an error summary."""
        response = browser.submit(url, data, follow_redirects=True)
        soup = BeautifulSoup(self.keep(label, response, status), "html5lib")
        assert bool(soup.select(".error-summary")) == errors, f"{label}: error summary?"
        return soup


def _sent(browser: PageClient, url: str, data: dict[str, Any] | None = None) -> None:
    response = browser.submit(url, data or {})
    assert response.status_code == 303, f"POST {url}: {response.status_code}"


def _visit_the_journeys(client: PageClient, make_client: Any) -> Pages:
    pages = Pages()

    # Before logging in.
    visitor = make_client()
    pages.get("login", visitor, "/login")
    pages.get("login (Dutch)", visitor, "/login", headers={"Accept-Language": "nl"})
    pages.post("login with a wrong password", visitor, "/login", {"email": STAFF, "password": "x"})
    pages.get("404 before logging in", visitor, "/no-such-page", 404)
    pages.get("400 for a control character in the address", visitor, "/login?next=%00", 400)

    # Staff report a breach: the questionnaire, step by step.
    staff = client
    staff.login(STAFF)
    pages.get("dashboard (staff)", staff, "/")
    pages.get("start page", staff, "/incidents/new")
    incident_id = start_report(staff)
    report = f"/incidents/{incident_id}/report"
    pages.get("task list of a new draft", staff, report)
    for step in STEP_FORMS:
        pages.get(f"step {step}, empty", staff, f"{report}/{step}")
    persons = {"affected_min": "300", "affected_max": "20", "records_approx": "many"}
    pages.post(
        "step persons with errors", staff, f"{report}/persons", persons | {"action": "continue"}
    )
    dates = {"occurred_kind": "on", "occurred_on-day": "31", "occurred_on-month": "2"}
    pages.post("step when with errors", staff, f"{report}/when", dates | {"action": "continue"})
    pages.post(
        "check answers of an incomplete draft", staff, f"/incidents/{incident_id}/submit", {}
    )
    pages.post("task list, delete not confirmed", staff, f"/incidents/{incident_id}/delete", {})
    fill_all(staff, incident_id)
    pages.get("task list of a complete draft", staff, report)
    for step in STEP_FORMS:
        pages.get(f"step {step}, answered", staff, f"{report}/{step}?return=check")
    pages.get("check answers", staff, f"{report}/check")
    _sent(staff, f"/incidents/{incident_id}/submit")
    incident = f"/incidents/{incident_id}"
    submitted = pages.get("incident page (staff, just submitted)", staff, incident)
    assert submitted.select_one("#deadlines"), "the live countdowns"
    pages.get("incident register (staff)", staff, "/incidents")
    pages.get(
        "incident register with a bad period",
        staff,
        "/incidents?since=2026-05-01T00:00:00%2B02:00&until=2026-02-31",
        status=400,
    )

    # The notices: reviewed, sent, answered.
    notice = f"{incident}/notices/acme"
    review = pages.get("notice review with its preview (staff)", staff, notice)
    assert review.select_one(".notice-frame"), "the preview"
    pages.post("send to all, not confirmed", staff, f"{incident}/notices/send", {})
    figures = {"affected_min": "300", "affected_max": "20"}
    pages.post("a controller's figures with errors", staff, f"{notice}/scope", figures)
    bad_csv = {"csv": "slug,affected_min,affected_max\nacme,300,20\nnobody,1,2\n"}
    pages.post("figures per controller, CSV with errors", staff, f"{incident}/scopes", bad_csv)
    _sent(staff, f"{incident}/notices/send", {"confirm_send": "yes"})
    pages.get("incident page (staff, notices sent)", staff, incident)
    bad_task = {"title": "", "owner": "x", "due_at-day": "31", "due_at-month": "2"}
    pages.post("task with errors", staff, f"{incident}/tasks", bad_task)
    task = {"title": "Reset passwords", "owner": STAFF, "due_at-day": "3", "due_at-month": "12",
            "due_at-year": "2027", "due_at-time": "10:00"}  # fmt: skip
    _sent(staff, f"{incident}/tasks", task)
    pages.get("incident page with a task (staff)", staff, incident)
    pages.get("dashboard with an open task (staff)", staff, "/")
    pages.get("notice sent (staff)", staff, notice)
    pages.get("the notice as sent", staff, f"{notice}/sent/1")
    pages.get("notices (staff)", staff, "/notices")
    pages.get("audit trail", staff, "/audit/")
    pages.get("statistics (staff)", staff, "/statistics/")
    pages.get("statistics, a bad period", staff, "/statistics/?since=2026-02-31", 400)
    pages.get("audit trail, one incident's sends", staff, "/audit/?action=notice.sent&incident=INC")
    outbox = pages.get("outbox", staff, "/outbox")
    message = outbox.select_one("tbody a[href^='/outbox/']")
    assert message, "no message in the outbox"
    pages.get("outbox message", staff, str(message["href"]))

    # The privacy officer of a controller.
    officer = make_client()
    officer.login(OFFICER_ACME)
    pages.get("dashboard (officer)", officer, "/")
    pages.get("incident register (officer)", officer, "/incidents")
    pages.get("notices (officer)", officer, "/notices")
    pages.get("statistics (officer)", officer, "/statistics/")
    pages.get("incident page (officer)", officer, incident)
    pages.get("notice (officer, not yet acknowledged)", officer, notice)
    _sent(officer, f"{notice}/acknowledge")
    pages.post("question left empty", officer, f"{notice}/questions", {"body": " "})
    _sent(officer, f"{notice}/questions", {"body": "Were the backups encrypted too?"})
    thread = pages.get("notice with a question (staff)", staff, notice)
    parent = thread.select_one(".thread input[name=parent_id]")
    assert parent, "no answer form under the question"
    answer = {"body": "Yes, with AES-256.", "parent_id": parent["value"]}
    _sent(staff, f"{notice}/questions", answer)
    pages.get("decision form", officer, f"{notice}/decision")
    decision = {"notify_authority": "no", "authority_reason": "Kept"}
    pages.post("decision with errors", officer, f"{notice}/decision", decision)
    decision = {
        "is_breach": "yes",
        "notify_authority": "yes",
        "authority_reason": "Health data were copied.",
        "inform_data_subjects": "yes",
        "data_subjects_reason": "High risk of fraud.",
    }
    _sent(officer, f"{notice}/decision", decision)
    pages.get("notice with a decision (officer)", officer, notice)
    act = {"gdpr_authority-notified_at-day": "31", "gdpr_authority-notified_at-month": "2"}
    pages.post("authority notified, with errors", officer, f"{notice}/acts/gdpr_authority", act)
    pages.get("assessment form", officer, f"{notice}/assessment")
    pages.get("letter to the persons", officer, f"{notice}/letter")
    pages.post("letter left empty", officer, f"{notice}/letter", {"letter": " "})
    dutch = pages.get(
        "notice with a decision (officer, Dutch)",
        officer,
        notice,
        headers={"Accept-Language": "nl"},
    )
    assert dutch.html["lang"] == "nl"
    pages.get("404 for another controller's notice", officer, f"{incident}/notices/northwind", 404)
    pages.get("403 for a staff page (officer)", officer, "/outbox", 403)
    pages.get("incident page with a decision (staff)", staff, incident)

    # A correction: a new version, its changes, the follow-up notice.
    pages.get("correction of a step", staff, f"{report}/persons")
    correction = {**STEP_FORMS["persons"], "affected_max": "1400", "note": "A second file"}
    _sent(staff, f"{report}/persons", correction | {"action": "continue"})
    pages.get("incident page (staff, corrected)", staff, incident)
    pages.get("incident version 1", staff, f"{incident}/versions/1")
    pages.get("changes of the incident", staff, f"{incident}/changes?from=1&to=2")
    follow_up = pages.get("follow-up review (staff)", staff, notice)
    assert follow_up.select_one(".notice-frame .notice-changes"), "the follow-up's changes"

    # The incident's life (issue 13): refused input at its field, a withdrawn notice, closed.
    reason = {"duty": "acme:processor_notice", "reason": "x" * 4001}
    pages.post("delay reason too long", staff, f"{incident}/obligations/reason", reason)
    contradiction = {
        "is_breach": "no",
        "notify_authority": "yes",
        "authority_reason": "A test file.",
        "inform_data_subjects": "yes",
        "art34_ground": "unintelligible",
    }
    pages.post("contradictory decision", officer, f"{notice}/decision", contradiction)
    pages.post("withdraw without a reason", staff, f"{notice}/withdraw", {"reason": " "})
    _sent(staff, f"{notice}/withdraw", {"reason": "After investigation, not a breach."})
    pages.get("withdrawn notice (staff)", staff, notice)
    pages.get("withdrawn notice (officer)", officer, notice)
    pages.post("close without a note", staff, f"{incident}/close", {"note": " "})
    _sent(staff, f"{incident}/close", {"note": "Handled.", "with_open_duties": "yes"})
    pages.get("closed incident", staff, incident)
    pages.get("register, closed ones", staff, "/incidents?status=closed")
    pages.get(
        "register, a reversed period",
        staff,
        "/incidents?since=2026-05-01&until=2026-04-01",
        status=400,
    )
    other = start_report(staff)
    data = {**STEP_FORMS["data"], "special_categories": "health", "action": "continue"}
    pages.post("health without special categories", staff, f"/incidents/{other}/report/data", data)
    cause = {**STEP_FORMS["incident"], "cause": "other", "action": "continue"}
    pages.post("cause other without namely", staff, f"/incidents/{other}/report/incident", cause)

    # Accounts and administration.
    pages.get("account", staff, "/account")
    pages.get("two-factor set-up", staff, "/account/two-factor")
    pages.get("password reset", visitor, "/password-reset")
    pages.post("password reset asked", visitor, "/password-reset", {"email": STAFF}, errors=False)
    pages.post("password reset without an address", visitor, "/password-reset", {"email": ""})
    token = {"label": "Laptop"}
    pages.post("account with a new token", staff, "/account/tokens", token, errors=False)
    admin = make_client()
    admin.login(ADMIN)
    users = pages.get("users", admin, "/admin/users")
    user = users.select_one("tbody a[href^='/admin/users/']")
    assert user, "no user on the users page"
    pages.get("user", admin, str(user["href"]))
    pages.get("new user", admin, "/admin/users/new")
    bad_user = {"email": ADMIN, "name": "", "role": "staff", "password": "short"}
    pages.post("new user with errors", admin, "/admin/users/new", bad_user)
    pages.get("organisations", admin, "/organisations")
    pages.get("organisation", admin, "/organisations/acme")
    pages.get("organisation form", admin, "/admin/organisations/acme")
    pages.get("new organisation", admin, "/admin/organisations/new")
    pages.post("new organisation with errors", admin, "/admin/organisations/new", {"slug": "X"})
    pages.get("controllers import", admin, "/admin/organisations/import")
    rows = "slug,name,contract_hours,groups\nbulk-a,Bulk A,24,HR;Payroll\nacme,Acme,,HR\n"
    preview = {"action": "preview", "csv": rows}
    pages.post(
        "controllers import preview", admin, "/admin/organisations/import", preview, errors=False
    )
    bad = {"action": "preview", "csv": "slug,name,nis2\nBad Slug,,maybe\n"}
    pages.post("controllers import with errors", admin, "/admin/organisations/import", bad)
    invite = {"email": "new@acme.example", "name": "Noor", "role": "officer", "org": "acme"}
    _sent(admin, "/admin/invitations/", invite)
    pages.get("invitations", admin, "/admin/invitations/")
    pages.get("webhooks", admin, "/admin/webhooks/")
    pages.post("webhook with errors", admin, "/admin/webhooks/", {"url": "x", "secret": "y"})
    bad_invite = {"email": "nobody", "name": "", "role": "officer", "org": ""}
    pages.post("invitation with errors", admin, "/admin/invitations/", bad_invite)
    pages.get("a link that no longer works", visitor, "/invitations/" + "x" * 43, 404)
    # Issue 17: Acme becomes a DORA entity under the Irish authority; its pages then show
    # the DORA warning, question and acts. A refused combination keeps the input.
    settings_form = {
        "name": "Acme Retail B.V.", "contract_hours": "24", "language": "nl",
        "emails": "privacy@acme.example", "country": "NL", "timezone": "Europe/Amsterdam",
        "authority": "ie_dpc",
    }  # fmt: skip
    no_dora = {**settings_form, "dora_no_weekend_relief": "yes"}
    pages.post(
        "organisation form, relief without DORA", admin, "/admin/organisations/acme", no_dora
    )
    _sent(admin, "/admin/organisations/acme", {**settings_form, "dora": "yes"})
    pages.get("organisation under DORA with its warning", admin, "/organisations/acme")
    pages.get("decision form (DORA)", officer, f"{notice}/decision")
    pages.get("notice with DORA's acts (officer)", officer, notice)
    return pages


def _check(folder: Path, pages: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every page through the checker in one run: its messages, and the label of each file."""
    if not VNU_JAR.is_file():
        pytest.fail(f"The Nu Html Checker is not installed ({VNU_JAR}): run `make vnu`.")
    java = shutil.which("java")
    if java is None:
        pytest.fail("The Nu Html Checker needs Java 11 or newer, and java is not on the PATH.")
    labels = {CANARY: "canary"}
    (folder / CANARY).write_text(CANARY_HTML, encoding="utf-8")
    for number, (label, html) in enumerate(pages.items(), start=1):
        name = f"{number:02d}-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}.html"
        (folder / name).write_text(html, encoding="utf-8")
        labels[name] = label
    command = [java, "-jar", str(VNU_JAR), "--format", "json", "--stdout", "--errors-only"]
    started = time.monotonic()
    run = subprocess.run(
        [*command, *(str(folder / name) for name in labels)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    seconds = time.monotonic() - started
    print(f"Nu Html Checker: {len(labels)} pages in {seconds:.1f} s")  # shown with -s or -rP
    assert run.returncode in {0, 1}, f"the checker failed ({run.returncode}): {run.stderr[:2000]}"
    return json.loads(run.stdout)["messages"], labels


def test_every_page_of_the_journeys_passes_the_html_checker(
    client: PageClient, make_client: Any, tmp_path: Path
) -> None:
    pages = _visit_the_journeys(client, make_client)
    messages, labels = _check(tmp_path, pages.html)

    problems: dict[str, list[str]] = {}
    for message in messages:
        name = Path(message.get("url", "").removeprefix("file:")).name
        where = f"line {message['lastLine']}" if "lastLine" in message else "the file"
        text = f"{where}: {message['message']}"
        if message.get("extract"):
            text += f"\n      {message['extract'].strip()!r}"
        problems.setdefault(labels.get(name, name), []).append(text)

    canary = problems.pop("canary", [])
    assert any("hx-get" in p for p in canary), f"the checker missed the canary's error: {canary}"
    if problems:
        report = "\n".join(
            f"{label} ({pages.urls.get(label, '?')}):\n" + "\n".join(f"  {p}" for p in found)
            for label, found in problems.items()
        )
        pytest.fail(
            f"The Nu Html Checker found {sum(map(len, problems.values()))} errors "
            f"on {len(problems)} of {len(pages.html)} pages:\n{report}",
            pytrace=False,
        )
