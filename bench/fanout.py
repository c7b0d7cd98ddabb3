"""Fan-out (issue 15): one incident affecting N controllers, through the real server. The
filing request; the incident page, the dashboard and the register against /healthz
(interleaved, so both see the same machine); one controller's regulator report; the "send
to all" request; and the time until every notice is delivered by `breachdesk worker
--processes P` (delivery writes the e-mails to files, so the figure is rendering and
writing, not a mail server's speed)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlmodel import Session, select

from bench.common import PROJECT, browser_session, server, summary, token_for
from incidents import controller_csv
from incidents.db import make_engine
from incidents.demo import load_demo
from incidents.models import OutboxMessage
from tests.factories import complete_answers


def _controllers(url: str, count: int) -> list[str]:
    """N controllers with an address and contract hours, imported as the admin page does."""
    text = "slug,name,emails,contract_hours,groups\n" + "".join(
        f"fan-{n:04d},Fan-out Client {n:04d} B.V.,privacy@fan-{n:04d}.example,{24 + n % 3 * 12},"
        f"{'HR' if n % 2 else 'CRM'}\n"
        for n in range(count)
    )
    engine = make_engine(url)
    try:
        load_demo(engine, with_incidents=False)
        with Session(engine) as session:
            controller_csv.apply(session, controller_csv.read(text), actor_id=None)
            session.commit()
    finally:
        engine.dispose()
    return [f"fan-{n:04d}" for n in range(count)]


def _delivered(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == "notice", OutboxMessage.status == "sent")
            ).one()
    finally:
        engine.dispose()


def _until_delivered(url: str, processes: int, expected: int, limit_s: float) -> float:
    """Seconds from starting `breachdesk worker --processes P` until ``expected`` notices
    are delivered (or ``limit_s`` has passed: then the time is that limit)."""
    folder = tempfile.mkdtemp(prefix="breachdesk-bench-mail-")
    env = {
        **os.environ,
        "BREACHDESK_DATABASE_URL": url,
        "BREACHDESK_SECRET_KEY": "bench-" + "k" * 40,
        "BREACHDESK_OUTBOX_DIR": folder,
        "BREACHDESK_SMTP_URL": "",
    }
    script = str(Path(sys.executable).parent / "breachdesk")
    started = time.perf_counter()
    worker = subprocess.Popen(
        [script, "worker", "--processes", str(processes), "--interval", "1"],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while _delivered(url) < expected and time.perf_counter() - started < limit_s:
            time.sleep(0.5)
        return time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def measure(url: str, count: int, runs: int, processes: tuple[int, ...] = (1, 2)) -> dict:
    slugs = _controllers(url, count)
    result: dict = {"controllers": count, "runs": runs}
    with server(url) as srv:
        api = httpx.Client(
            base_url=srv.base, timeout=600, headers={"Authorization": f"Bearer {token_for(url)}"}
        )
        page = browser_session(srv.base)
        plain = httpx.Client(base_url=srv.base, timeout=60)
        incidents = []
        filing = []
        for _ in processes:  # one incident per worker run, each with every controller
            started = time.perf_counter()
            response = api.post("/api/v1/incidents", json=complete_answers(controllers=slugs))
            filing.append(time.perf_counter() - started)
            assert response.status_code == 201, response.text[:300]
            incidents.append(response.json()["id"])
        result["filing_ms"] = round(min(filing) * 1000, 1)
        first = incidents[0]
        cases = {
            "healthz": (plain, "/healthz"),
            "incident page": (page, f"/incidents/{first}"),
            "dashboard": (page, "/"),
            "register": (page, "/incidents"),
        }
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for round_number in range(runs + 3):
            for name, (client, path) in cases.items():
                started = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, (path, response.status_code)
                if round_number >= 3:
                    samples[name].append(elapsed)
        result["pages"] = {name: summary(values) for name, values in samples.items()}
        base = result["pages"]["healthz"]["median_ms"]
        for values in result["pages"].values():
            values["x_median"] = values["median_ms"] / base
        result["incident_page_kb"] = round(len(page.get(f"/incidents/{first}").content) / 1024)
        started = time.perf_counter()
        report = page.get(f"/incidents/{first}/report.pdf?controller={slugs[0]}&lang=en")
        result["controller_report_ms"] = round((time.perf_counter() - started) * 1000)
        result["controller_report_kb"] = round(len(report.content) / 1024)
        result["delivery"] = []
        delivered = 0
        for incident_id, workers in zip(incidents, processes, strict=True):
            started = time.perf_counter()
            sent = api.post(f"/api/v1/incidents/{incident_id}/notices/send")
            send_ms = (time.perf_counter() - started) * 1000
            assert sent.status_code == 202, sent.text[:300]
            delivered += count
            seconds = _until_delivered(url, workers, delivered, limit_s=1800)
            done = _delivered(url) >= delivered
            result["delivery"].append(
                {
                    "processes": workers,
                    "send_request_ms": round(send_ms, 1),
                    "all_delivered_s": round(seconds, 1),
                    "complete": done,
                    "per_second": round(count / seconds, 1),
                }
            )
        for client in (api, page, plain):
            client.close()
    return result
