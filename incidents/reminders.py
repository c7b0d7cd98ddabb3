"""Reminders at 50% and 90% of each duty's time and when it becomes overdue, written to the
outbox, and the outbox delivery. Safe with several workers at once: a reminder exists at
most once (a unique key, inserted with ON CONFLICT DO NOTHING) and a message is claimed by
one worker only (an UPDATE that only one of them can win) before it is sent."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from forms.display import format_datetime
from forms.questionnaire import Text
from incidents import notices
from incidents.db import insert_ignore, session_scope
from incidents.logs import get_logger
from incidents.models import (
    Incident,
    IncidentStatus,
    Notice,
    Organisation,
    OutboxMessage,
    utcnow,
)
from incidents.service import controller_facts, records_of
from incidents.settings import Settings
from notify import outbox
from notify.obligations import IncidentFacts, Obligation, evaluate, reminders_due

MAX_ATTEMPTS = 8
log = get_logger("breachdesk.worker")

THRESHOLD_TEXT = {
    "half": Text("Half of the time has passed", "De helft van de tijd is verstreken"),
    "ninety": Text("90% of the time has passed", "90% van de tijd is verstreken"),
    "overdue": Text("Overdue", "Termijn verstreken"),
}
REMINDER_BODY = Text(
    "{state}: {duty}\nController: {controller}\nIncident: {reference} – {summary}\nDue: {due}\n\n"
    "Open the incident: {link}\n\nThis reminder is sent once per stage (half time, 90%, overdue).",
    "{state}: {duty}\nVerwerkingsverantwoordelijke: {controller}\nIncident: {reference} – {summary}\n"
    "Uiterlijk: {due}\n\nOpen het incident: {link}\n\nDeze herinnering komt één keer per fase "
    "(halverwege, 90%, verstreken).",
)
DRAFT = Text("draft", "concept")


def _recipients(
    session: Session, incident: Incident, org: Organisation, obligation: Obligation
) -> tuple[list[str], str]:
    """Who is reminded, and in which language: the processor for its own duty, the
    controller (its notification addresses and privacy officers) for the controller's."""
    if obligation.regime.party.startswith("processor"):
        own = notices.processor(session)
        return notices.processor_addresses(session, incident), (own.language if own else "nl")
    return notices.controller_addresses(session, org), org.language


