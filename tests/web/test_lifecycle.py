"""Issue 13: an incident has a life. A draft can be deleted (only a draft, audited); a
submitted incident is closed with a note (refused while a duty is open unless the note says
why) and reopened; the register's "Closed" filter finds it. Through the API and the pages."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, select

from incidents.models import AuditEvent, Incident, IncidentVersion, Notice, OutboxMessage
from tests.helpers import OFFICER_ACME, STAFF, PageClient, check_page
from tests.web.notice_helpers import file_via_api

pytestmark = pytest.mark.usefixtures("demo")


def _draft(client: PageClient, headers: dict[str, str]) -> str:
    body = {"draft": True, "summary": "Started by mistake", "controllers": ["acme"]}
    response = client.post("/api/v1/incidents", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _at_once(make_client, call, callers: int = 2) -> list[int]:
    """The statuses of ``callers`` browsers making the same call at the same instant."""
    barrier = threading.Barrier(callers)
    statuses: list[int] = []

    def run() -> None:
        browser = make_client()
        barrier.wait()
        statuses.append(call(browser).status_code)

    threads = [threading.Thread(target=run) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


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


# --- withdrawing a notice -----------------------------------------------------------------


def _sent(client: PageClient, api_headers) -> str:
    """An incident of Acme and Northwind, its notice sent to Acme only."""
    staff = api_headers(STAFF)
    incident_id = file_via_api(client, staff, controllers=["acme", "northwind"])
    send = client.post(f"/api/v1/incidents/{incident_id}/notices/acme/send", headers=staff)
    assert send.status_code == 200, send.text
    return incident_id


def _withdrawals(engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "withdrawal")
        return list(session.exec(query).all())


def test_the_api_withdraws_a_sent_notice_tells_the_controller_and_its_duties_lapse(
    client: PageClient, api_headers, engine, settings
) -> None:
    staff = api_headers(STAFF)
    incident_id = _sent(client, api_headers)
    base = f"/api/v1/incidents/{incident_id}/notices"
    reason = "The file was encrypted at rest with a key the attacker never had."
    assert client.post(f"{base}/acme/withdraw", json={}, headers=staff).status_code == 422
    odd = client.post(f"{base}/acme/withdraw", json={"reason": 1, "x": 2}, headers=staff)
    assert {e["field"] for e in odd.json()["errors"]} == {"reason", "x"}
    unsent = client.post(f"{base}/northwind/withdraw", json={"reason": reason}, headers=staff)
    assert unsent.status_code == 409, "only a sent notice is withdrawn"
    officer = api_headers(OFFICER_ACME)
    by_officer = client.post(f"{base}/acme/withdraw", json={"reason": reason}, headers=officer)
    assert by_officer.status_code == 404
    done = client.post(f"{base}/acme/withdraw", json={"reason": reason}, headers=staff)
    assert done.status_code == 200, done.text
    assert done.json()["withdrawn_at"] and done.json()["withdrawal_reason"] == reason
    again = client.post(f"{base}/acme/withdraw", json={"reason": reason}, headers=staff)
    assert again.status_code == 409
    [message] = _withdrawals(engine)
    assert "fg@acme.example" in message.recipients
    assert reason in message.body_text and "Ingetrokken" in message.subject, "Acme reads Dutch"
    assert f"{settings.base_url}/incidents/{incident_id}/notices/acme" in message.body_text
    assert message.reply_to == "security@talentcloud.example"
    incident = client.get(f"/api/v1/incidents/{incident_id}", headers=staff).json()
    acme = {o["key"]: o["status"] for o in incident["obligations"] if o["controller"] == "acme"}
    assert acme["gdpr_authority"] == "not_applicable", "the controller's duties lapse"
    assert acme["processor_notice"] == "not_applicable", "not delivered yet: no longer owed"
    # The officer still reads the notice, withdrawn, with the reason.
    read = client.get(f"/api/v1/incidents/{incident_id}", headers=officer).json()
    assert read["notices"][0]["withdrawal_reason"] == reason
    assert "notice.withdrawn" in _actions(engine)
    # A later correction sends no follow-up to the withdrawn notice.
    corrected = client.patch(
        f"/api/v1/incidents/{incident_id}",
        json={"summary": "Corrected after the investigation."},
        headers=staff,
    )
    assert corrected.status_code == 200, corrected.text
    again_sent = client.post(f"{base}/acme/send", headers=staff)
    assert again_sent.status_code == 200 and again_sent.json()["sent"] is False
    assert len(_withdrawals(engine)) == 1


@pytest.mark.parametrize("act", ["delete a draft", "withdraw a notice"])
def test_two_at_once_one_is_done_the_other_refused(
    act: str, client: PageClient, make_client, api_headers, engine
) -> None:
    """Two staff members (or a double click) at the same instant: done once, audited once,
    one message at most; the other is told it is gone (404) or done already (409)."""
    staff = api_headers(STAFF)
    if act == "delete a draft":
        url = f"/api/v1/incidents/{_draft(client, staff)}"
        statuses = _at_once(make_client, lambda browser: browser.delete(url, headers=staff))
        assert sorted(statuses) == [204, 404]
        assert _actions(engine).count("incident.deleted") == 1
        return
    url = f"/api/v1/incidents/{_sent(client, api_headers)}/notices/acme/withdraw"
    body = {"reason": "Not a breach."}
    statuses = _at_once(make_client, lambda browser: browser.post(url, json=body, headers=staff))
    assert sorted(statuses) == [200, 409]
    assert len(_withdrawals(engine)) == 1
    assert _actions(engine).count("notice.withdrawn") == 1


def test_the_notice_page_withdraws_and_both_sides_see_it(
    client: PageClient, api_headers, engine
) -> None:
    incident_id = _sent(client, api_headers)
    client.login(STAFF)
    page = f"/incidents/{incident_id}/notices/acme"
    assert client.page(page).select_one("#withdraw-heading")
    refused = client.submit(f"{page}/withdraw", {"reason": "x" * 4001})
    assert refused.status_code == 200
    soup = check_page(refused.text)
    assert soup.select_one("#reason").get_text() == "x" * 4001, "the reason is kept"
    assert soup.select_one(".error-summary a[href='#reason']")
    reason = "After investigation: the laptop's disk was encrypted."
    done = client.submit(f"{page}/withdraw", {"reason": reason})
    assert done.status_code == 303
    after = client.page(page)
    assert "The notice is withdrawn; Acme Retail B.V. is told by e-mail." in after.text
    assert not after.select_one("#withdraw-heading")
    timeline = client.page(f"/incidents/{incident_id}").select_one("#timeline").get_text(" ")
    assert "Notice to Acme Retail B.V. withdrawn" in timeline
    client.submit("/logout")
    client.login(OFFICER_ACME)
    officer_view = client.page(page)
    assert reason in officer_view.select_one(".key-facts").get_text(" ")
    assert officer_view.select_one(".notice-box")
    assert "withdrawn" in client.page(f"/incidents/{incident_id}").select_one("#timeline").get_text(
        " "
    )


def test_an_incident_without_an_open_duty_closes_with_a_note_alone(
    client: PageClient, api_headers, engine
) -> None:
    """Once no duty is open (here: the only notice withdrawn, its duties lapsed), the note
    is enough: no confirmation about open duties is asked for, on the page or in the API."""
    staff = api_headers(STAFF)
    incident_id = file_via_api(client, staff, controllers=["acme"])
    url = f"/api/v1/incidents/{incident_id}"
    assert client.post(f"{url}/notices/acme/send", headers=staff).status_code == 200
    withdrawn = client.post(
        f"{url}/notices/acme/withdraw", json={"reason": "Not a breach after all."}, headers=staff
    )
    assert withdrawn.status_code == 200
    client.login(STAFF)
    page = client.page(f"/incidents/{incident_id}")
    form = page.select_one("#close form")
    assert form.select_one("textarea[name=note]")
    assert not form.select("input[name=with_open_duties]"), "nothing open to confirm"
    closed = client.submit(form["action"], {"note": "Withdrawn: not a breach."})
    assert closed.status_code == 303
    assert client.get(url, headers=staff).json()["status"] == "closed"
    assert _actions(engine).count("incident.closed") == 1
