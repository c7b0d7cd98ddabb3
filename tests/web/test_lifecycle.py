"""Issue 13: an incident has a life. A draft can be deleted (only a draft, audited); a
submitted incident is closed with a note (refused while a duty is open unless the note says
why) and reopened; the register's "Closed" filter finds it. Through the API and the pages."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, select

from incidents.models import AuditEvent, Incident, IncidentVersion, Notice
from tests.helpers import OFFICER_ACME, STAFF, PageClient, check_page
from tests.web.notice_helpers import file_via_api

pytestmark = pytest.mark.usefixtures("demo")


def _draft(client: PageClient, headers: dict[str, str]) -> str:
    body = {"draft": True, "summary": "Started by mistake", "controllers": ["acme"]}
    response = client.post("/api/v1/incidents", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _actions(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all())


# --- deleting a draft -------------------------------------------------------------------


def test_the_api_deletes_a_draft_and_nothing_else(client: PageClient, api_headers, engine) -> None:
    staff = api_headers(STAFF)
    draft = _draft(client, staff)
    submitted = file_via_api(client, staff)
    assert client.delete(f"/api/v1/incidents/{submitted}", headers=staff).status_code == 409
    officer = client.delete(f"/api/v1/incidents/{draft}", headers=api_headers(OFFICER_ACME))
    assert officer.status_code == 404, "an officer never sees a draft"
    response = client.delete(f"/api/v1/incidents/{draft}", headers=staff)
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"/api/v1/incidents/{draft}", headers=staff).status_code == 404
    assert client.delete(f"/api/v1/incidents/{draft}", headers=staff).status_code == 404
    listed = client.get("/api/v1/incidents", headers=staff).json()["items"]
    assert [item["id"] for item in listed] == [submitted]
    with Session(engine) as session:
        row = session.get(Incident, __import__("uuid").UUID(draft))
        assert row is not None and row.deleted_at is not None
        assert row.answers == {} and row.summary == "", "its answers are gone"
        notices = session.exec(select(Notice).where(Notice.incident_id == row.id)).all()
        versions = session.exec(
            select(IncidentVersion).where(IncidentVersion.incident_id == row.id)
        ).all()
        assert notices == [] and versions == []
    assert "incident.deleted" in _actions(engine)


def test_two_deletes_of_one_draft_at_once_give_one_204_and_one_404(
    client: PageClient, make_client, api_headers, engine
) -> None:
    staff = api_headers(STAFF)
    draft = _draft(client, staff)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def delete() -> None:
        browser = make_client()
        barrier.wait()
        statuses.append(browser.delete(f"/api/v1/incidents/{draft}", headers=staff).status_code)

    threads = [threading.Thread(target=delete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [204, 404]
    assert _actions(engine).count("incident.deleted") == 1


def test_the_draft_page_deletes_after_the_box_is_ticked(client: PageClient, api_headers) -> None:
    draft = _draft(client, api_headers(STAFF))
    client.login(STAFF)
    tasks = client.page(f"/incidents/{draft}/report")
    assert tasks.select_one("#delete-heading")
    refused = client.submit(f"/incidents/{draft}/delete", {})
    assert refused.status_code == 200
    soup = check_page(refused.text)
    assert soup.select_one(".error-summary a[href='#confirm']")
    assert soup.select_one("#confirm-error")
    done = client.submit(f"/incidents/{draft}/delete", {"confirm": "yes"})
    assert done.status_code == 303 and done.headers["location"] == "/incidents"
    assert "The draft has been deleted." in client.page("/incidents").text
    assert client.get(f"/incidents/{draft}/report").status_code == 404


# --- closing and reopening ----------------------------------------------------------------


def test_closing_needs_a_note_and_with_open_duties_a_confirmation(
    client: PageClient, api_headers, engine
) -> None:
    staff = api_headers(STAFF)
    incident_id = file_via_api(client, staff)  # discovered in March: every duty is open
    url = f"/api/v1/incidents/{incident_id}"
    empty = client.post(f"{url}/close", json={"note": "  "}, headers=staff)
    assert empty.status_code == 422
    assert {e["field"] for e in empty.json()["errors"]} == {"note", "with_open_duties"}
    too_long = client.post(f"{url}/close", json={"note": "x" * 4001}, headers=staff)
    assert "note" in {e["field"] for e in too_long.json()["errors"]}
    bad = client.post(f"{url}/close", json={"note": "ok", "extra": 1}, headers=staff)
    assert bad.status_code == 422 and "extra" in {e["field"] for e in bad.json()["errors"]}
    wrong = client.post(f"{url}/close", json={"note": 5, "with_open_duties": "y"}, headers=staff)
    assert wrong.status_code == 422
    assert {e["field"] for e in wrong.json()["errors"]} == {"note", "with_open_duties"}
    note = "Handled: the controller decided not to notify; duties left open are theirs."
    closed = client.post(
        f"{url}/close", json={"note": note, "with_open_duties": True}, headers=staff
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed" and body["closing_note"] == note and body["closed_at"]
    again = client.post(
        f"{url}/close", json={"note": note, "with_open_duties": True}, headers=staff
    )
    assert again.status_code == 409
    listed = client.get("/api/v1/incidents?status=closed", headers=staff).json()["items"]
    assert [i["id"] for i in listed] == [incident_id]
    assert client.get("/api/v1/incidents?status=submitted", headers=staff).json()["items"] == []
    correction = client.patch(url, json={"summary": "A later correction."}, headers=staff)
    assert correction.status_code == 409, "a closed incident is reopened before it is corrected"
    officer = client.post(f"{url}/close", json={"note": note}, headers=api_headers(OFFICER_ACME))
    assert officer.status_code == 404, "closing is not an officer's act: as absent as a missing one"
    reopened = client.post(f"{url}/reopen", headers=staff)
    assert reopened.status_code == 200 and reopened.json()["status"] == "submitted"
    assert client.post(f"{url}/reopen", headers=staff).status_code == 409
    assert client.delete(url, headers=staff).status_code == 409
    actions = _actions(engine)
    assert actions.count("incident.closed") == 1 and actions.count("incident.reopened") == 1


def test_a_draft_is_neither_closed_nor_reopened(client: PageClient, api_headers) -> None:
    staff = api_headers(STAFF)
    draft = _draft(client, staff)
    url = f"/api/v1/incidents/{draft}"
    assert client.post(f"{url}/close", json={"note": "No."}, headers=staff).status_code == 409
    assert client.post(f"{url}/reopen", headers=staff).status_code == 409


def test_the_incident_page_closes_keeps_the_note_when_refused_and_reopens(
    client: PageClient, api_headers
) -> None:
    incident_id = file_via_api(client, api_headers(STAFF))
    client.login(STAFF)
    page = client.page(f"/incidents/{incident_id}")
    assert page.select_one("#close-heading")
    assert page.select_one("#with_open_duties"), "the open duties need a confirmation"
    note = "The controller decided; the measures are in place."
    refused = client.submit(f"/incidents/{incident_id}/close", {"note": note})
    assert refused.status_code == 200
    soup = check_page(refused.text)
    assert soup.select_one("#note").get_text() == note, "the note is kept"
    assert soup.select_one(".error-summary a[href='#with_open_duties']")
    assert soup.select_one("#with_open_duties-error")
    done = client.submit(
        f"/incidents/{incident_id}/close", {"note": note, "with_open_duties": "yes"}
    )
    assert done.status_code == 303
    closed = client.page(f"/incidents/{incident_id}")
    assert "The incident is closed." in closed.text
    assert note in closed.select_one(".key-facts").get_text()
    assert not closed.select_one("a[href$='/report']"), "no correction while closed"
    register = client.page("/incidents?status=closed")
    assert incident_id in " ".join(a["href"] for a in register.select("tbody a"))
    assert client.submit(f"/incidents/{incident_id}/reopen").status_code == 303
    assert "The incident is open again." in client.page(f"/incidents/{incident_id}").text
    client.submit("/logout")
    client.login(OFFICER_ACME)
    assert client.submit(f"/incidents/{incident_id}/close", {"note": "x"}).status_code == 404
