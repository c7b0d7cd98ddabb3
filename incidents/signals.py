"""What the background work hears from the rest of the app, through session events, so no
caller has to remember it:

- A transaction that writes an outbox message (or a batch of notices to render) wakes the
  delivery loop once it commits:
  in this process through :data:`waker`; on PostgreSQL also every other process (a
  separate ``breachdesk worker``, the other server processes) through
  ``NOTIFY breachdesk_outbox``, which PostgreSQL delivers when the transaction commits.
- A change to the facts a notice's duties are computed from (its delivery, the
  decision, a recorded act, the incident's discovery time or status, the controller's
  hours or NIS2 flag) makes the notice due for the reminder worker at once
  (``Notice.next_reminder_at``), so the worker only ever reads the notices that are due.
  A bulk UPDATE of those columns (not through the ORM) must set it itself, as
  ``notices.mark_delivered`` does.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event, inspect, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from incidents import models
from incidents.logs import get_logger
from incidents.models import Notice, utcnow

CHANNEL = "breachdesk_outbox"
log = get_logger("breachdesk.worker")
_WROTE_OUTBOX = "breachdesk_wrote_outbox"

NOTICE_FACTS = ("delivered_at", "sent_at", "decision", "removed_at", "withdrawn_at")
INCIDENT_FACTS = ("discovered_at", "status")
ORGANISATION_FACTS = (
    "contract_hours",
    "nis2",
    "dora",
    "dora_no_weekend_relief",
    "country",
    "timezone",
    "authority",
)


class Waker:
    """A wake-up call any number of loops can wait for: each keeps the generation it has
    seen and wakes when it changes (no loop can swallow another loop's call)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        with self._condition:
            return self._generation

    def wake(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, seen: int, timeout: float) -> bool:
        """Wait until woken after ``seen`` or ``timeout`` seconds; True when woken."""
        with self._condition:
            return self._condition.wait_for(lambda: self._generation != seen, timeout)


waker = Waker()


# --- the outbox: wake the delivery loop ---------------------------------------------------


@event.listens_for(Session, "after_flush")
def _outbox_written(session: Session, _context: Any) -> None:
    # An e-mail to deliver, or a notice of a batch to render: the worker has work.
    if not any(isinstance(obj, models.OutboxMessage | models.SendBatchItem) for obj in session.new):
        return
    if not session.info.get(_WROTE_OUTBOX) and session.get_bind().dialect.name == "postgresql":
        # Sent to the listeners when (and only if) this transaction commits.
        session.connection().exec_driver_sql(f"NOTIFY {CHANNEL}")
    session.info[_WROTE_OUTBOX] = True


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.info.pop(_WROTE_OUTBOX, False):
        waker.wake()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_WROTE_OUTBOX, None)


# --- the reminder schedule: a notice whose facts changed is due now ---------------------------


def _changed(obj: Any, names: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "before_flush")
def _reschedule_reminders(session: Session, _context: Any, _instances: Any) -> None:
    now = utcnow()
    by_incident: set[Any] = set()
    by_controller: set[int | None] = set()
    by_notice: set[Any] = set()
    for obj in session.dirty:
        if isinstance(obj, Notice) and _changed(obj, NOTICE_FACTS):
            obj.next_reminder_at = now
        elif isinstance(obj, models.Incident) and _changed(obj, INCIDENT_FACTS):
            by_incident.add(obj.id)
        elif isinstance(obj, models.Organisation) and _changed(obj, ORGANISATION_FACTS):
            by_controller.add(obj.id)
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, models.ObligationRecord):
            by_notice.add(obj.notice_id)
    table = models.table_of(Notice)
    column = table.c
    for condition in (
        column.incident_id.in_(by_incident) if by_incident else None,
        column.controller_id.in_(by_controller) if by_controller else None,
        column.id.in_(by_notice) if by_notice else None,
    ):
        if condition is not None:
            session.connection().execute(
                update(table).where(condition).values(next_reminder_at=now)
            )


# --- PostgreSQL: hear the sends of other processes -------------------------------------------


def listen(engine: Engine, stop: threading.Event, target: Waker | None = None) -> threading.Thread:
    """LISTEN on the outbox channel in a thread of its own and pass every notification on
    to ``target`` (the worker loop waits on it with its interval as the timeout). Listens
    again after a lost connection. Returns once listening (or after 10 s)."""
    ready = threading.Event()
    thread = threading.Thread(
        target=_listen_loop,
        args=(engine, stop, target or waker, ready),
        name="outbox-listener",
        daemon=True,
    )
    thread.start()
    ready.wait(timeout=10)
    return thread


def _listen_loop(
    engine: Engine, stop: threading.Event, target: Waker, ready: threading.Event
) -> None:
    while not stop.is_set():
        try:
            _listen(engine, stop, target, ready)
        except Exception as exc:  # the database went away: listen again in a while
            log.warning("outbox_listen_error", error=type(exc).__name__)
            stop.wait(5)


def _listen(engine: Engine, stop: threading.Event, target: Waker, ready: threading.Event) -> None:
    pooled = engine.raw_connection()
    pooled.detach()  # a connection of its own, kept out of the pool
    try:
        connection: Any = pooled.dbapi_connection  # psycopg's own connection
        connection.rollback()
        connection.autocommit = True
        connection.execute(f"LISTEN {CHANNEL}")
        ready.set()
        target.wake()  # what was written while nobody listened
        while not stop.is_set():
            for _notice in connection.notifies(timeout=1.0):
                target.wake()
    finally:
        pooled.close()
