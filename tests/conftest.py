"""Shared fixtures: a migrated database per test (SQLite file, or PostgreSQL when
BREACHDESK_TEST_DATABASE_URL is set), the app, an HTTP client and the page checker."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from incidents.app import create_app
from incidents.db import make_engine, normalise_url
from incidents.demo import load_demo
from incidents.migrate import upgrade
from incidents.models import metadata
from incidents.settings import Settings
from tests.helpers import PageClient

PG_URL = os.environ.get("BREACHDESK_TEST_DATABASE_URL")
TEST_SECRET = "test-secret-" + "x" * 40


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test run, migrated once."""
    if not PG_URL:
        yield None
        return
    admin_url = make_url(normalise_url(PG_URL))
    name = f"bd_test_{_worker()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.exit(f"PostgreSQL at BREACHDESK_TEST_DATABASE_URL is not reachable: {exc}", 3)
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _wipe_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        # Triggers (the append-only audit log) do not fire in replica mode.
        conn.execute(text("SET session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path, pg_database: str | None) -> str:
    """An empty, migrated database for one test."""
    if pg_database:
        _wipe_postgres(pg_database)
        return pg_database
    path = tmp_path / "test.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    """The app's clock (``incidents.clock``), back to real time after each test. A test
    moves it with ``clock.travel(timedelta(...))`` or ``clock.freeze(at)``."""
    from incidents import clock as app_clock

    app_clock.reset()
    yield app_clock
    app_clock.reset()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        environment="test",
        outbox_dir=tmp_path / "outbox",
        default_language="en",
        # Nobody's role requires a second factor here (the default requires it of admins):
        # tests/web/test_two_factor.py sets it to show what the requirement does.
        require_2fa=frozenset(),
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def demo(engine: Engine) -> None:
    """The demo organisations and users, without the demo incidents."""
    load_demo(engine, with_incidents=False)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
def client(app: Litestar) -> Iterator[PageClient]:
    with TestClient(app, base_url="http://testserver.local") as test_client:
        yield PageClient(test_client)


@pytest.fixture
def make_client(app: Litestar) -> Iterator:
    """More independent browsers on the same app (the `client` fixture runs its lifespan)."""
    clients: list[TestClient] = []

    def factory() -> PageClient:
        test_client = TestClient(app, base_url="http://testserver.local")
        clients.append(test_client)
        return PageClient(test_client)

    yield factory
    clients.clear()


@pytest.fixture
def api_headers(engine: Engine):
    """Bearer headers for a user (by e-mail), with a fresh token."""
    from sqlmodel import Session, select

    from incidents.accounts import create_token
    from incidents.models import User

    def factory(email: str) -> dict[str, str]:
        with Session(engine) as session:
            user = session.exec(select(User).where(User.email == email)).one()
            token = create_token(session, user, "test", actor_id=None)
            session.commit()
        return {"Authorization": f"Bearer {token}"}

    return factory


class SMTPCatcher:
    """A real SMTP server in the test process (aiosmtpd) that keeps what it receives and
    can refuse the next messages: ``refuse_next`` with ``refusal`` (a temporary error by
    default; ``"550 5.1.1 ..."`` for a permanent one), ``refuse_recipients`` each RCPT with
    that reply. ``hold_next``: the next message is kept, then its reply withheld until
    ``release`` is set (a sender killed while it waits never hears that it was taken).
    ``attempts`` has every message that reached the DATA phase, refused or not."""

    def __init__(self) -> None:
        import threading

        self.messages: list[Any] = []
        self.attempts: list[Any] = []
        self.refuse_next = 0
        self.refusal = "451 4.3.0 Try again later"
        self.refuse_recipients = ""
        self.hold_next = 0
        self.release = threading.Event()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.refuse_recipients:
            return self.refuse_recipients
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.attempts.append(message)
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return self.refusal
        self.messages.append((list(envelope.rcpt_tos), message))
        if self.hold_next > 0:
            self.hold_next -= 1
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[SMTPCatcher, str]]:
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    catcher = SMTPCatcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield catcher, f"smtp://127.0.0.1:{port}"
    finally:
        catcher.release.set()
        controller.stop()


# --- leaving the process ------------------------------------------------------------------
# Seen in sequential runs since the PDF reports: after every test has passed and the
# summary is printed, the interpreter sometimes dies with SIGSEGV while tearing down
# (native libraries of the PDF renderer and the browser driver freed at exit, from idle
# worker threads), which turns a green run red. Not reproduced in isolation nor with
# faulthandler on. Until the cause is found, the main pytest process ends with the exit
# status pytest decided, skipping the interpreter's teardown (xdist workers end normally).

_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or not _EXIT_STATUS:
        return
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_EXIT_STATUS[-1])
