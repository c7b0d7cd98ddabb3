"""Reminders at 50% and 90% of each duty's time and when it becomes overdue, written to the
outbox, and the worker loop that delivers the outbox and writes the reminders.

A cycle costs what is due, not what exists: each notice carries the next instant one of
its duties reaches a reminder stage (``Notice.next_reminder_at``, indexed; a change of its
facts makes it due at once, see incidents/signals.py). A cycle reads only the notices due,
outside any write transaction (the processor and each controller's addresses once per
cycle), and writes each notice's reminders in a short write transaction of its own, after
reading the notice again. A notice whose send has committed by then gets no reminder of
the processor's duty; one written just before a send is dropped when it is about to go out
(incidents/delivery.py reads the notice again). A cycle with nothing due reads one index
range and writes nothing.

Safe with several workers at once: a reminder exists at most once (a unique key, inserted
with ON CONFLICT DO NOTHING), a notice's schedule is moved on only if nobody changed it
since it was read, and each message is delivered by the one worker that claimed it
(incidents/delivery.py). The loop sleeps until its interval has passed or a send wakes it
(in this process, or through PostgreSQL's NOTIFY)."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, tuple_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from forms.display import format_datetime
from forms.questionnaire import Text
from incidents import audit, batches, documents, notices, signals, tasks, webhooks
from incidents.auth import prune_login_failures
from incidents.db import insert_ignore, session_scope
from incidents.delivery import deliver_outbox, mail_of
from incidents.logs import get_logger
from incidents.models import (
    Incident,
    IncidentStatus,
    Notice,
    ObligationRecord,
    Organisation,
    OutboxMessage,
    table_of,
    utcnow,
)
from incidents.service import incident_facts, records_of
from incidents.settings import Settings
from notify.obligations import (
    REMINDER_THRESHOLDS,
    Obligation,
    evaluate,
    reminders_due,
)

__all__ = [
    "deliver_outbox",
    "mail_of",
    "queue_reminders",
    "reminder_cycle",
    "run_forever",
    "run_once",
]

BATCH = 200
log = get_logger("breachdesk.worker")
_notice = table_of(Notice)

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


# --- what is due for one notice (pure) ---------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """The reminders a notice is owed now (obligation, stage, "queued" or "skipped") and
    the next instant one of its duties reaches a stage (None: none ahead)."""

    reminders: list[tuple[Obligation, str, str]]
    next_at: datetime | None


def plan(
    notice: Notice,
    incident: Incident,
    org: Organisation,
    records: list[ObligationRecord],
    now: datetime,
) -> Plan:
    if notice.removed_at is not None or incident.status == IncidentStatus.closed:
        return Plan([], None)
    facts = incident_facts(incident, [(notice, org, records)])
    reminders: list[tuple[Obligation, str, str]] = []
    upcoming: list[datetime] = []
    for obligation in evaluate(facts, now):
        if obligation.key == "processor_notice" and notice.sent_at is not None:
            continue  # sent: its delivery meets the duty; being delivered is not being late
        stages = reminders_due(obligation, now)
        # Only the latest stage is worth an e-mail; earlier ones that were never sent (the
        # worker was down, or the duty started long ago) are written as skipped.
        reminders += [(obligation, s, "queued" if s == stages[-1] else "skipped") for s in stages]
        moment = next_stage_at(obligation, now)
        if moment is not None:
            upcoming.append(moment)
    return Plan(reminders, min(upcoming, default=None))


def next_stage_at(obligation: Obligation, now: datetime) -> datetime | None:
    """The first instant after ``now`` at which the obligation reaches a reminder stage."""
    if obligation.status not in {"open", "overdue"} or obligation.due_at is None:
        return None
    if obligation.starts_at is None:
        return None
    moments = [_reaches(obligation, limit) for _name, limit in REMINDER_THRESHOLDS[:2]]
    moments.append(obligation.due_at + timedelta(microseconds=1))  # overdue: past its due time
    return min((m for m in moments if m > now), default=None)


def _reaches(obligation: Obligation, limit: float) -> datetime:
    """The first microsecond at which ``limit`` of the obligation's time has passed (as
    :func:`reminders_due` computes it)."""
    start, due = obligation.starts_at, obligation.due_at
    if start is None or due is None:
        raise ValueError("an obligation without a start or due time has no stages")
    moment = start + (due - start) * limit
    for _ in range(1000):  # floating point: step to the first microsecond that counts
        if (obligation.fraction_elapsed(moment) or 0.0) >= limit:
            break
        moment += timedelta(microseconds=1)
    return moment


def reminder_key(incident: Incident, org: Organisation, obligation: Obligation, stage: str) -> str:
    return f"reminder:{incident.id}:{org.slug}:{obligation.key}:{stage}"


# --- the cycle ---------------------------------------------------------------------------------


@dataclass
class CycleResult:
    evaluated: int = 0  # notices read as due and looked at
    queued: int = 0  # reminder rows written (queued or skipped)


@dataclass(frozen=True)
class _Due:
    notice: Notice
    incident: Incident
    org: Organisation
    records: list[ObligationRecord]
    plan: Plan
    new: bool  # some reminder of the plan is not written yet
    addressees: dict[str, tuple[list[str], str]] = field(default_factory=dict)


def queue_reminders(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Write every reminder that has come due and is not written yet; returns how many."""
    return reminder_cycle(engine, settings, now).queued


