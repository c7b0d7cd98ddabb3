"""The regulator report's PDF: seconds per report divided by the time WeasyPrint takes
for a one-paragraph document, both in this process."""

from __future__ import annotations

import io
import json
import statistics
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

import psutil
from pypdf import PdfReader
from sqlmodel import Session, select

from incidents import report
from incidents.db import make_engine
from incidents.demo import _actor, load_demo
from incidents.models import Incident
from notify import pdf

ONE_PARAGRAPH = (
    "<!DOCTYPE html><html><body><p>A personal data breach was reported.</p></body></html>"
)
ONE_STYLED = (
    '<!DOCTYPE html><html><head><link rel="stylesheet" href="css/print.css"></head>'
    "<body><p>A personal data breach was reported.</p></body></html>"
)


def _times(action: Callable[[], object], runs: int) -> list[float]:
    action()  # warm: fonts, stylesheets
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def measure(url: str, runs: int) -> dict:
    engine = make_engine(url)
    load_demo(engine, with_incidents=True)  # incidents with notices and a decision
    with Session(engine) as session:
        user = _actor(session, "staff@talentcloud.example")
        incident = session.exec(select(Incident).where(Incident.reference == "INC-2026-0001")).one()
        data = report.report_data(
            session, user, incident, lang="nl", zone=ZoneInfo("Europe/Amsterdam")
        )
    attachment = json.dumps(incident.answers).encode()
    pages = len(PdfReader(io.BytesIO(report.regulator_pdf(data, attachment))).pages)
    bare = _times(lambda: pdf.render(ONE_PARAGRAPH), runs)
    styled = _times(lambda: pdf.render(ONE_STYLED), runs)
    full = _times(lambda: report.regulator_pdf(data, attachment), runs)
    engine.dispose()
    median = statistics.median
    return {
        "pages": pages,
        "report_s": median(full),
        "one_paragraph_s": median(bare),
        "one_paragraph_styled_s": median(styled),
        "x_one_paragraph": median(full) / median(bare),
        "x_one_paragraph_styled": median(full) / median(styled),
        "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
    }
