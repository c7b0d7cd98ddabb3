"""A reminder names its notice; the notice may go away (a controller taken off a draft
deletes it). Through HTTP: the draft's step is saved (not a 500), the reminder loses its
notice and is not sent about a controller that is no longer on the incident."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from incidents.models import Notice, Organisation, OutboxMessage
from incidents.reminders import deliver_outbox, queue_reminders, run_once
from tests.factories import complete_answers
from tests.helpers import STAFF, PageClient

pytestmark = pytest.mark.usefixtures("demo")

DISCOVERED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _file_draft(client: PageClient, headers: dict[str, str]) -> str:
    """A draft for Acme (24 contract hours) and Northwind, filed through the API an hour
    after the discovery."""
    body = {
        **complete_answers(
            controllers=["acme", "northwind"],
            discovered_at=DISCOVERED.isoformat(),
            occurred_until="2026-11-20T07:00:00+00:00",
        ),
        "draft": True,
    }
    response = client.post("/api/v1/incidents", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _reminders(engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "reminder")
        return list(session.exec(query.order_by(OutboxMessage.id)).all())  # type: ignore[arg-type]


def _controllers(engine, incident_id: str) -> list[str]:
    with Session(engine) as session:
        query = (
            select(Organisation.slug)
            .join(Notice, Notice.controller_id == Organisation.id)  # type: ignore[arg-type]
            .where(Notice.incident_id == uuid.UUID(incident_id))
        )
        return sorted(session.exec(query).all())


def _take_acme_off(client: PageClient, incident_id: str) -> None:
    client.login(STAFF)
    response = client.submit(
        f"/incidents/{incident_id}/report/controllers",
        {"controllers": ["northwind"], "action": "continue"},
    )
    assert response.status_code == 303, response.text[:2000]


@pytest.mark.parametrize("delivered", [False, True], ids=["queued", "sent"])
def test_a_controller_with_a_reminder_taken_off_a_draft(
    client: PageClient, api_headers, engine, settings, clock: Any, delivered: bool
) -> None:
    clock.freeze(DISCOVERED + timedelta(hours=1))
    incident_id = _file_draft(client, api_headers(STAFF))
    clock.freeze(DISCOVERED + timedelta(hours=13))  # half of Acme's 24 hours has passed
    if delivered:
        assert run_once(engine, settings) == (1, 1)
    else:
        assert queue_reminders(engine, settings) == 1
    [reminder] = _reminders(engine)
    assert reminder.notice_id is not None and ":acme:" in reminder.dedupe_key

    _take_acme_off(client, incident_id)  # deletes Acme's notice; was a 500

    assert _controllers(engine, incident_id) == ["northwind"]
    [reminder] = _reminders(engine)
    assert reminder.notice_id is None, "the reminder outlives its notice"
    assert deliver_outbox(engine, settings) == 0, "never about a controller taken off"
    [reminder] = _reminders(engine)
    if delivered:
        assert reminder.status == "sent"
    else:
        assert reminder.status == "skipped" and "no longer exists" in reminder.last_error
    assert len(list(settings.outbox_dir.glob("*.eml"))) == int(delivered)
    assert client.get(f"/incidents/{incident_id}").status_code == 200
