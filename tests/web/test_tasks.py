"""Issue 18, the action plan: tasks through the API and the incident page, changes on a
version (one of two at once wins, the other hears 409), bad input listed at its fields,
reminders to the owner a day before and when overdue, each once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from incidents import tasks
from incidents.models import OutboxMessage
from incidents.reminders import deliver_outbox
from tests.helpers import OFFICER_ACME, STAFF, PageClient
from tests.web.notice_helpers import file_via_api
from tests.web.test_races import _at_once

pytestmark = pytest.mark.usefixtures("demo")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_tasks_through_the_api(client: PageClient, make_client, api_headers) -> None:
    staff = api_headers(STAFF)
    case = file_via_api(client, staff)
    base = f"/api/v1/incidents/{case}/tasks"
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    made = client.post(
        base, json={"title": "Reset passwords", "owner": STAFF, "due_at": _iso(due)}, headers=staff
    )
    assert made.status_code == 201, made.text
    task = made.json()
    assert (task["title"], task["owner"], task["due_at"], task["state"], task["version"]) == (
        "Reset passwords", STAFF, _iso(due), "open", 1,
    )  # fmt: skip
    listed = client.get(base, headers=staff).json()
    assert [t["id"] for t in listed] == [task["id"]]

    bad = client.post(
        base, json={"title": "", "owner": "nobody@x.example", "due_at": "tomorrow", "x": 1},
        headers=staff,
    )  # fmt: skip
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"title", "owner", "due_at", "x"}

    # Two people mark it at once on version 1: one wins, the other hears 409.
    url = f"{base}/{task['id']}"
    apis = [make_client(), make_client()]
    answers = _at_once(
        [
            lambda: apis[0].patch(url, json={"state": "done", "version": 1}, headers=staff),
            lambda: apis[1].patch(url, json={"state": "cancelled", "version": 1}, headers=staff),
        ]
    )
    assert sorted(r.status_code for r in answers) == [200, 409]
    won = next(r for r in answers if r.status_code == 200).json()
    assert won["version"] == 2 and won["state"] in {"done", "cancelled"}
    assert client.get(base, headers=staff).json()[0]["state"] == won["state"]
    assert client.patch(url, json={"state": "open"}, headers=staff).status_code == 422
    assert client.patch(f"{base}/999999", json={"version": 1}, headers=staff).status_code == 404
    officer = api_headers(OFFICER_ACME)
    assert client.get(base, headers=officer).status_code in {403, 404}


def test_tasks_on_the_incident_page(client: PageClient, api_headers) -> None:
    case = file_via_api(client, api_headers(STAFF))
    client.login(STAFF)
    page = f"/incidents/{case}"
    refused = client.submit_page(
        f"{page}/tasks",
        {"title": "Call the forensic firm", "owner": STAFF, "due_at-day": "31",
         "due_at-month": "2", "due_at-year": "2027", "due_at-time": "10:00"},
    )  # fmt: skip
    assert refused.select_one("#title")["value"] == "Call the forensic firm", "input kept"
    assert refused.select_one(".error-summary")
    added = client.submit(
        f"{page}/tasks",
        {"title": "Call the forensic firm", "owner": STAFF, "due_at-day": "3",
         "due_at-month": "12", "due_at-year": "2027", "due_at-time": "10:00"},
    )  # fmt: skip
    assert added.status_code == 303
    dashboard = client.page("/").select_one("#open-tasks")
    assert "Call the forensic firm" in dashboard.text, "open tasks on the deadlines dashboard"
    shown = client.page(page).select_one("#tasks")
    assert "Call the forensic firm" in shown.text and "3 December 2027, 10:00 CET" in shown.text
    form = shown.select_one("form.inline-form")
    values = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    assert client.submit(str(form["action"]), values).status_code == 303
    assert "Done" in client.page(page).select_one("#tasks").text
    assert "No open tasks." in client.page("/").select_one("#open-tasks").text
    stale = client.submit_page(str(form["action"]), values, status=409)  # that version again
    assert "changed this task meanwhile" in stale.text


def test_task_reminders_once_a_day_before_and_when_overdue(
    client: PageClient, api_headers, engine, settings
) -> None:
    staff = api_headers(STAFF)
    case = file_via_api(client, staff)
    now = datetime.now(UTC).replace(microsecond=0)
    due = now + timedelta(hours=30)
    made = client.post(
        f"/api/v1/incidents/{case}/tasks",
        json={"title": "Restore backups", "owner": STAFF, "due_at": _iso(due)},
        headers=staff,
    ).json()

    def reminders() -> list[OutboxMessage]:
        with Session(engine) as session:
            query = select(OutboxMessage).where(OutboxMessage.kind == "task_reminder")
            return list(session.exec(query).all())

    assert tasks.queue_reminders(engine, settings, now) == 0, "more than a day ahead"
    soon = now + timedelta(hours=7)
    assert tasks.queue_reminders(engine, settings, soon) == 1
    assert tasks.queue_reminders(engine, settings, soon + timedelta(minutes=5)) == 0, "once"
    (first,) = reminders()
    assert first.recipients == [STAFF] and "Restore backups" in first.subject
    assert f"/incidents/{case}#tasks" in first.body_text and "Restore backups" in first.body_text
    late = due + timedelta(hours=2)
    assert tasks.queue_reminders(engine, settings, late) == 1
    assert tasks.queue_reminders(engine, settings, late) == 0
    deliver_outbox(engine, settings, late)
    assert {m.status for m in reminders()} == {"sent"}

    # Done before its reminder goes out: the reminder is dropped.
    client.patch(
        f"/api/v1/incidents/{case}/tasks/{made['id']}",
        json={"due_at": _iso(late + timedelta(hours=1)), "version": 1},
        headers=staff,
    )
    assert tasks.queue_reminders(engine, settings, late + timedelta(hours=3)) == 1
    client.patch(
        f"/api/v1/incidents/{case}/tasks/{made['id']}",
        json={"state": "done", "version": 2},
        headers=staff,
    )
    deliver_outbox(engine, settings, late + timedelta(hours=3))
    assert sorted(m.status for m in reminders()) == ["sent", "sent", "skipped"]


def test_two_workers_write_a_task_reminder_once(
    client: PageClient, api_headers, engine, settings
) -> None:
    """Two reminder workers at the same instant (two processes, any database): each
    reminder is one e-mail (the second INSERT meets the first's key)."""
    staff = api_headers(STAFF)
    case = file_via_api(client, staff)
    now = datetime.now(UTC).replace(microsecond=0)
    for title in ("Rotate keys", "Call the bank"):
        client.post(
            f"/api/v1/incidents/{case}/tasks",
            json={"title": title, "owner": STAFF, "due_at": _iso(now - timedelta(hours=1))},
            headers=staff,
        )
    written = _at_once([lambda: tasks.queue_reminders(engine, settings, now)] * 4)
    assert sum(written) == 2
    with Session(engine) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "task_reminder")
        assert len(session.exec(query).all()) == 2
