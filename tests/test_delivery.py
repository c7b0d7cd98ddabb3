"""Delivery survives the death of its process: `breachdesk worker` killed with SIGKILL
while the mail server holds its message, then another worker started after the lease:
every message reaches the server, and the one that was in flight carries the same
Message-ID both times, so the receiver can tell the copies are one message."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
from collections import defaultdict
from pathlib import Path

import aiosmtplib
import pytest
from sqlmodel import Session, select

from incidents.models import Notice, OutboxMessage
from notify import outbox
from tests.test_reminders import _file, _send
from tests.web.test_outbox import BREACHDESK, _env, wait_until

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
        (aiosmtplib.SMTPRecipientsRefused(
            [aiosmtplib.SMTPRecipientRefused(550, "No such user", "x@y.example")]), True),
        (aiosmtplib.SMTPRecipientsRefused(
            [aiosmtplib.SMTPRecipientRefused(550, "No such user", "x@y.example"),
             aiosmtplib.SMTPRecipientRefused(451, "Try later", "z@y.example")]), False),
        (aiosmtplib.SMTPDataError(451, "4.3.0 Try again later"), False),
        (aiosmtplib.SMTPAuthenticationError(535, "5.7.8 Bad credentials"), False),
        (aiosmtplib.SMTPServerDisconnected("gone"), False),
    ],
)  # fmt: skip
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
    env = _env(smtp, tmp_path)
    worker = subprocess.Popen([BREACHDESK, "worker", "--interval", "3600"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
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
    done = subprocess.run([BREACHDESK, "remind"], env=later, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
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
