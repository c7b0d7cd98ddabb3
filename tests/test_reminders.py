"""Reminders at 50%, 90% and overdue, walked through by moving the app's clock: each
e-mail exactly once (even with two workers), never for a notice that is being sent at that
moment, and a cycle that reads and writes what is due, not what exists."""

from __future__ import annotations

import email
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from forms.answers import validate
from forms.values import Context
from incidents import service
from incidents.cli import main
from incidents.db import make_engine
from incidents.models import Incident, Notice, Organisation, OutboxMessage, User
from incidents.notices import send_notices
from incidents.principal import CurrentUser
from incidents.reminders import deliver_outbox, queue_reminders, reminder_cycle, run_once
from incidents.settings import DEFAULT_BASE_URL as BASE
from tests.factories import complete_answers, submitted_row

pytestmark = pytest.mark.usefixtures("demo")

DISCOVERED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _staff(session: Session) -> CurrentUser:
    staff = session.exec(select(User).where(User.role == "staff")).one()
    org = session.get(Organisation, staff.organisation_id)
    assert org is not None and staff.id is not None and org.id is not None
    return CurrentUser(
        staff.id, staff.email, staff.name, staff.role, None, org.id, org.slug, org.name, org.kind
    )


def _file(engine: Engine, controllers: list[str]) -> uuid.UUID:
    with Session(engine) as session:
        user = _staff(session)
        ctx = Context(
            now=DISCOVERED + timedelta(hours=1),
            controllers=frozenset(service.controllers_by_slug(session)),
        )
        answers = complete_answers(
            controllers=controllers,
            discovered_at=DISCOVERED.isoformat(),
            occurred_until="2026-11-20T07:00:00+00:00",
        )
        result = validate(answers, ctx, complete=True)
        assert result.ok, result.errors
        incident = service.create_draft(session, user, result.answers)
        assert not service.submit(session, incident, user, ctx)
        session.commit()
        return incident.id


def _send(engine: Engine, incident_id: uuid.UUID) -> None:
    with Session(engine) as session:
        user = _staff(session)
    assert any(result.sent for result in send_notices(engine, user, incident_id, None, BASE))


def _emails(folder: Path) -> list[email.message.Message]:
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def _messages(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())  # type: ignore[arg-type]


def _at(clock: Any, hours: float) -> None:
    clock.freeze(DISCOVERED + timedelta(hours=hours))


@pytest.fixture
def filed_at_one_hour(clock: Any) -> None:
    """The incidents of a test are filed an hour after their discovery."""
    _at(clock, 1)


# --- the stages ------------------------------------------------------------------------------


@pytest.mark.usefixtures("filed_at_one_hour")
def test_one_email_per_threshold(engine, settings, clock) -> None:
    _file(engine, ["acme"])  # acme: 24 contract hours
    for hours, expected in (
        (11, (0, 0)),
        (12, (1, 1)),
        (13, (0, 0)),
        (21.5, (0, 0)),
        (22, (1, 1)),
        (24, (0, 0)),
        (24 + 1 / 60, (1, 1)),
        (30, (0, 0)),
    ):
        _at(clock, hours)
        assert run_once(engine, settings) == expected, hours
    mails = _emails(settings.outbox_dir)
    assert len(mails) == 3
    stages = sorted(m["X-Breachdesk-Key"].rsplit(":", 1)[1] for m in mails)
    assert stages == ["half", "ninety", "overdue"]
    first = next(m for m in mails if "half" in m["X-Breachdesk-Key"])
    assert first["To"] == "privacy@talentcloud.example, security@talentcloud.example"
    body = first.get_payload(decode=True).decode()
    assert "Acme Retail B.V." in body and f"{settings.base_url}/incidents/" in body
    assert "21 november 2026, 09:00 CET" in body  # the processor's language is Dutch


@pytest.mark.usefixtures("filed_at_one_hour")
def test_a_duty_first_seen_late_gets_only_the_latest_reminder(engine, settings, clock) -> None:
    _file(engine, ["acme"])
    _at(clock, 40)
    assert run_once(engine, settings) == (3, 1)
    assert sorted(m.status for m in _messages(engine)) == ["sent", "skipped", "skipped"]
    assert len(_emails(settings.outbox_dir)) == 1


@pytest.mark.usefixtures("filed_at_one_hour")
def test_controller_duties_remind_the_controller(engine, settings, clock) -> None:
    _file(engine, ["acme"])
    with Session(engine) as session:
        notice = session.exec(select(Notice)).one()
        notice.sent_at = notice.delivered_at = DISCOVERED + timedelta(hours=2)
        session.add(notice)
        session.commit()
    _at(clock, 2 + 37)  # 37 of the authority's 72 hours
    run_once(engine, settings)
    mails = _emails(settings.outbox_dir)
    assert len(mails) == 1
    assert mails[0]["To"] == "fg@acme.example, privacy@acme.example"
    assert "toezichthouder" in mails[0]["Subject"]  # Acme's notices are in Dutch
    _at(clock, 2 + 72 + 1)  # 90 % and overdue: the latest only
    assert run_once(engine, settings) == (2, 1)


