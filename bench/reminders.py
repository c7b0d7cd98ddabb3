"""The reminder worker (issue 12, item 4): what one cycle costs and what it does to filings.

- ``measure_cycle``: a database of N open notices (submitted, not sent, Acme's 24 hours,
  discovered over the ten hours before the cycle's instant), in this process: the first
  cycle (every notice new, as after migration 0006), a cycle with nothing due, and cycles
  with a few notices due (each reaching its half-time stage), in ms; and the longest write
  transaction of each kind, the time SQLite's single writer lock is held (from BEGIN to
  the COMMIT being issued). Measured at N and N/10: a cycle should cost what is due, not
  what exists.
- ``measure_filing``: 8 API clients file incidents for a few seconds against
  `breachdesk serve`, first without any worker, then with `breachdesk worker --interval
  0.2` running next to it on the same database (its first cycle over the N open notices,
  a few reminders coming due every second, each filing's notices to schedule, and the
  reminders delivered to files): latency per filing (median, p99, max) and errors.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, func, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bench.common import PROJECT, STAFF, count_incidents, seed, server, token_for
from incidents.db import make_engine
from incidents.demo import load_demo
from incidents.models import Incident, Notice, Organisation, OutboxMessage, User, utcnow
from incidents.reminders import reminder_cycle
from incidents.settings import Settings
from tests.factories import complete_answers, submitted_row
from tests.processes import worker_process

FILERS = 8
DUE_PER_CYCLE = 5  # notices reaching a stage in each "a few due" cycle
WORKER_INTERVAL = 0.2  # seconds between the worker's cycles during the filing run
DUE_PER_SECOND = 10  # reminders coming due each second of the filing run
HALF = timedelta(hours=12)  # half of Acme's 24 hours


def _settings(url: str) -> Settings:
    folder = Path(tempfile.mkdtemp(prefix="breachdesk-bench-outbox-"))
    return Settings(database_url=url, secret_key="bench-" + "k" * 40, outbox_dir=folder)


def _open_notices(engine: Engine, discovered: list[datetime], first_number: int = 1) -> None:
    """Submitted incidents for Acme, not sent, one per discovery time, due for the reminder
    worker from their discovery on (plain INSERTs, as the API files them)."""
    with Session(engine) as session:
        staff = session.exec(select(User).where(User.email == STAFF)).one()
        acme = session.exec(select(Organisation).where(Organisation.slug == "acme")).one()
        answers = complete_answers(controllers=["acme"])
        incidents, notices = [], []
        for number, moment in enumerate(discovered, start=first_number):
            incident_id = uuid.uuid4()
            # A year of their own: the filings number theirs from 1.
            reference = (2000, number, f"INC-2000-{number:06d}")
            moment_answers = {**answers, "discovered_at": moment.isoformat()}
            incidents.append(
                submitted_row(incident_id, reference, moment_answers, moment, staff.id)
            )
            notices.append(
                {
                    "id": uuid.uuid4(),
                    "incident_id": incident_id,
                    "controller_id": acme.id,
                    "created_at": moment,
                    "next_reminder_at": moment,
                }
            )
        for start in range(0, len(incidents), 5000):
            session.execute(insert(Incident), incidents[start : start + 5000])
            session.execute(insert(Notice), notices[start : start + 5000])
        session.commit()


# --- how long the writer lock is held ----------------------------------------------------------


@contextmanager
def write_transactions(engine: Engine) -> Iterator[list[float]]:
    """The seconds of every transaction on ``engine`` that wrote (or took SQLite's write
    lock), from its BEGIN to its COMMIT or ROLLBACK being issued."""
    durations: list[float] = []
    verbs = ("INSERT", "UPDATE", "DELETE")

    def began(conn: Any) -> None:  # after incidents.db's listener issued BEGIN IMMEDIATE
        conn.info["bench_began"] = time.perf_counter()
        conn.info["bench_wrote"] = bool(conn.info.get("write"))

    def executed(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(verbs):
            conn.info["bench_wrote"] = True

    def ended(conn: Any) -> None:
        started = conn.info.pop("bench_began", None)
        if started is not None and conn.info.pop("bench_wrote", False):
            durations.append(time.perf_counter() - started)

    listeners: list[tuple[str, Callable[..., None]]] = [
        ("begin", began),
        ("before_cursor_execute", executed),
        ("commit", ended),
        ("rollback", ended),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield durations
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def _timed_cycle(engine: Engine, settings: Settings, now: datetime) -> tuple[float, float, Any]:
    """One reminder cycle at ``now``: its seconds, its longest write transaction (0: none)
    and its result."""
    with write_transactions(engine) as writes:
        started = time.perf_counter()
        result = reminder_cycle(engine, settings, now)
        elapsed = time.perf_counter() - started
    return elapsed, max(writes, default=0.0), result


def measure_cycle(url: str, count: int, runs: int) -> dict:
    engine = make_engine(url)
    try:
        load_demo(engine, with_incidents=False)
        settings = _settings(url)
        now = utcnow().replace(microsecond=0)
        step = timedelta(hours=10) / count
        started = time.perf_counter()
        _open_notices(engine, [now - timedelta(hours=10) + step * i for i in range(count)])
        seed_s = time.perf_counter() - started
        first_s, first_write, first = _timed_cycle(engine, settings, now)
        assert first.evaluated == count and first.queued == 0, first

        idle, idle_writes = [], []
        for _ in range(runs):
            elapsed, longest, result = _timed_cycle(engine, settings, now)
            assert result.evaluated == 0, result
            idle.append(elapsed)
            idle_writes.append(longest)

        # The oldest notice reaches half of its 24 hours two hours after ``now``; each run
        # moves on by DUE_PER_CYCLE notices' worth of discovery times.
        due, due_writes, queued = [], [], 0
        for run in range(1, min(runs, count // DUE_PER_CYCLE) + 1):
            moment = now + timedelta(hours=2) + step * (DUE_PER_CYCLE * run) - step / 2
            elapsed, longest, result = _timed_cycle(engine, settings, moment)
            due.append(elapsed)
            due_writes.append(longest)
            queued += result.queued
        return {
            "notices": count,
            "seed_s": round(seed_s, 2),
            "first_ms": first_s * 1000,
            "first_longest_write_ms": first_write * 1000,
            "idle_median_ms": statistics.median(idle) * 1000,
            "idle_max_ms": max(idle) * 1000,
            "idle_longest_write_ms": max(idle_writes) * 1000,
            "due_per_cycle": queued / len(due),
            "due_median_ms": statistics.median(due) * 1000,
            "due_max_ms": max(due) * 1000,
            "due_longest_write_ms": max(due_writes) * 1000,
            "runs": runs,
        }
    finally:
        engine.dispose()


# --- filings while the worker runs --------------------------------------------------------------


async def _filer(
    base: str, token: str, until: float, latencies: list[float], statuses: list[int]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=120, headers=headers) as client:
        # Discovered two hours ago: a filing's own reminders are hours away.
        discovered = (utcnow() - timedelta(hours=2)).isoformat()
        body = complete_answers(controllers=["acme", "northwind"], discovered_at=discovered)
        while time.perf_counter() < until:
            started = time.perf_counter()
            response = await client.post("/api/v1/incidents", json=body)
            latencies.append(time.perf_counter() - started)
            statuses.append(response.status_code)


def _file_for(base: str, token: str, seconds: float) -> dict:
    latencies: list[float] = []
    statuses: list[int] = []

    async def run() -> None:
        until = time.perf_counter() + seconds
        await asyncio.gather(
            *(_filer(base, token, until, latencies, statuses) for _ in range(FILERS))
        )

    started = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    created = sum(1 for s in statuses if s == 201)
    return {
        "seconds": round(elapsed, 2),
        "created": created,
        "errors": len(statuses) - created,
        "per_second": created / elapsed,
        "median_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[max(0, round(len(ordered) * 0.99) - 1)] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def _reminders(engine: Engine) -> tuple[int, int]:
    """Reminders written, and of those sent."""
    with Session(engine) as session:
        kind = OutboxMessage.kind == "reminder"
        written = session.exec(select(func.count()).where(kind)).one()
        sent = session.exec(select(func.count()).where(kind, OutboxMessage.status == "sent")).one()
    return int(written), int(sent)


@contextmanager
def worker(url: str, outbox_dir: Path) -> Iterator[list[str]]:
    """`breachdesk worker` in a process of its own, once it has started; yields the lines
    it logs (JSON)."""
    env = {
        **os.environ,
        "BREACHDESK_DATABASE_URL": url,
        "BREACHDESK_SECRET_KEY": "bench-" + "k" * 40,
        "BREACHDESK_OUTBOX_DIR": str(outbox_dir),
    }
    env.pop("BREACHDESK_SMTP_URL", None)
    with worker_process(env, PROJECT, WORKER_INTERVAL) as (_process, lines):
        yield lines


def _worker_runs(lines: list[str]) -> tuple[int, int, int]:
    """Cycles that did something, reminders they queued, messages they sent."""
    runs = [json.loads(line) for line in lines if '"worker_run"' in line]
    return (
        len(runs),
        sum(r.get("reminders_queued", 0) for r in runs),
        sum(r.get("messages_sent", 0) for r in runs),
    )


def measure_filing(url: str, count: int, seconds: float) -> dict:
    seed(url, 0)  # the demo organisations and users
    engine = make_engine(url)
    try:
        now = utcnow()
        # Open notices whose next stage is hours away (the worker's first cycle reads them all).
        _open_notices(
            engine,
            [now - timedelta(hours=10) + timedelta(hours=10) / count * i for i in range(count)],
        )
        token = token_for(url)
        result: dict = {"notices": count, "filers": FILERS, "worker_interval_s": WORKER_INTERVAL}
        with server(url) as srv:
            _file_for(srv.base, token, 1)  # warm up
            before = count_incidents(url)
            result["without"] = _file_for(srv.base, token, seconds)
            result["without"]["lost"] = result["without"]["created"] - (
                count_incidents(url) - before
            )
            # A few reminders come due every second of the run (half of Acme's 24 hours).
            start = utcnow() + timedelta(seconds=1)
            due = int(DUE_PER_SECOND * seconds)
            _open_notices(
                engine,
                [start - HALF + timedelta(seconds=seconds) / due * i for i in range(due)],
                first_number=count + 1,
            )
            outbox_dir = Path(tempfile.mkdtemp(prefix="breachdesk-bench-worker-"))
            with worker(url, outbox_dir) as lines:
                before = count_incidents(url)
                result["with"] = _file_for(srv.base, token, seconds)
                result["with"]["lost"] = result["with"]["created"] - (count_incidents(url) - before)
                busy, queued, sent = _worker_runs(lines)
            result["worker_busy_cycles"] = busy
            result["reminders_written"] = queued
            result["messages_sent"] = sent
        result["p99_x_without"] = result["with"]["p99_ms"] / result["without"]["p99_ms"]
        result["max_x_without"] = result["with"]["max_ms"] / result["without"]["max_ms"]
        return result
    finally:
        engine.dispose()