def reminder_cycle(
    engine: Engine, settings: Settings, now: datetime | None = None, batch: int = BATCH
) -> CycleResult:
    """Look at the notices whose next reminder instant has come, in batches."""
    now = now or utcnow()
    result = CycleResult()
    book = _AddressBook()
    after: tuple[datetime | None, uuid.UUID] | None = None
    while True:
        with session_scope(engine) as session:
            due = _read_due(session, now, after, batch, book)
        result.evaluated += len(due)
        moves = []
        for item in due:
            if item.new:
                result.queued += _write(engine, settings, item, now)
            else:
                moves.append(item)
        _move_schedules(engine, moves)
        if len(due) < batch:
            return result
        last = due[-1].notice
        after = (last.next_reminder_at, last.id)


def _read_due(
    session: Session,
    now: datetime,
    after: tuple[datetime | None, uuid.UUID] | None,
    batch: int,
    book: _AddressBook,
) -> list[_Due]:
    query = (
        select(Notice, Incident, Organisation)
        .join(Incident, col(Incident.id) == col(Notice.incident_id))
        .join(Organisation, col(Organisation.id) == col(Notice.controller_id))
        .where(col(Notice.next_reminder_at) <= now)
        .order_by(col(Notice.next_reminder_at), col(Notice.id))
        .limit(batch)
    )
    if after is not None:
        query = query.where(tuple_(Notice.next_reminder_at, Notice.id) > after)
    rows = session.exec(query).all()
    records = records_of(session, [notice.id for notice, _, _ in rows])
    plans = [(n, i, o, plan(n, i, o, records[n.id], now)) for n, i, o in rows]
    keys = [reminder_key(i, o, ob, st) for _n, i, o, p in plans for ob, st, _s in p.reminders]
    written = _existing(session, keys)
    due = []
    for notice, incident, org, owed in plans:
        new = any(
            reminder_key(incident, org, ob, st) not in written for ob, st, _s in owed.reminders
        )
        addressees = book.addressees(session, incident, org) if new else {}
        due.append(_Due(notice, incident, org, records[notice.id], owed, new, addressees))
    return due


def _existing(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            session.exec(
                select(OutboxMessage.dedupe_key).where(col(OutboxMessage.dedupe_key).in_(chunk))
            ).all()
        )
    return found


class _AddressBook:
    """Who is reminded, and in which language, read once per cycle (when a reminder is to
    be written at all): the processor for its own duty (its notification addresses and the
    incident's contact person, as :func:`notices.processor_addresses`), the controller
    (its notification addresses and active privacy officers) for the controller's."""

    def __init__(self) -> None:
        self._processor: tuple[set[str], str] | None = None
        self._controllers: dict[int, list[str]] = {}

    def addressees(
        self, session: Session, incident: Incident, org: Organisation
    ) -> dict[str, tuple[list[str], str]]:
        if self._processor is None:
            own = documents.processor(session)
            self._processor = (
                set(own.notification_emails) if own else set(),
                own.language if own else "nl",
            )
        processor, language = self._processor
        contact = incident.answers.get("contact_email")
        assert org.id is not None
        if org.id not in self._controllers:
            self._controllers[org.id] = notices.controller_addresses(session, org)
        return {
            "processor": (sorted(processor | {contact} if contact else processor), language),
            "controller": (self._controllers[org.id], org.language),
        }


def _party(obligation: Obligation) -> str:
    return "processor" if obligation.regime.party.startswith("processor") else "controller"


def _write(engine: Engine, settings: Settings, item: _Due, now: datetime) -> int:
    """One notice's reminders in one short write transaction, decided again on the facts
    as they are now. The notice row is read FOR UPDATE (PostgreSQL; on SQLite write
    transactions take turns), so a send of the notice that committed before this read is
    seen, and no reminder of the processor's duty is written. The send path itself does
    not look at reminders: a send that commits after this transaction leaves the reminder
    written here queued, and the delivery drops it (``delivery._reminder_overtaken``
    reads the notice, without a lock, just before the e-mail would go out; a send that
    commits between that read and the mail server's answer is not seen)."""
    written = 0
    with session_scope(engine, write=True) as session:
        fresh = _reload(session, item.notice.id)
        if fresh is None:
            return 0
        notice, incident, org, records = fresh
        current = plan(notice, incident, org, records, now)
        for obligation, stage, status in current.reminders:
            recipients, language = item.addressees[_party(obligation)]
            if not recipients:
                continue
            values = _reminder(
                incident, org, obligation, stage, recipients, language, settings, status
            )
            values.update(
                created_at=now, next_attempt_at=now, notice_id=notice.id, duty=obligation.key
            )
            new = insert_ignore(session, OutboxMessage, ["dedupe_key"], **values) is not None
            written += new
            if new and stage == "overdue":  # for the webhooks: a duty became overdue
                audit.record(
                    session,
                    "duty.overdue",
                    actor_id=None,
                    incident_id=incident.id,
                    organisation_id=org.id,
                    duty=obligation.key,
                )
        session.connection().execute(
            update(_notice)
            .where(_notice.c.id == notice.id)
            .values(next_reminder_at=current.next_at)
        )
    return written


