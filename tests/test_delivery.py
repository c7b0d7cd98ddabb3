"""Delivery survives the death of its process: `breachdesk worker` killed with SIGKILL
while the mail server holds its message, then another worker started after the lease:
every message reaches the server, and the one that was in flight carries the same
Message-ID both times, so the receiver can tell the copies are one message. A delivery
whose record the database refuses for a moment is recorded on a later try, not sent
again; the first delivery time is kept."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from incidents import service
from incidents.delivery import RECORD_PAUSES
from incidents.models import Incident, Notice, NoticeSend, OutboxMessage
from incidents.reminders import deliver_outbox
from notify import outbox
from tests.processes import BREACHDESK, wait_until, worker_process
from tests.test_reminders import DISCOVERED, _file, _send, _staff
from tests.web.test_outbox import _env

pytestmark = pytest.mark.usefixtures("demo")


def test_the_message_id_comes_from_the_dedupe_key() -> None:
    one = outbox.message_id("notice:abc:1", "breachdesk@processor.example")
    assert one == outbox.message_id("notice:abc:1", "breachdesk@processor.example")
    assert one.endswith("@processor.example>")
    assert one != outbox.message_id("notice:abc:2", "breachdesk@processor.example")


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (aiosmtplib.SMTPDataError(554, "5.7.1 Message rejected"), True),
        (aiosmtplib.SMTPSenderRefused(550, "5.7.1 Not allowed", "a@b.example"), True),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(550, "No such user", "x@y.example")]
            ),
            True,
        ),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [
                    aiosmtplib.SMTPRecipientRefused(550, "No such user", "x@y.example"),
                    aiosmtplib.SMTPRecipientRefused(451, "Try later", "z@y.example"),
                ]
            ),
            False,
        ),
        (aiosmtplib.SMTPDataError(451, "4.3.0 Try again later"), False),
        (aiosmtplib.SMTPAuthenticationError(535, "5.7.8 Bad credentials"), False),
        (aiosmtplib.SMTPServerDisconnected("gone"), False),
    ],
)
def test_only_a_refusal_of_the_message_itself_is_final(error, permanent) -> None:
    """A wrong password is our settings, not the message: every notice waits for the fix
    instead of failing for good."""
    assert outbox.refusal(error).permanent is permanent


def _messages(engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "notice")
        return list(session.exec(query.order_by(OutboxMessage.id)).all())  # type: ignore[arg-type]


def test_a_worker_killed_mid_delivery_then_restarted_delivers_each_message(
    engine, settings, smtp_server, tmp_path: Path
) -> None:
    catcher, url = smtp_server
    smtp = dataclasses.replace(settings, smtp_url=url)
    _send(engine, _file(engine, ["acme", "northwind", "zorggroep-noord"]))
    catcher.hold_next = 1  # the server takes the first message, then keeps its reply back
    with worker_process(_env(smtp, tmp_path), tmp_path) as (worker, _lines):
        try:
            assert wait_until(lambda: len(catcher.attempts) == 1, 60), "the first message is held"
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
    catcher.release.set()
    statuses = sorted(m.status for m in _messages(engine))
    assert statuses == ["queued", "queued", "sending"], "killed with one message in flight"
    in_flight = next(m.dedupe_key for m in _messages(engine) if m.status == "sending")

    # Restarted after the lease has run out (its clock set ahead; one cycle, then it ends).
    later = _env(
        smtp, tmp_path, BREACHDESK_CLOCK_OFFSET_SECONDS=str(smtp.outbox_lease_seconds + 60)
    )
    done = subprocess.run(
        [BREACHDESK, "remind"], env=later, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr

    received: dict[str, list[str]] = defaultdict(list)
    for _to, message in catcher.messages:
        received[message["X-Breachdesk-Key"].strip()].append(message["Message-ID"])
    messages = _messages(engine)
    assert set(received) == {m.dedupe_key for m in messages}
    for message in messages:
        copies = received[message.dedupe_key]
        assert message.status == "sent"
        if message.dedupe_key == in_flight:
            # The server had it when the worker died; the worker never heard so, and the next
            # one sent it again: two copies, one Message-ID (at-least-once delivery).
            assert len(copies) == 2 and copies[0] == copies[1] and message.attempts == 2
        else:
            assert len(copies) == 1 and message.attempts == 1
        assert copies[0] == outbox.message_id(message.dedupe_key, smtp.mail_from)
    with Session(engine) as session:
        assert all(n.delivered_at is not None for n in session.exec(select(Notice)).all())


# --- a delivery whose record fails --------------------------------------------------------------


@contextmanager
def refused_records(engine: Engine, times: int) -> Iterator[list[str]]:
    """The database refuses the next ``times`` UPDATEs that record a message as sent with
    the driver's own OperationalError (as a lock timeout or a deadlock would): a fault of
    the database, raised where the driver would raise it; our code runs unchanged."""
    refused: list[str] = []

    def refuse(conn, cursor, statement, parameters, context, executemany) -> None:
        if (
            len(refused) < times
            and statement.startswith("UPDATE outbox_message SET status")
            and "sent_at" in statement
        ):
            refused.append(statement)
            raise conn.dialect.loaded_dbapi.OperationalError("lock timeout (injected)")

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield refused
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


def _sends(engine) -> list[NoticeSend]:
    with Session(engine) as session:
        return list(session.exec(select(NoticeSend).order_by(NoticeSend.id)).all())  # type: ignore[arg-type]


def _notice(engine) -> Notice:
    with Session(engine) as session:
        return session.exec(select(Notice)).one()


def test_a_delivery_whose_record_is_refused_once_is_recorded_and_not_sent_again(
    engine, settings, smtp_server, clock: Any
) -> None:
    catcher, url = smtp_server
    smtp = dataclasses.replace(settings, smtp_url=url)
    clock.freeze(DISCOVERED + timedelta(hours=1))
    _send(engine, _file(engine, ["acme"]))
    delivered = clock.travel(timedelta(minutes=5))
    with refused_records(engine, 1) as refused:
        assert deliver_outbox(engine, smtp) == 1  # was: OperationalError, left `sending`
    assert len(refused) == 1
    [message] = _messages(engine)
    assert (message.status, message.attempts, message.sent_at) == ("sent", 1, delivered)

    clock.travel(timedelta(seconds=smtp.outbox_lease_seconds + 60))
    assert deliver_outbox(engine, smtp) == 0, "nothing left to send"
    assert len(catcher.messages) == 1, "one e-mail"
    assert _notice(engine).delivered_at == delivered, "the controller's 72 hours start once"
    assert [s.delivered_at for s in _sends(engine)] == [delivered]


def test_a_record_refused_on_every_try_leaves_the_message_to_its_lease(
    engine, settings, smtp_server, clock: Any
) -> None:
    """The database refuses longer than the tries last: the worker says so and the message
    waits for its lease, then goes out again with the same Message-ID (the receiver drops
    the copy); the delivery is recorded once."""
    catcher, url = smtp_server
    smtp = dataclasses.replace(settings, smtp_url=url)
    clock.freeze(DISCOVERED + timedelta(hours=1))
    _send(engine, _file(engine, ["acme"]))
    with (
        refused_records(engine, len(RECORD_PAUSES) + 1) as refused,
        pytest.raises(OperationalError),
    ):
        deliver_outbox(engine, smtp)
    assert len(refused) == len(RECORD_PAUSES) + 1
    [message] = _messages(engine)
    assert message.status == "sending" and _notice(engine).delivered_at is None
    assert deliver_outbox(engine, smtp) == 0, "its lease holds"

    again = clock.travel(timedelta(seconds=smtp.outbox_lease_seconds + 1))
    assert deliver_outbox(engine, smtp) == 1
    first, second = (m for _to, m in catcher.messages)
    assert first["Message-ID"] == second["Message-ID"]
    [message] = _messages(engine)
    assert (message.status, message.attempts) == ("sent", 2)
    assert _notice(engine).delivered_at == again


def test_a_follow_up_does_not_move_the_first_delivery(
    engine, settings, smtp_server, clock: Any
) -> None:
    """Each send keeps its own delivery time; the notice (the controller's clock) keeps
    the first, and a delivery recorded again (a second copy) moves nothing."""
    catcher, url = smtp_server
    smtp = dataclasses.replace(settings, smtp_url=url)
    clock.freeze(DISCOVERED + timedelta(hours=1))
    incident_id = _file(engine, ["acme"])
    _send(engine, incident_id)
    first = clock.travel(timedelta(minutes=1))
    assert deliver_outbox(engine, smtp) == 1
    clock.travel(timedelta(hours=3))
    with Session(engine) as session:  # a correction: version 2, a follow-up to send
        incident = session.get(Incident, incident_id)
        assert incident is not None
        answers = {**incident.answers, "affected_max": 900}
        assert service.correct(session, incident, answers, _staff(session)) == ["affected_max"]
        session.commit()
    _send(engine, incident_id)
    second = clock.travel(timedelta(minutes=1))
    assert deliver_outbox(engine, smtp) == 1
    assert [s.delivered_at for s in _sends(engine)] == [first, second]
    assert _notice(engine).delivered_at == first
    assert len(catcher.messages) == 2