@pytest.mark.usefixtures("filed_at_one_hour")
def test_no_reminder_without_a_due_time(engine, settings, clock) -> None:
    _file(engine, ["northwind"])  # no contract hours: without undue delay
    _at(clock, 24 * 30)
    assert run_once(engine, settings) == (0, 0)


@pytest.mark.usefixtures("filed_at_one_hour")
def test_two_workers_at_once_send_each_reminder_once(engine, settings, database_url) -> None:
    _file(engine, ["acme", "zorggroep-noord"])
    moments = [DISCOVERED + timedelta(hours=h) for h in (12, 19, 23, 33, 40)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        own = make_engine(database_url)
        try:
            for moment in moments:
                barrier.wait(timeout=30)
                queue_reminders(own, settings, moment)
                barrier.wait(timeout=30)
                deliver_outbox(own, settings, moment)
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    messages = _messages(engine)
    keys = [m.dedupe_key for m in messages]
    assert len(keys) == len(set(keys)) == 6  # 3 stages x 2 controllers
    assert all(m.status == "sent" and m.attempts == 1 for m in messages)
    assert len(_emails(settings.outbox_dir)) == 6


# --- never about a notice that is being sent ---------------------------------------------------


def _processor_reminders(engine: Engine) -> list[OutboxMessage]:
    return [m for m in _messages(engine) if ":processor_notice:" in m.dedupe_key]


@pytest.mark.usefixtures("filed_at_one_hour")
def test_no_processor_reminder_for_a_notice_sent_and_not_yet_delivered(
    engine, settings, clock
) -> None:
    incident_id = _file(engine, ["acme"])
    _at(clock, 23)
    _send(engine, incident_id)  # written to the outbox, not delivered yet
    _at(clock, 30)  # the processor's 24 hours have passed
    assert queue_reminders(engine, settings) == 0
    assert _processor_reminders(engine) == []


@pytest.mark.usefixtures("filed_at_one_hour")
def test_no_processor_reminder_when_the_send_commits_while_the_cycle_reads(
    engine, settings, clock, database_url
) -> None:
    """The cycle reads the notice as unsent and overdue; "Send to all" commits right after
    that read (another connection, as another request would); the reminder is decided
    again when it is written, and is not."""
    incident_id = _file(engine, ["acme"])
    _at(clock, 30)
    sender = make_engine(database_url)
    sent: list[bool] = []

    def send_after_the_read(conn, cursor, statement, parameters, context, executemany) -> None:
        if not sent and "next_reminder_at <=" in statement:
            sent.append(True)
            _send(sender, incident_id)

    event.listen(engine, "after_cursor_execute", send_after_the_read)
    try:
        assert queue_reminders(engine, settings) == 0
    finally:
        event.remove(engine, "after_cursor_execute", send_after_the_read)
        sender.dispose()
    assert sent == [True]
    assert _processor_reminders(engine) == []
    assert deliver_outbox(engine, settings) == 1  # the notice itself
    [message] = _messages(engine)
    assert message.kind == "notice" and message.status == "sent"


@pytest.mark.usefixtures("filed_at_one_hour")
def test_a_reminder_queued_before_the_send_is_not_sent_after_it(engine, settings, clock) -> None:
    incident_id = _file(engine, ["acme"])
    _at(clock, 25)
    assert queue_reminders(engine, settings) == 3  # half and ninety skipped, overdue queued
    _send(engine, incident_id)
    assert deliver_outbox(engine, settings) == 1  # the notice; the reminder is overtaken
    overdue = next(m for m in _processor_reminders(engine) if m.dedupe_key.endswith(":overdue"))
    assert overdue.status == "skipped" and "sent meanwhile" in overdue.last_error
    assert [m["X-Breachdesk-Key"].split(":")[0] for m in _emails(settings.outbox_dir)] == ["notice"]


# --- a cycle costs what is due -----------------------------------------------------------------


def _many_open_notices(engine: Engine, count: int, first: datetime, step: timedelta) -> None:
    """``count`` submitted incidents for Acme (24 hours), not sent, discovered ``step``
    apart from ``first`` on, in plain INSERTs (as the API files them)."""
    with Session(engine) as session:
        staff = _staff(session)
        acme = session.exec(select(Organisation).where(Organisation.slug == "acme")).one()
        incidents, notices = [], []
        for number in range(1, count + 1):
            discovered = first + step * (number - 1)
            answers = complete_answers(discovered_at=discovered.isoformat())
            incident_id = uuid.uuid4()
            reference = (2026, number, f"INC-2026-{number:04d}")
            incidents.append(submitted_row(incident_id, reference, answers, discovered, staff.id))
            notices.append(
                {"id": uuid.uuid4(), "incident_id": incident_id, "controller_id": acme.id}
            )
        session.execute(insert(Incident), incidents)
        session.execute(insert(Notice), notices)
        session.commit()


@dataclass
class Statements:
    """The SQL statements a block ran, grouped by transaction (SQLAlchemy's own events)."""

    transactions: list[list[str]] = field(default_factory=list)

    @property
    def queries(self) -> list[str]:
        return [s for t in self.transactions for s in t if not s.upper().startswith("BEGIN")]

    @property
    def writes(self) -> list[list[str]]:
        verbs = ("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE")
        return [
            t for t in self.transactions if any(s.lstrip().upper().startswith(verbs) for s in t)
        ]


@contextmanager
def statements(engine: Engine) -> Iterator[Statements]:
    seen = Statements()
    began_by_statement = [False]  # SQLite: our BEGIN statement runs before the begin event

    def on_begin(conn) -> None:
        if not began_by_statement[0]:
            seen.transactions.append([])
        began_by_statement[0] = False

    def on_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.upper().startswith("BEGIN"):
            seen.transactions.append([])
            began_by_statement[0] = True
        elif not seen.transactions:
            seen.transactions.append([])
        seen.transactions[-1].append(statement)

    event.listen(engine, "begin", on_begin)
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "begin", on_begin)


