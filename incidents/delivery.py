"""Delivering the outbox. Any number of workers, in any number of processes on any number
of machines, share the table:

- a worker *claims* one message at a time for a lease (``claimed_by``, ``claimed_at``,
  ``lease_until``): a queued message that is due, or a ``sending`` one whose lease has run
  out (its worker died mid-way). On PostgreSQL the claim takes the row with
  ``FOR UPDATE SKIP LOCKED``, so workers never wait for each other; on SQLite the claim is
  a conditional UPDATE in a write transaction of a few milliseconds;
- it sends the message outside any transaction; every attempt carries the same
  Message-ID (from the dedupe key), so a receiver can drop a second copy sent after a
  crash between the server's acceptance and our record of it;
- it records the outcome: sent (the last error cleared; a notice's delivery starts the
  controller's clock), refused for good (a 5xx reply: ``failed`` at once), or refused for
  now (queued again after a growing pause; ``failed`` after :data:`MAX_ATTEMPTS`). The
  record is tried again after short pauses (:data:`RECORD_PAUSES`) when the database
  refuses it for the moment (a lock timeout, a deadlock, a lost connection): a delivery
  left unrecorded stays ``sending`` and goes out a second time once its lease has run out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, col

from incidents import leases, notices
from incidents.db import session_scope
from incidents.logs import get_logger
from incidents.models import (
    Incident,
    IncidentStatus,
    Notice,
    Organisation,
    OutboxMessage,
    Task,
    table_of,
    utcnow,
)
from incidents.service import incident_facts, records_of
from incidents.settings import Settings
from notify import outbox
from notify.obligations import evaluate

MAX_ATTEMPTS = 8
BACKOFF_CAP_MINUTES = 240
# Seconds between the tries to record an outcome the database refused for the moment.
RECORD_PAUSES = (0.05, 0.2, 0.5, 1.0, 2.0)
log = get_logger("breachdesk.worker")
_table = table_of(OutboxMessage)


@dataclass(frozen=True)
class Claim:
    """A message this worker holds until ``lease_until``; ``token`` tells its claim apart
    from an earlier or later claim of the same message."""

    message_id: int
    token: str
    attempts: int


def claimable(now: datetime) -> Any:
    """Due for an attempt: queued and due, or left ``sending`` past its lease."""
    return or_(
        and_(_table.c.status == "queued", _table.c.next_attempt_at <= now),
        and_(_table.c.status == "sending", _table.c.lease_until <= now),
    )


def _anything_claimable(engine: Engine, now: datetime) -> bool:
    with session_scope(engine) as session:
        return (
            session.execute(select(_table.c.id).where(claimable(now)).limit(1)).first() is not None
        )


def claim_next(engine: Engine, settings: Settings, now: datetime) -> Claim | None:
    """Claim the message that has waited longest, or None when there is none to claim."""
    token = leases.new_token()
    row = leases.claim_one(
        engine,
        _table,
        claimable(now),
        (_table.c.next_attempt_at, _table.c.id),
        {
            "status": "sending",
            "attempts": _table.c.attempts + 1,
            "claimed_by": token,
            "claimed_at": now,
            "lease_until": now + timedelta(seconds=settings.outbox_lease_seconds),
        },
        (_table.c.id, _table.c.attempts),
    )
    return Claim(row[0], token, row[1]) if row else None


def deliver_outbox(
    engine: Engine, settings: Settings, now: datetime | None = None, limit: int = 100
) -> int:
    """Send the messages that are due (at most ``limit``); returns how many went out.
    ``now`` fixes the time of every step (tests); otherwise each step reads the clock."""
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    if not _anything_claimable(engine, clock()):
        return 0  # no write transaction when there is nothing to send
    sent = 0
    for _ in range(limit):
        claim = claim_next(engine, settings, clock())
        if claim is None:
            break
        sent += _deliver(engine, settings, claim, clock)
    return sent


def _deliver(
    engine: Engine, settings: Settings, claim: Claim, clock: Callable[[], datetime]
) -> int:
    with session_scope(engine) as session:
        message = session.get(OutboxMessage, claim.message_id)
        if message is None:
            return 0
        mail = mail_of(message, settings.mail_from)
        stale = _reminder_overtaken(session, message, clock())
        send_id = message.notice_send_id
    if stale:
        _finish(engine, claim, "skipped", stale, clock())
        return 0
    try:
        outbox.deliver(mail, smtp_url=settings.smtp_url, folder=settings.outbox_dir)
    except outbox.DeliveryError as exc:
        _record(claim, _refused, engine, claim, exc.text, exc.permanent, clock())
        log.warning(
            "outbox_refused",
            message_id=claim.message_id,
            attempts=claim.attempts,
            code=exc.code,
            permanent=exc.permanent,
        )
        return 0
    except Exception as exc:
        _record(claim, _refused, engine, claim, type(exc).__name__, False, clock())
        log.warning(
            "outbox_failed",
            message_id=claim.message_id,
            attempts=claim.attempts,
            error=type(exc).__name__,
        )
        return 0
    # Accepted now: every try to record the delivery records this instant.
    _record(claim, _sent, engine, claim, send_id, clock())
    return 1


def _record(claim: Claim, write: Callable[..., None], *args: Any) -> None:
    """``write(*args)``: one short write transaction that records an outcome (running it
    again is harmless), tried again after each pause of :data:`RECORD_PAUSES` while the
    database refuses it for the moment. Any other error, or the last refusal, is raised
    (the worker loop logs it): the message stays ``sending`` until its lease runs out."""
    outcome = write.__name__.lstrip("_")
    for pause in RECORD_PAUSES:
        try:
            write(*args)
            return
        except DBAPIError as exc:
            if not (isinstance(exc, OperationalError) or exc.connection_invalidated):
                raise
            log.warning(
                "outbox_record_retry",
                message_id=claim.message_id,
                outcome=outcome,
                error=type(exc.orig).__name__,
                pause=pause,
            )
        time.sleep(pause)
    try:
        write(*args)
    except DBAPIError as exc:
        log.error(
            "outbox_record_failed",
            message_id=claim.message_id,
            outcome=outcome,
            error=type(exc.orig).__name__,
        )
        raise


def _sent(engine: Engine, claim: Claim, send_id: int | None, at: datetime) -> None:
    """Record the delivery, whoever holds the claim now (the message did go out). Done
    once: a message already recorded as sent is left as it is, and the notice keeps its
    first delivery time (:func:`notices.mark_delivered`)."""
    with session_scope(engine, write=True) as session:
        done = (
            session.connection()
            .execute(
                update(_table)
                .where(_table.c.id == claim.message_id, _table.c.status != "sent")
                .values(status="sent", sent_at=at, last_error="", lease_until=None)
            )
            .rowcount
        )
        if done and send_id is not None:
            notices.mark_delivered(session, send_id, at)


def _refused(engine: Engine, claim: Claim, error: str, permanent: bool, at: datetime) -> None:
    if permanent or claim.attempts >= MAX_ATTEMPTS:
        _finish(engine, claim, "failed", error, at)
        return
    backoff = timedelta(minutes=min(2**claim.attempts, BACKOFF_CAP_MINUTES))
    _finish(engine, claim, "queued", error, at, next_attempt_at=at + backoff)


def _finish(
    engine: Engine, claim: Claim, status: str, error: str, at: datetime, **values: Any
) -> None:
    """End this claim, unless another worker has claimed the message since (its lease
    ran out) or it was sent meanwhile."""
    with session_scope(engine, write=True) as session:
        session.connection().execute(
            update(_table)
            .where(
                _table.c.id == claim.message_id,
                _table.c.claimed_by == claim.token,
                _table.c.status == "sending",
            )
            .values(status=status, last_error=error[:500], lease_until=None, **values)
        )


def _task_overtaken(session: Session, message: OutboxMessage) -> str:
    """A task's reminder is dropped when the task is no longer open or its due time moved
    (its key, task:<id>:<stage>:<due>, names both)."""
    _kind, task_id, _stage, due = [*message.dedupe_key.split(":", 3), "", "", ""][:4]
    task = session.get(Task, int(task_id)) if task_id.isdigit() else None
    if task is None or task.state != "open":
        return "not sent: the task is done or cancelled"
    if task.due_at is None or task.due_at.isoformat() != due:
        return "not sent: the task's due time changed"
    return ""


def _reminder_overtaken(session: Session, message: OutboxMessage, now: datetime) -> str:
    """Why a reminder is no longer worth sending (empty: it is): the notice was sent
    since (the processor's duty), or the duty was met or no longer applies."""
    if message.kind == "task_reminder":
        return _task_overtaken(session, message)
    if message.kind != "reminder":
        return ""
    if message.notice_id is None:
        # Its notice was deleted (the controller taken off a draft). A reminder written
        # before migration 0006 names no notice and no duty: sent as it always was.
        return "not sent: the notice no longer exists" if message.duty else ""
    row = session.execute(
        select(Notice, Incident, Organisation)
        .join(Incident, col(Incident.id) == col(Notice.incident_id))
        .join(Organisation, col(Organisation.id) == col(Notice.controller_id))
        .where(col(Notice.id) == message.notice_id)
    ).first()
    if row is None:
        return "not sent: the notice no longer exists"
    notice, incident, org = row
    if notice.removed_at is not None or incident.status == IncidentStatus.closed:
        return "not sent: the incident was closed or the controller taken off it"
    if message.duty == "processor_notice" and notice.sent_at is not None:
        return "not sent: the notice was sent meanwhile"
    facts = incident_facts(incident, [(notice, org, records_of(session, [notice.id])[notice.id])])
    duty = next((o for o in evaluate(facts, now) if o.key == message.duty), None)
    if duty is None or duty.status not in {"open", "overdue"}:
        return "not sent: the duty was met meanwhile or no longer applies"
    return ""


def mail_of(message: OutboxMessage, sender: str) -> outbox.Mail:
    """The e-mail an outbox row stands for."""
    attachments = (
        # bytes(): PostgreSQL's driver gives a memoryview
        [outbox.Attached(message.attachment_name, bytes(message.attachment), "application/pdf")]
        if message.attachment
        else []
    )
    return outbox.Mail(
        key=message.dedupe_key,
        recipients=list(message.recipients),
        subject=message.subject,
        text=message.body_text,
        html=message.body_html,
        attachments=attachments,
        sender=sender,
        reply_to=message.reply_to,
        date=message.created_at,
    )