def _reload(
    session: Session, notice_id: uuid.UUID
) -> tuple[Notice, Incident, Organisation, list[ObligationRecord]] | None:
    notice = session.exec(
        select(Notice).where(col(Notice.id) == notice_id).with_for_update(key_share=True)
    ).first()
    if notice is None:
        return None
    incident = session.get(Incident, notice.incident_id)
    org = session.get(Organisation, notice.controller_id)
    if incident is None or org is None:
        return None
    return notice, incident, org, records_of(session, [notice.id])[notice.id]


def _move_schedules(engine: Engine, items: list[_Due]) -> None:
    """Move the notices with nothing new to write on to their next instant, in one short
    write transaction; a notice changed since it was read stays due (read again next time)."""
    if not items:
        return
    statement = (
        update(_notice)
        .where(_notice.c.id == bindparam("b_id"), _notice.c.next_reminder_at == bindparam("b_seen"))
        .values(next_reminder_at=bindparam("b_next"))
    )
    rows = [
        {"b_id": i.notice.id, "b_seen": i.notice.next_reminder_at, "b_next": i.plan.next_at}
        for i in sorted(items, key=lambda i: i.notice.id)  # the order changes take them in
    ]
    with session_scope(engine, write=True) as session:
        session.connection().execute(statement, rows)


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
    # The controller's own duties to it in its zone; ours (to the staff) in the processor's.
    zone = documents.zone_of(org) if regime.party.startswith("controller") else settings.zone
    due = format_datetime(obligation.due_at, zone, language) if obligation.due_at else ""
    body = REMINDER_BODY.get(language).format(
        state=state,
        duty=duty,
        controller=org.name,
        reference=reference,
        summary=(incident.summary or "")[:200],
        due=due,
        link=f"{settings.base_url}/incidents/{incident.id}",
    )
    return {
        "dedupe_key": reminder_key(incident, org, obligation, stage),
        "kind": "reminder",
        "recipients": recipients,
        "subject": f"[{reference}] {state}: {duty} ({org.name})",
        "body_text": body,
        "incident_id": incident.id,
        "status": status,
    }


# --- the worker loop ---------------------------------------------------------------------------


def run_once(engine: Engine, settings: Settings, now: datetime | None = None) -> tuple[int, int]:
    """Render the notices of the batches that are waiting, deliver the outbox (notices
    first: a delivered notice meets the processor's duty), queue the reminders that have
    come due, then deliver those; forget expired login failures."""
    sent = 0
    # A batch's notices in turns of 25, each turn's e-mails delivered before the next: the
    # first controllers hear while the last are still being rendered.
    while batches.run(engine, settings, limit=25):
        sent += deliver_outbox(engine, settings, now)
    sent += deliver_outbox(engine, settings, now)
    queued = queue_reminders(engine, settings, now)
    queued += tasks.queue_reminders(engine, settings, now)
    sent += deliver_outbox(engine, settings, now)
    webhooks.dispatch(engine, now)
    webhooks.deliver(engine, now)
    prune_login_failures(engine, settings)
    if queued or sent:
        log.info("worker_run", reminders_queued=queued, messages_sent=sent)
    return queued, sent


def run_forever(
    engine: Engine,
    settings: Settings,
    interval: float = 60,
    stop: threading.Event | None = None,
    waker: signals.Waker | None = None,
) -> None:
    """Run a cycle, then sleep until ``interval`` seconds have passed or a send wakes the
    loop (an outbox message committed in this process, or a NOTIFY on PostgreSQL)."""
    stop = stop or threading.Event()
    waker = waker or signals.waker
    if engine.dialect.name == "postgresql":
        signals.listen(engine, stop, waker)
    log.info("worker_started", interval=interval)
    while not stop.is_set():
        seen = waker.generation  # a wake-up during the cycle runs the next one at once
        try:
            run_once(engine, settings)
        except Exception as exc:
            log.error("worker_error", error=type(exc).__name__)
        _pause(waker, seen, stop, interval)


def _pause(waker: signals.Waker, seen: int, stop: threading.Event, interval: float) -> None:
    deadline = time.monotonic() + interval
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0 or waker.wait(seen, min(left, 1.0)):
            return