def queue_reminders(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Write every reminder that has come due and is not written yet; returns how many."""
    now = now or utcnow()
    written = 0
    with session_scope(engine, write=True) as session:
        rows = session.exec(
            select(Notice, Incident, Organisation)
            .join(Incident, Incident.id == Notice.incident_id)  # type: ignore[arg-type]
            .join(Organisation, Organisation.id == Notice.controller_id)  # type: ignore[arg-type]
            .where(Notice.removed_at.is_(None), Incident.status != IncidentStatus.closed)  # type: ignore[union-attr]
        ).all()
        records = records_of(session, [notice.id for notice, _, _ in rows])
        for notice, incident, org in rows:
            facts = IncidentFacts(
                incident.discovered_at, [controller_facts(notice, org, records[notice.id])]
            )
            for obligation in evaluate(facts, now):
                stages = reminders_due(obligation, now)
                if not stages:
                    continue
                recipients, language = _recipients(session, incident, org, obligation)
                if not recipients:
                    continue
                for stage in stages:
                    # Only the latest stage is worth an e-mail; earlier ones that were never
                    # sent (the worker was down, or the duty started long ago) are skipped.
                    status = "queued" if stage == stages[-1] else "skipped"
                    values = _reminder(
                        incident, org, obligation, stage, recipients, language, settings, status
                    )
                    values.update(created_at=now, next_attempt_at=now)
                    written += (
                        insert_ignore(session, OutboxMessage, ["dedupe_key"], **values) is not None
                    )
    return written


def _reminder(
    incident: Incident,
    org: Organisation,
    obligation: Obligation,
    stage: str,
    recipients: list[str],
    language: str,
    settings: Settings,
    status: str,
) -> dict[str, Any]:
    regime = obligation.regime
    duty = regime.label_nl if language == "nl" else regime.label_en
    reference = incident.reference or DRAFT.get(language)
    state = THRESHOLD_TEXT[stage].get(language)
    due = format_datetime(obligation.due_at, settings.zone, language) if obligation.due_at else ""
    body = REMINDER_BODY.get(language).format(
        state=state, duty=duty, controller=org.name, reference=reference,
        summary=(incident.summary or "")[:200], due=due, link=f"{settings.base_url}/incidents/{incident.id}",
    )  # fmt: skip
    return {
        "dedupe_key": f"reminder:{incident.id}:{org.slug}:{obligation.key}:{stage}",
        "kind": "reminder",
        "recipients": recipients,
        "subject": f"[{reference}] {state}: {duty} ({org.name})",
        "body_text": body,
        "incident_id": incident.id,
        "status": status,
    }


def mail_of(message: OutboxMessage, sender: str) -> outbox.Mail:
    """The e-mail an outbox row stands for."""
    attachments = (
        # bytes(): PostgreSQL's driver gives a memoryview
        [outbox.Attached(message.attachment_name, bytes(message.attachment), "application/pdf")]
        if message.attachment
        else []
    )
    return outbox.Mail(
        key=message.dedupe_key, recipients=list(message.recipients), subject=message.subject,
        text=message.body_text, html=message.body_html, attachments=attachments, sender=sender,
    )  # fmt: skip


def deliver_outbox(
    engine: Engine, settings: Settings, now: datetime | None = None, limit: int = 100
) -> int:
    """Send the queued messages that are due; returns how many went out."""
    now = now or utcnow()
    with session_scope(engine) as session:
        ids = session.exec(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id)  # type: ignore[arg-type]
            .limit(limit)
        ).all()
    sent = 0
    for message_id in ids:
        with session_scope(engine, write=True) as session:
            claimed = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == "queued")  # type: ignore[arg-type]
                .values(status="sending", attempts=OutboxMessage.attempts + 1)
            ).rowcount  # type: ignore[attr-defined]
        if not claimed:
            continue  # another worker has it
        with session_scope(engine) as session:
            message = session.get(OutboxMessage, message_id)
            assert message is not None
            mail = mail_of(message, settings.mail_from)
            attempts = message.attempts
            notice_send_id = message.notice_send_id
        try:
            outbox.deliver(mail, smtp_url=settings.smtp_url, folder=settings.outbox_dir)
        except Exception as exc:
            _failed(engine, message_id, attempts, type(exc).__name__, now)
            log.warning(
                "outbox_failed", message_id=message_id, attempts=attempts, error=type(exc).__name__
            )
            continue
        with session_scope(engine, write=True) as session:
            delivered = utcnow()
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(status="sent", sent_at=delivered)  # type: ignore[arg-type]
            )
            if notice_send_id is not None:
                notices.mark_delivered(session, notice_send_id, delivered)
        sent += 1
    return sent


def _failed(engine: Engine, message_id: int, attempts: int, error: str, now: datetime) -> None:
    backoff = timedelta(minutes=min(2**attempts, 240))
    status = "failed" if attempts >= MAX_ATTEMPTS else "queued"
    with session_scope(engine, write=True) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)  # type: ignore[arg-type]
            .values(status=status, next_attempt_at=now + backoff, last_error=error[:500])
        )


def run_once(engine: Engine, settings: Settings, now: datetime | None = None) -> tuple[int, int]:
    """Deliver the outbox (notices first: a delivered notice meets the processor's duty),
    queue the reminders that have come due, then deliver those."""
    sent = deliver_outbox(engine, settings, now)
    queued = queue_reminders(engine, settings, now)
    sent += deliver_outbox(engine, settings, now)
    if queued or sent:
        log.info("worker_run", reminders_queued=queued, messages_sent=sent)
    return queued, sent


def run_forever(
    engine: Engine, settings: Settings, interval: float = 60, stop: threading.Event | None = None
) -> None:
    stop = stop or threading.Event()
    while not stop.is_set():
        started = time.monotonic()
        try:
            run_once(engine, settings)
        except Exception as exc:
            log.error("worker_error", error=type(exc).__name__)
        stop.wait(max(1.0, interval - (time.monotonic() - started)))