def test_a_cycle_reads_and_writes_only_what_is_due(engine, settings, clock) -> None:
    _at(clock, 6)
    _many_open_notices(engine, 300, DISCOVERED, timedelta(minutes=1))  # the last: 5 h later
    first = reminder_cycle(engine, settings)  # each new notice once: when is its first stage?
    assert (first.evaluated, first.queued) == (300, 0)

    with statements(engine) as idle:
        again = reminder_cycle(engine, settings)
    assert (again.evaluated, again.queued) == (0, 0)
    assert idle.writes == [], "nothing due: no write transaction at all"
    assert len(idle.queries) == 1, "one read of an index range"

    # Half of Acme's 24 hours has passed for the first five incidents only.
    clock.freeze(DISCOVERED + timedelta(hours=12, minutes=4, seconds=30))
    with statements(engine) as due:
        cycle = reminder_cycle(engine, settings)
    assert (cycle.evaluated, cycle.queued) == (5, 5)
    assert len(due.writes) == 5, "one short write transaction per notice with a reminder"
    assert all(len(t) <= 10 for t in due.writes), due.writes
    # Who is reminded is read once per cycle, not once per notice.
    assert len([q for q in due.queries if "organisation.kind =" in q]) == 1, "the processor"
    assert len([q for q in due.queries if "user_account.organisation_id =" in q]) == 1, "Acme"
    assert reminder_cycle(engine, settings).evaluated == 0


def test_a_change_of_facts_makes_only_that_notice_due(engine, settings, clock) -> None:
    _at(clock, 6)
    _many_open_notices(engine, 50, DISCOVERED, timedelta(minutes=1))
    assert reminder_cycle(engine, settings).evaluated == 50
    with Session(engine) as session:  # the officer's decision on one of them
        notice = session.exec(select(Notice).limit(1)).one()
        notice.decision = {"is_breach": True, "notify_authority": True}
        session.add(notice)
        session.commit()
    assert reminder_cycle(engine, settings).evaluated == 1


@pytest.mark.usefixtures("filed_at_one_hour")
def test_a_delivery_makes_the_notice_due_from_its_own_instant(engine, settings, clock) -> None:
    """The delivery's time, not the clock of whoever records it, is when the controller's
    duties start and when the reminder worker next looks at the notice: a worker that
    passes one instant to every step of its cycle sees the delivered notice in that cycle."""
    _send(engine, _file(engine, ["acme"]))
    _at(clock, 30)
    delivered = DISCOVERED + timedelta(hours=2)
    assert deliver_outbox(engine, settings, delivered) == 1
    assert reminder_cycle(engine, settings, delivered).evaluated == 1
    with Session(engine) as session:
        assert session.exec(select(Notice)).one().delivered_at == delivered


# --- the command -----------------------------------------------------------------------------


def test_remind_command(engine, settings, monkeypatch, capsys, tmp_path) -> None:
    _file(engine, ["acme"])
    monkeypatch.setenv("BREACHDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BREACHDESK_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("BREACHDESK_OUTBOX_DIR", str(tmp_path / "mail"))
    assert main(["remind"]) == 0
    out = capsys.readouterr().out
    # Discovered days before "today" in this test's data: overdue now, one e-mail.
    assert "messages sent: 1" in out
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1
