"""Reminders at 50%, 90% and overdue: each e-mail exactly once, even with two workers."""

from __future__ import annotations

import email
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from forms.answers import Context, validate
from incidents import service
from incidents.auth import CurrentUser
from incidents.cli import main
from incidents.models import Organisation, OutboxMessage, User
from incidents.reminders import deliver_outbox, queue_reminders, run_once
from tests.factories import complete_answers

pytestmark = pytest.mark.usefixtures("demo")

DISCOVERED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _file(engine, controllers: list[str]) -> None:
    with Session(engine) as session:
        staff = session.exec(select(User).where(User.role == "staff")).one()
        org = session.get(Organisation, staff.organisation_id)
        user = CurrentUser(
            staff.id,
            staff.email,
            staff.name,
            staff.role,
            None,
            org.id,
            org.slug,
            org.name,
            org.kind,
        )
        ctx = Context(
            now=DISCOVERED + timedelta(hours=1),
            controllers=frozenset(service.controllers_by_slug(session)),
        )
        answers = complete_answers(controllers=controllers, discovered_at=DISCOVERED.isoformat(),
                                   occurred_until="2026-11-20T07:00:00+00:00")  # fmt: skip
        result = validate(answers, ctx, complete=True)
        assert result.ok, result.errors
        incident = service.create_draft(session, user, result.answers)
        assert not service.submit(session, incident, user, ctx)
        session.commit()


def _emails(folder: Path) -> list[email.message.Message]:
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def test_one_email_per_threshold(engine, settings) -> None:
    _file(engine, ["acme"])  # acme: 24 contract hours
    assert run_once(engine, settings, DISCOVERED + timedelta(hours=11)) == (0, 0)
    assert run_once(engine, settings, DISCOVERED + timedelta(hours=12)) == (1, 1)
    assert run_once(engine, settings, DISCOVERED + timedelta(hours=13)) == (0, 0)
    assert run_once(engine, settings, DISCOVERED + timedelta(hours=22)) == (1, 1)
    assert run_once(engine, settings, DISCOVERED + timedelta(hours=24, minutes=1)) == (1, 1)
    assert run_once(engine, settings, DISCOVERED + timedelta(hours=30)) == (0, 0)
    mails = _emails(settings.outbox_dir)
    assert len(mails) == 3
    subjects = sorted(m["Subject"] for m in mails)
    assert any("Overdue" in s for s in subjects) or any("Termijn verstreken" in s for s in subjects)
    first = next(m for m in mails if "half" in m["X-Breachdesk-Key"])
    assert first["To"] == "privacy@talentcloud.example, security@talentcloud.example"
    body = first.get_payload(decode=True).decode()
    assert "Acme Retail B.V." in body and f"{settings.base_url}/incidents/" in body
    assert "21 november 2026, 09:00 CET" in body  # the processor's language is Dutch


def test_a_duty_first_seen_late_gets_only_the_latest_reminder(engine, settings) -> None:
    _file(engine, ["acme"])
    assert run_once(engine, settings, DISCOVERED + timedelta(hours=40)) == (3, 1)
    with Session(engine) as session:
        statuses = sorted(m.status for m in session.exec(select(OutboxMessage)))
    assert statuses == ["sent", "skipped", "skipped"]
    assert len(_emails(settings.outbox_dir)) == 1


def test_controller_duties_remind_the_controller(engine, settings) -> None:
    _file(engine, ["acme"])
    with Session(engine) as session:
        from incidents.models import Notice

        notice = session.exec(select(Notice)).one()
        notice.sent_at = notice.delivered_at = DISCOVERED + timedelta(hours=2)
        session.add(notice)
        session.commit()
    run_once(engine, settings, DISCOVERED + timedelta(hours=2 + 37))  # 37 of 72 hours
    mails = _emails(settings.outbox_dir)
    assert len(mails) == 1
    assert mails[0]["To"] == "fg@acme.example, privacy@acme.example"
    assert "toezichthouder" in mails[0]["Subject"]  # Acme's notices are in Dutch


def test_no_reminder_without_a_due_time(engine, settings) -> None:
    _file(engine, ["northwind"])  # no contract hours: without undue delay
    assert run_once(engine, settings, DISCOVERED + timedelta(days=30)) == (0, 0)


def test_two_workers_at_once_send_each_reminder_once(engine, settings, database_url) -> None:
    _file(engine, ["acme", "zorggroep-noord"])
    moments = [DISCOVERED + timedelta(hours=h) for h in (12, 19, 23, 33, 40)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        from incidents.db import make_engine

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
    with Session(engine) as session:
        messages = session.exec(select(OutboxMessage)).all()
    keys = [m.dedupe_key for m in messages]
    assert len(keys) == len(set(keys)) == 6  # 3 stages x 2 controllers
    assert all(m.status == "sent" and m.attempts == 1 for m in messages)
    assert len(_emails(settings.outbox_dir)) == 6


def test_a_failed_delivery_is_retried_with_backoff(engine, settings, monkeypatch) -> None:
    _file(engine, ["acme"])
    from notify import outbox

    calls = {"n": 0}
    real = outbox.deliver

    def flaky(mail, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionRefusedError("mail server down")
        return real(mail, **kwargs)

    monkeypatch.setattr(outbox, "deliver", flaky)
    now = DISCOVERED + timedelta(hours=12)
    assert run_once(engine, settings, now) == (1, 0)
    with Session(engine) as session:
        message = session.exec(select(OutboxMessage)).one()
    assert (message.status, message.attempts, message.last_error) == (
        "queued",
        1,
        "ConnectionRefusedError",
    )
    assert deliver_outbox(engine, settings, now) == 0  # not before the backoff
    assert deliver_outbox(engine, settings, now + timedelta(minutes=3)) == 1
    assert len(_emails(settings.outbox_dir)) == 1


def test_remind_command(engine, settings, monkeypatch, capsys, tmp_path) -> None:
    _file(engine, ["acme"])
    monkeypatch.setenv("BREACHDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BREACHDESK_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("BREACHDESK_OUTBOX_DIR", str(tmp_path / "mail"))
    assert main(["remind"]) == 0
    out = capsys.readouterr().out
    # Discovered two days before "today" in this test's data: overdue now, one e-mail.
    assert "messages sent: 1" in out
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1
