"""The questionnaire journey in the browser, through the HTTP interface."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from incidents.models import AuditEvent, Incident, IncidentVersion, Notice
from tests.helpers import OFFICER_ACME, STAFF, PageClient
from tests.web.journey import STEP_FORMS, file_incident, start_report

pytestmark = pytest.mark.usefixtures("demo")


def _first_step(client: PageClient, step: str, form: dict[str, str], page: bool = False):
    """Staff start a report and send ``form`` for ``step`` with "continue": the incident and
    the response (``page``: the page shown, as checked by ``submit_page``)."""
    client.login(STAFF)
    incident_id = start_report(client)
    send = client.submit_page if page else client.submit
    return incident_id, send(
        f"/incidents/{incident_id}/report/{step}", {**form, "action": "continue"}
    )


# Forms of one step that the server has something to say about.
TOO_FEW_PERSONS = {
    "affected_min": "300",
    "affected_max": "20",
    "affected_group": "",
    "records_approx": "many",
}
IMPOSSIBLE_DATES = {
    "occurred_kind": "on",
    "occurred_on-day": "31",
    "occurred_on-month": "2",
    "occurred_on-year": "2026",
    "discovered_at-day": "27",
    "discovered_at-month": "",
    "discovered_at-year": "2026",
    "discovered_at-time": "10:00",
}
NOT_ENCRYPTED_WITH_LEFTOVERS = {
    "encrypted": "no",
    "encryption_details": "left over from before",
    "key_compromised": "yes",
}


def test_start_page_and_task_list(client: PageClient) -> None:
    client.login(STAFF)
    soup = client.page("/incidents/new")
    assert (
        soup.select_one("form[action='/incidents/new'] button").get_text(strip=True)
        == "Start a report"
    )
    incident_id = start_report(client)
    soup = client.page(f"/incidents/{incident_id}/report")
    statuses = [s.get_text(strip=True) for s in soup.select(".task-status")]
    assert statuses == ["Not yet started"] * 11


def test_each_step_page_is_valid(client: PageClient) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    for step in STEP_FORMS:
        soup = client.page(f"/incidents/{incident_id}/report/{step}")
        assert soup.select_one(".back-link")
        assert soup.select_one("button[value=continue]")


def test_file_a_complete_report(client: PageClient, engine) -> None:
    client.login(STAFF)
    incident_id = file_incident(client)
    soup = client.page(f"/incidents/{incident_id}")
    reference = soup.h1.get_text()
    assert re.fullmatch(r"INC-2026-\d{4}", reference)
    assert f"Breach report {reference} has been submitted." in [
        n.text for n in soup.select(".notice")
    ]
    text = soup.get_text(" ")
    assert "20 March 2026 (whole day)" in text and "27 March 2026, 10:00 CET" in text
    assert "1,250" in text and "Citizen service numbers (BSN) or tax numbers" in text
    with Session(engine) as session:
        incident = session.exec(select(Incident)).one()
        assert incident.status == "submitted" and incident.version == 1
        assert incident.answers["discovered_at"] == "2026-03-27T09:00:00Z"
        assert incident.answers["affected_max"] == 1250
        assert "records_approx" not in incident.answers
        assert len(session.exec(select(Notice)).all()) == 2
        versions = session.exec(select(IncidentVersion)).all()
        assert [(v.version, v.kind) for v in versions] == [(1, "submitted")]
        actions = [
            e.action
            for e in session.exec(select(AuditEvent).where(AuditEvent.incident_id == incident.id))
        ]
    assert actions[0] == "incident.created" and actions.count("incident.step_saved") == 11
    assert actions[-1] == "incident.submitted"


def test_references_are_numbered_per_year(client: PageClient) -> None:
    client.login(STAFF)
    first = client.page(f"/incidents/{file_incident(client)}").h1.get_text()
    second = client.page(f"/incidents/{file_incident(client)}").h1.get_text()
    year = first.split("-")[1]
    assert int(second.rsplit("-", 1)[1]) == int(first.rsplit("-", 1)[1]) + 1
    assert second.startswith(f"INC-{year}-")


def test_errors_keep_input_and_link_to_fields(client: PageClient, engine) -> None:
    _, soup = _first_step(client, "persons", TOO_FEW_PERSONS, page=True)
    assert soup.title.get_text().startswith("Error: Affected persons")
    links = [a["href"] for a in soup.select(".error-summary a")]
    assert links == ["#affected_max", "#affected_group", "#records_approx", "#vulnerable_subjects"]
    assert soup.select_one("#affected_min")["value"] == "300"
    assert soup.select_one("#records_approx")["value"] == "many"
    assert "at least the minimum (300)" in soup.select_one("#affected_max-error").text
    with Session(engine) as session:
        # The valid answer of the page is kept in the draft; the refused ones are not.
        assert session.exec(select(Incident)).one().answers == {"affected_min": 300}


def test_date_errors_follow_the_date_pattern(client: PageClient) -> None:
    _, soup = _first_step(client, "when", IMPOSSIBLE_DATES, page=True)
    messages = {a["href"]: a.get_text() for a in soup.select(".error-summary a")}
    assert messages == {
        "#occurred_on-day": "Date of the breach: The date must be a real date",
        "#discovered_at-month": "When did you become aware of it?: The date must include a month",
    }
    assert soup.select_one("#discovered_at-day")["value"] == "27"


def test_save_and_come_back_later_keeps_a_partial_step(client: PageClient, make_client) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    response = client.submit(
        f"/incidents/{incident_id}/report/incident", {"summary": "Half a story", "action": "save"}
    )
    assert response.headers["location"] == f"/incidents/{incident_id}/report"
    soup = client.page(f"/incidents/{incident_id}/report")
    assert [s.get_text(strip=True) for s in soup.select(".task-status")][1] == "In progress"
    # Another staff member resumes it.
    colleague = make_client()
    colleague.login("admin@talentcloud.example")
    soup = colleague.page(f"/incidents/{incident_id}/report/incident")
    assert soup.select_one("#summary").get_text() == "Half a story"


def test_continue_goes_to_the_next_step_and_change_returns_to_check(client: PageClient) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    response = client.submit(
        f"/incidents/{incident_id}/report/controllers",
        {"controllers": "acme", "action": "continue"},
    )
    assert response.headers["location"] == f"/incidents/{incident_id}/report/incident"
    response = client.submit(
        f"/incidents/{incident_id}/report/controllers",
        {"controllers": "acme", "action": "continue", "return": "check"},
    )
    assert response.headers["location"] == f"/incidents/{incident_id}/report/check"


def test_check_answers_lists_everything_with_change_links(client: PageClient) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    from tests.web.journey import fill_all

    fill_all(client, incident_id)
    soup = client.page(f"/incidents/{incident_id}/report/check")
    changes = soup.select(".summary-action a")
    assert changes and all("?return=check#" in a["href"] for a in changes)
    assert (
        soup.select_one("form[action$='/submit'] button").get_text(strip=True)
        == "Submit breach report"
    )
    assert "Not provided" in soup.text  # records_approx, optional


def test_submitting_an_incomplete_report_lists_the_missing_answers(
    client: PageClient, engine
) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    client.submit(
        f"/incidents/{incident_id}/report/incident", {"summary": "Only this", "action": "save"}
    )
    response = client.submit(f"/incidents/{incident_id}/submit")
    soup = client.submit_page(f"/incidents/{incident_id}/submit", {})
    assert response.status_code == 200
    links = [a["href"] for a in soup.select(".error-summary a")]
    assert f"/incidents/{incident_id}/report/controllers?return=check#controllers" in links
    assert f"/incidents/{incident_id}/report/contact?return=check#contact_phone" in links
    with Session(engine) as session:
        incident = session.exec(select(Incident)).one()
        assert incident.status == "draft" and incident.reference is None


def test_conditional_questions_that_do_not_apply_are_refused_not_dropped(
    client: PageClient, engine
) -> None:
    """Only without the page script can they be answered (it disables hidden fields)."""
    _, soup = _first_step(client, "protection", NOT_ENCRYPTED_WITH_LEFTOVERS, page=True)
    links = [a["href"] for a in soup.select(".error-summary a")]
    assert links == ["#encryption_details", "#key_compromised"]
    with Session(engine) as session:
        assert session.exec(select(Incident)).one().answers == {"encrypted": "no"}


def test_correction_makes_a_new_version_and_shows_the_difference(
    client: PageClient, engine
) -> None:
    client.login(STAFF)
    incident_id = file_incident(client)
    response = client.submit(
        f"/incidents/{incident_id}/report/persons",
        {
            **STEP_FORMS["persons"],
            "affected_max": "1400",
            "note": "Second payroll file found",
            "action": "continue",
        },
    )
    assert response.headers["location"] == f"/incidents/{incident_id}"
    soup = client.page(f"/incidents/{incident_id}")
    assert any("version 2" in n.text for n in soup.select(".notice"))
    soup = client.page(f"/incidents/{incident_id}/changes?from=1&to=2")
    rows = [r.get_text(" ", strip=True) for r in soup.select("tbody tr")]
    assert rows == ["Maximum number of persons 1,250 1,400"]
    assert "Second payroll file found" in soup.text
    old = client.page(f"/incidents/{incident_id}/versions/1")
    assert "1,250" in old.text and "earlier version" in old.text
    with Session(engine) as session:
        versions = session.exec(select(IncidentVersion).order_by(IncidentVersion.version)).all()
    assert [(v.version, v.kind, v.note) for v in versions] == [
        (1, "submitted", ""),
        (2, "correction", "Second payroll file found"),
    ]


def test_a_correction_must_stay_complete(client: PageClient) -> None:
    client.login(STAFF)
    incident_id = file_incident(client)
    soup = client.submit_page(
        f"/incidents/{incident_id}/report/incident",
        {"summary": "", "cause": "other", "ongoing": "no", "action": "continue"},
    )
    assert soup.select_one(".error-summary a")["href"] == "#summary"


def test_unchanged_correction_makes_no_version(client: PageClient, engine) -> None:
    client.login(STAFF)
    incident_id = file_incident(client)
    client.submit(
        f"/incidents/{incident_id}/report/incident",
        {**STEP_FORMS["incident"], "action": "continue"},
    )
    with Session(engine) as session:
        assert session.exec(select(Incident)).one().version == 1


def test_incident_page_shows_audit_trail_to_staff(client: PageClient) -> None:
    client.login(STAFF)
    incident_id = file_incident(client)
    soup = client.page(f"/incidents/{incident_id}")
    trail = soup.select_one(".trail").get_text(" ")
    assert "Submitted" in trail and "Report started" in trail and "Sander Bakker" in trail


def test_officers_cannot_use_the_journey(client: PageClient, make_client) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    officer = make_client()
    officer.login(OFFICER_ACME)
    assert officer.get("/incidents/new").status_code == 403
    assert officer.submit("/incidents/new").status_code == 403
    # A draft is not the officer's to see: its pages answer as if it did not exist.
    for url in (f"/incidents/{incident_id}/report", f"/incidents/{incident_id}/report/incident"):
        assert officer.get(url).status_code == 404
    assert officer.submit(f"/incidents/{incident_id}/submit").status_code == 404


def test_unknown_step_and_incident_are_404(client: PageClient) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    client.page(f"/incidents/{incident_id}/report/nope", status=404)
    client.page("/incidents/00000000-0000-0000-0000-000000000000", status=404)
