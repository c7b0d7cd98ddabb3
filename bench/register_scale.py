"""Register latency against the app's own /healthz, at a given number of incidents.

    .venv/bin/python bench/register_scale.py --incidents 100000 [--database-url URL]

Seeds a fresh database (SQLite file by default) with N submitted incidents spread over
three controllers, then times, in one run and the same way (in-process ASGI client):
/healthz, the register page (first page, a deep page through the cursor, a text search,
a controller filter) and the register API. Prints medians and 95th percentiles and their
ratio to /healthz. Never part of `make test`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from litestar.testing import TestClient
from sqlalchemy import insert
from sqlmodel import Session, select

from incidents.accounts import create_token
from incidents.app import create_app
from incidents.db import make_engine
from incidents.demo import DEMO_PASSWORD, load_demo
from incidents.migrate import upgrade
from incidents.models import Incident, Notice, Organisation, OrgKind, User
from incidents.settings import Settings
from tests.factories import complete_answers

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


def seed(url: str, count: int) -> None:
    engine = make_engine(url)
    load_demo(engine, with_incidents=False)
    with Session(engine) as session:
        staff = session.exec(select(User).where(User.role == "staff")).first()
        controllers = session.exec(
            select(Organisation).where(Organisation.kind == OrgKind.controller)
        ).all()
        base = datetime(2026, 1, 1, tzinfo=UTC)
        batch_incidents, batch_notices = [], []
        for number in range(1, count + 1):
            moment = base + timedelta(minutes=7 * number)
            controller = controllers[number % len(controllers)]
            answers = complete_answers(
                controllers=[controller.slug], summary=f"{WORDS[number % 8]} incident {number}"
            )
            incident_id = uuid.uuid4()
            batch_incidents.append(
                {"id": incident_id, "reference": f"INC-2026-{number:07d}", "reference_year": 2026,
                 "reference_number": number, "status": "submitted", "answers": answers, "version": 1,
                 "summary": answers["summary"], "discovered_at": moment, "affected_max": number % 5000,
                 "created_by_id": staff.id, "created_at": moment, "updated_at": moment, "submitted_at": moment}
            )  # fmt: skip
            batch_notices.append({"id": uuid.uuid4(), "incident_id": incident_id, "controller_id": controller.id,
                                  "version": 0, "created_at": moment})  # fmt: skip
            if len(batch_incidents) == 5000 or number == count:
                session.execute(insert(Incident), batch_incidents)
                session.execute(insert(Notice), batch_notices)
                session.commit()
                batch_incidents, batch_notices = [], []
    if engine.dialect.name == "postgresql":
        # As autovacuum would after a bulk load: without statistics the planner guesses.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def timed(
    client: TestClient, url: str, runs: int, headers: dict[str, str] | None = None
) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, headers=headers or {})
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def p95(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{workdir}/bench.db"
    upgrade(url)
    started = time.perf_counter()
    seed(url, args.incidents)
    print(
        f"seeded {args.incidents} incidents in {time.perf_counter() - started:.1f}s ({url.split(':')[0]})"
    )
    app = create_app(Settings(database_url=url, secret_key="bench-" + "x" * 40, environment="test"))
    engine = make_engine(url)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.role == "staff")).first()
        token = create_token(session, user, "bench", actor_id=None)
        email = user.email
        session.commit()
    api = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        client.get("/login")
        client.post("/login", data={"email": email, "password": DEMO_PASSWORD,
                                    "_csrf_token": client.cookies.get("bd_csrf")})  # fmt: skip
        deep = client.get("/api/v1/incidents?limit=200", headers=api).json()["next_cursor"]
        for _ in range(20):
            deep = client.get(f"/api/v1/incidents?limit=200&cursor={deep}", headers=api).json()[
                "next_cursor"
            ]
        cases = {
            "/healthz": ("/healthz", None),
            "register page": ("/incidents", None),
            "register page, deep cursor": (f"/incidents?cursor={deep}", None),
            "register page, search": ("/incidents?q=courier", None),
            "register page, controller": ("/incidents?controller=acme", None),
            "register API": ("/api/v1/incidents", api),
        }
        for path, headers in cases.values():
            timed(client, path, 5, headers)  # warm up
        results = {
            name: timed(client, path, args.runs, headers) for name, (path, headers) in cases.items()
        }
    base_median = statistics.median(results["/healthz"])
    base_p95 = p95(results["/healthz"])
    print(
        f"{'case':32} {'median ms':>10} {'p95 ms':>8} {'x healthz (median)':>19} {'x healthz (p95)':>16}"
    )
    for name, samples in results.items():
        median = statistics.median(samples)
        print(
            f"{name:32} {median * 1000:10.2f} {p95(samples) * 1000:8.2f} {median / base_median:19.1f} {p95(samples) / base_p95:16.1f}"
        )


if __name__ == "__main__":
    main()
