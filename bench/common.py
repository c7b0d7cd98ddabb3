"""What the benchmarks share: a seeded database, the real server (`breachdesk serve` on
loopback, as users meet it), logged-in HTTP clients, and the statistics."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from incidents.accounts import create_token
from incidents.db import make_engine, normalise_url
from incidents.demo import DEMO_PASSWORD, load_demo
from incidents.migrate import upgrade
from incidents.models import Incident, Notice, Organisation, OrgKind, ReferenceCounter, User
from tests.factories import complete_answers, submitted_row

PROJECT = Path(__file__).resolve().parent.parent
STAFF = "staff@talentcloud.example"
WORDS = [
    "ransomware",
    "laptop",
    "phishing",
    "misdirected",
    "backup",
    "courier",
    "payroll",
    "portal",
]
BATCH = 10_000


# --- databases --------------------------------------------------------------------------


def fresh_database(kind: str, label: str) -> str:
    """An empty, migrated database: a SQLite file, or a new PostgreSQL database."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="breachdesk-bench-"))
        url = f"sqlite:///{folder}/bench.db"
    else:
        admin_url = make_url(
            normalise_url(
                os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
            )
        )
        name = f"bd_bench_{label}_{uuid.uuid4().hex[:6]}"
        admin = make_engine(admin_url.render_as_string(hide_password=False))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = admin_url.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def drop_database(url: str) -> None:
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database or "").unlink(missing_ok=True)
        return
    admin = make_engine(parsed.set(database="test").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def seed(url: str, count: int) -> float:
    """The demo organisations and users, then ``count`` submitted incidents spread over the
    three controllers, each with its notice sent. Returns the seconds it took."""
    started = time.perf_counter()
    engine = make_engine(url)
    load_demo(engine, with_incidents=False)
    with Session(engine) as session:
        staff = session.exec(select(User).where(User.email == STAFF)).one()
        controllers = session.exec(
            select(Organisation).where(Organisation.kind == OrgKind.controller)
        ).all()
        base = datetime(2026, 1, 1, tzinfo=UTC)
        templates = {c.slug: complete_answers(controllers=[c.slug]) for c in controllers}
        incidents, notices = [], []
        for number in range(1, count + 1):
            moment = base + timedelta(seconds=25 * number)
            controller = controllers[number % len(controllers)]
            answers = {
                **templates[controller.slug],
                "summary": f"{WORDS[number % 8]} incident {number}",
            }
            incident_id = uuid.uuid4()
            reference = (2026, number, f"INC-2026-{number:07d}")
            incidents.append(
                submitted_row(incident_id, reference, answers, moment, staff.id, number % 5000)
            )
            notices.append(
                {
                    "id": uuid.uuid4(),
                    "incident_id": incident_id,
                    "controller_id": controller.id,
                    "version": 1,
                    "incident_version": 1,
                    "sent_at": moment,
                    "delivered_at": moment,
                    "created_at": moment,
                }
            )
            if len(incidents) == BATCH or number == count:
                session.execute(insert(Incident), incidents)
                session.execute(insert(Notice), notices)
                session.commit()
                incidents, notices = [], []
        session.merge(ReferenceCounter(year=2026, last=count))
        session.commit()
    if engine.dialect.name == "postgresql":
        # As autovacuum would after a bulk load: without statistics the planner guesses.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def count_incidents(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text("SELECT count(*) FROM incident")).scalar_one()
    engine.dispose()
    return int(value)


def token_for(url: str, email: str = STAFF) -> str:
    engine = make_engine(url)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        token = create_token(session, user, "bench", actor_id=None)
        session.commit()
    engine.dispose()
    return token


# --- the server -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base: str
    process: subprocess.Popen

    def cpu_seconds(self) -> float:
        """User and system CPU time of the server so far."""
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def rss_mb(self) -> float:
        proc = psutil.Process(self.process.pid)
        return (
            proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
        ) / 2**20


@contextmanager
def server(url: str, workers: int = 1) -> Iterator[Server]:
    """`breachdesk serve` on loopback (``workers`` processes, no background worker), logs
    discarded."""
    port = _free_port()
    env = {
        **os.environ,
        "BREACHDESK_DATABASE_URL": url,
        "BREACHDESK_SECRET_KEY": "bench-" + "k" * 40,
        "BREACHDESK_LANGUAGE": "en",
    }
    script = str(Path(sys.executable).parent / "breachdesk")
    process = subprocess.Popen(
        [
            script,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-worker",
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    "the server did not start: "
                    + (process.stderr.read() if process.stderr else b"").decode()
                ) from None
            time.sleep(0.2)
    try:
        yield Server(base, process)
    finally:
        process.terminate()
        process.wait(timeout=20)


def browser_session(base: str, email: str = STAFF) -> httpx.Client:
    """A client logged in through the login form, keeping the connection open."""
    client = httpx.Client(base_url=base, timeout=60)
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": email,
            "password": DEMO_PASSWORD,
            "_csrf_token": client.cookies.get("bd_csrf"),
        },
    )
    assert response.status_code == 303, response.status_code
    return client


# --- statistics -------------------------------------------------------------------------


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(len(ordered) * 0.95) - 1)]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "median_ms": statistics.median(samples) * 1000,
        "p95_ms": p95(samples) * 1000,
        "n": len(samples),
    }


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, Python {sys.version.split()[0]}"


def dump(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
