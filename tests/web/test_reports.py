"""The severity assessment in the app and the API, the officer's own estimate beside it,
and the PDFs for the supervisory authority (one incident; the register for a period),
read back as text."""

from __future__ import annotations

import io
import json
import re
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from forms.display import display_value, format_datetime
from forms.questionnaire import QUESTIONS
from incidents import report
from incidents.models import AssessmentOverride
from tests.helpers import OFFICER_ACME, OFFICER_NORTHWIND, STAFF, PageClient
from tests.web.notice_helpers import file_via_api as _file
from tests.web.notice_helpers import notice_of as _notice
from tests.web.notice_helpers import pdf_text as _text
from tests.web.notice_helpers import send_all as _send_all

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def staff_api(api_headers) -> dict[str, str]:
    return api_headers(STAFF)


def _pages(data: bytes) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages]


# --- the assessment in the API and on the pages ---------------------------------------


def test_the_incident_json_carries_the_assessment_in_the_callers_language(
    client: PageClient, staff_api
) -> None:
    incident_id = _file(client, staff_api)
    data = client.get(f"/api/v1/incidents/{incident_id}", headers=staff_api).json()
    assessment = data["assessment"]
    # complete_answers: health data (4, +1 volume, kept at 4), directly identifiable,
    # unknown recipients 0.5 + temporary loss 0.25 + malicious 0.5.
    assert (assessment["dpc"], assessment["ei"], assessment["cb"]) == (4.0, 1.0, 1.25)
    assert assessment["score"] == 5.25 and assessment["level"] == "very_high"
    assert assessment["flags"] == ["more_than_100_persons"]
    assert assessment["recommendation"]["notify_authority"] is True
    assert assessment["recommendation"]["inform_data_subjects"] is True
    assert any(
        "special categories of personal data (health)" in line for line in assessment["explanation"]
    )
    dutch = client.get(
        f"/api/v1/incidents/{incident_id}", headers={**staff_api, "Accept-Language": "nl"}
    ).json()["assessment"]
    assert any("bijzondere persoonsgegevens (gezondheid)" in line for line in dutch["explanation"])
    assert dutch["recommendation"]["reasons"][0].startswith("Leg dit datalek")
    schema = client.get("/schema/openapi.json").json()
    assert "AssessmentOut" in json.dumps(schema["components"]["schemas"])


def test_the_incident_page_and_the_notice_show_the_assessment(
    client: PageClient, staff_api
) -> None:
    incident_id = _file(
        client,
        staff_api,
        encrypted="yes",
        key_compromised="no",
        encryption_details="AES-256, key in an HSM",
    )
    client.login(STAFF)
    page = client.page(f"/incidents/{incident_id}")
    panel = page.select_one("#assessment")
    assert "very high" in panel.text and "Data unintelligible (encrypted, key safe)" in panel.text
    assert "Art. 34(3)(a)" in panel.text
    assert "How the score was made" in panel.text
    preview = client.page(f"/incidents/{incident_id}/notices/acme")  # acme reads Dutch
    assert (
        "Onze eerste beoordeling van de ernst (advies)" in preview.select_one(".notice-frame").text
    )
    assert "zeer hoog" in preview.select_one(".notice-frame").text


def test_the_officer_records_an_own_estimate_beside_the_computed_one(
    client: PageClient, staff_api, engine
) -> None:
    incident_id = _file(client, staff_api, controllers=["acme", "northwind"])
    _send_all(client, incident_id)
    client.login(OFFICER_ACME)
    base = f"/incidents/{incident_id}/notices/acme"
    page = client.page(f"{base}/assessment")
    assert page.select_one("#assessment") is not None
    # Every problem at its field, the input kept.
    page = client.submit_page(
        f"{base}/assessment", {"level": "enormous", "notify_authority": "yes", "reason": "  "}
    )
    errors = {e["href"].lstrip("#") for e in page.select(".error-summary a")}
    assert errors == {"level", "inform_data_subjects", "reason"}
    assert page.select_one('input[name="notify_authority"][value="yes"]').has_attr("checked")
    estimate = {
        "level": "medium",
        "notify_authority": "yes",
        "inform_data_subjects": "no",
        "reason": "The health data were a list of sick days without diagnoses.",
    }
    response = client.submit(f"{base}/assessment", estimate)
    assert response.status_code == 303
    page = client.page(base)
    computed = page.select_one(".assessment-computed")
    override = page.select_one(".assessment-override")
    assert "very high" in computed.text  # the computed value stays
    assert "medium" in override.text and "sick days without diagnoses" in override.text
    assert "computed then: very high, score 5.25" in override.text
    client.submit("/logout")

    # Staff see it beside the computed value too, with the controller's name.
    client.login(STAFF)
    page = client.page(f"/incidents/{incident_id}")
    overrides = page.select("#assessment .assessment-override")
    assert len(overrides) == 1 and "Acme Retail B.V." in overrides[0].text
    client.submit("/logout")

    # The estimate is kept as a version, with the computed values it was set beside.
    with Session(engine) as session:
        rows = session.exec(select(AssessmentOverride)).all()
        assert [r.version for r in rows] == [1]
        assert rows[0].override["computed"]["level"] == "very_high"


def test_the_api_records_the_estimate_and_keeps_it_to_the_controller(
    client: PageClient, staff_api, api_headers
) -> None:
    incident_id = _file(client, staff_api, controllers=["acme", "northwind"])
    _send_all(client, incident_id)
    acme = api_headers(OFFICER_ACME)
    url = f"/api/v1/incidents/{incident_id}/notices/acme/assessment"
    bad = client.post(
        url, json={"level": "huge", "notify_authority": "maybe", "extra": 1}, headers=acme
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "extra",
        "level",
        "notify_authority",
        "inform_data_subjects",
        "reason",
    }
    good = client.post(
        url,
        json={
            "level": "low",
            "notify_authority": False,
            "inform_data_subjects": False,
            "reason": "Test data only",
        },
        headers=acme,
    )
    assert good.status_code == 200, good.text
    assert good.json()["assessment_override"]["level"] == "low"
    again = client.post(
        url,
        json={
            "level": "high",
            "notify_authority": True,
            "inform_data_subjects": False,
            "reason": "Real data after all",
        },
        headers=acme,
    )
    assert again.json()["assessment_override"]["version"] == 2
    # The other officer never sees Acme's estimate; staff may not make one.
    northwind = client.get(
        f"/api/v1/incidents/{incident_id}", headers=api_headers(OFFICER_NORTHWIND)
    ).json()
    assert [n["controller"] for n in northwind["notices"]] == ["northwind"]
    assert northwind["notices"][0]["assessment_override"] is None
    assert client.post(url, json={}, headers=api_headers(OFFICER_NORTHWIND)).status_code == 404
    assert client.post(url, json={}, headers=staff_api).status_code == 403
    staff_view = client.get(f"/api/v1/incidents/{incident_id}", headers=staff_api).json()
    acme_notice = next(n for n in staff_view["notices"] if n["controller"] == "acme")
    assert acme_notice["assessment_override"]["reason"] == "Real data after all"


# --- the report for the supervisory authority -----------------------------------------


def _decided(client: PageClient, staff_api, api_headers, **changes) -> str:
    """An incident for Acme and Northwind, sent; Northwind's officer acknowledged, decided
    to notify and inform, recorded the authority's number and an own estimate."""
    incident_id = _file(client, staff_api, controllers=["acme", "northwind"], **changes)
    _send_all(client, incident_id)
    headers = api_headers(OFFICER_NORTHWIND)
    base = f"/api/v1/incidents/{incident_id}/notices/northwind"
    assert client.post(f"{base}/acknowledge", headers=headers).status_code == 200
    decision = {
        "is_breach": True,
        "notify_authority": True,
        "authority_reason": "Health data of employees were copied by an attacker.",
        "inform_data_subjects": True,
        "data_subjects_reason": "High risk of identity fraud.",
    }
    assert client.post(f"{base}/decision", json=decision, headers=headers).status_code == 200
    notified = client.post(
        f"{base}/authority-notified",
        headers=headers,
        json={"notified_at": "2026-11-21T09:00:00+00:00", "reference": "AP-2026-12345"},
    )
    assert notified.status_code == 200, notified.text
    estimate = {
        "level": "high",
        "notify_authority": True,
        "inform_data_subjects": True,
        "reason": "Sick-leave reasons only, no full medical files.",
    }
    assert client.post(f"{base}/assessment", json=estimate, headers=headers).status_code == 200
    return incident_id


def _answer_lines(answers: dict, lang: str, zone: ZoneInfo) -> list[str]:
    lines = []
    for key, question in QUESTIONS.items():
        if key == "controllers" or not question.applies(answers):
            continue
        lines += display_value(question, answers.get(key), lang, zone, {})
    return lines


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_report_holds_every_answer_the_deadlines_and_the_decisions(
    client: PageClient, staff_api, api_headers, engine, lang: str
) -> None:
    incident_id = _decided(
        client,
        staff_api,
        api_headers,
        summary="Ransomware op de HR-server; "
        "gegevens van medewerkers uit Curaçao en België gekopieerd.",
    )
    response = client.get(
        f"/api/v1/incidents/{incident_id}/report.pdf?lang={lang}&controller=northwind",
        headers=staff_api,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = _text(response.content)
    zone = ZoneInfo("Europe/Amsterdam")
    answers = client.get(f"/api/v1/incidents/{incident_id}", headers=staff_api).json()["answers"]
    for line in _answer_lines(answers, lang, zone):
        assert " ".join(line.split()) in text, line
    notice = _notice(engine, incident_id, "northwind")
    due = format_datetime(notice.delivered_at + timedelta(hours=72), zone, lang)
    assert due in text
    assert format_datetime(notice.delivered_at, zone, lang) in text
    assert "AP-2026-12345" in text
    assert "Health data of employees were copied by an attacker." in text
    assert "High risk of identity fraud." in text
    assert "Sick-leave reasons only, no full medical files." in text
    assert "Northwind Logistics Ltd" in text and "Acme Retail B.V." not in text
    assert "Curaçao en België" in text  # the embedded font has the diacritics
    if lang == "nl":
        assert "Over deze melding" in text and "Vervolgmelding op melding AP-2026-12345" in text
        assert "Betrokkenen geïnformeerd" in text and "Pagina 1 van" in text
        assert "Inschatting van de privacyfunctionaris" in text
    else:
        assert (
            "About this notification" in text and "Follow-up to notification AP-2026-12345" in text
        )
        assert "Persons concerned" in text and "Page 1 of" in text
        assert "The privacy officer's estimate" in text
    # The reference in every page's header, and "page X of Y" on each.
    pages = _pages(response.content)
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert page.count("INC-") >= 1, number
        assert re.search(rf"(Page|Pagina) {number} (of|van) {len(pages)}", page), number


def test_the_report_is_pdf_a_3_tagged_with_the_incident_json_attached(
    client: PageClient, staff_api, api_headers
) -> None:
    incident_id = _decided(client, staff_api, api_headers)
    response = client.get(f"/api/v1/incidents/{incident_id}/report.pdf?lang=en", headers=staff_api)
    reader = PdfReader(io.BytesIO(response.content))
    root = reader.trailer["/Root"]
    metadata = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", metadata)
    assert re.search(r"pdfaid:conformance(>|=\")U", metadata)
    assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root  # tagged
    assert root["/Lang"] == "en"
    # The incident's JSON, as the API gives it, is attached (PDF/A-3 associated file).
    reference = client.get(f"/api/v1/incidents/{incident_id}", headers=staff_api).json()[
        "reference"
    ]
    attached = reader.attachments[f"{reference}.json"][0]
    data = json.loads(attached)
    assert data["id"] == incident_id and data["reference"] == reference
    assert data["assessment"]["level"] == "very_high"
    assert {n["controller"] for n in data["notices"]} == {"acme", "northwind"}
    assert "/AF" in root
    # Every font is embedded.
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            assert (
                "/FontFile2" in descendant["/FontDescriptor"]
                or "/FontFile3" in descendant["/FontDescriptor"]
            )


class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_html_and_urls_in_answers_are_text_and_fetch_nothing(client: PageClient, staff_api) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host = f"http://127.0.0.1:{server.server_address[1]}"
    _Counter.hits.clear()
    try:
        summary = (
            f'<img src="{host}/pixel.png"><link rel="stylesheet" href="{host}/x.css">'
            f'<b>bold</b> <style>@import "{host}/y.css";</style>'
        )
        measures = f"See {host}/report and url({host}/z.png) and file:///etc/passwd"
        incident_id = _file(
            client, staff_api, summary=summary, measures=measures, controllers=["northwind"]
        )
        _send_all(client, incident_id)
        response = client.get(
            f"/api/v1/incidents/{incident_id}/report.pdf?lang=en", headers=staff_api
        )
        assert response.status_code == 200
        text = _text(response.content)
        assert f'<img src="{host}/pixel.png">' in text and "<b>bold</b>" in text
        compact = text.replace(" ", "")  # a long URL may wrap at its slashes
        assert f"url({host}/z.png)" in compact and "file:///etc/passwd" in compact
        assert "root:x:0" not in text
        assert _Counter.hits == []
    finally:
        server.shutdown()


def test_an_officer_gets_only_their_own_controllers_report(
    client: PageClient, staff_api, api_headers
) -> None:
    both = _decided(client, staff_api, api_headers)
    acme_only = _file(client, staff_api, controllers=["acme"])
    _send_all(client, acme_only)
    headers = api_headers(OFFICER_NORTHWIND)
    # Even when asking for Acme's, the officer gets Northwind's report.
    response = client.get(f"/api/v1/incidents/{both}/report.pdf?controller=acme", headers=headers)
    assert response.status_code == 200
    text = _text(response.content)
    assert "Northwind Logistics Ltd" in text and "Acme Retail" not in text
    assert "About this notification" in text  # Northwind's language is English
    assert (
        client.get(f"/api/v1/incidents/{acme_only}/report.pdf", headers=headers).status_code == 404
    )
    client.login(OFFICER_NORTHWIND)
    assert client.get(f"/incidents/{acme_only}/report.pdf").status_code == 404
    browser = client.get(f"/incidents/{both}/report.pdf?lang=nl")
    assert browser.status_code == 200 and "Over deze melding" in _text(browser.content)


def test_report_problems_are_named(client: PageClient, staff_api) -> None:
    incident_id = _file(client, staff_api, controllers=["acme"])
    bad = client.get(f"/api/v1/incidents/{incident_id}/report.pdf?lang=fr", headers=staff_api)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "lang"
    unknown = client.get(
        f"/api/v1/incidents/{incident_id}/report.pdf?controller=northwind", headers=staff_api
    )
    assert unknown.status_code == 404
    draft = client.post(
        "/api/v1/incidents", json={"draft": True, "summary": "x"}, headers=staff_api
    ).json()
    assert (
        client.get(f"/api/v1/incidents/{draft['id']}/report.pdf", headers=staff_api).status_code
        == 409
    )
    missing = client.get(f"/api/v1/incidents/{uuid.uuid4()}/report.pdf", headers=staff_api)
    assert missing.status_code == 404


def test_the_incident_page_links_the_reports(client: PageClient, staff_api) -> None:
    incident_id = _file(client, staff_api, controllers=["acme", "northwind"])
    client.login(STAFF)
    page = client.page(f"/incidents/{incident_id}")
    links = {a["href"] for a in page.select('a[href*="report.pdf"]')}
    assert f"/incidents/{incident_id}/report.pdf?lang=nl" in links
    assert f"/incidents/{incident_id}/report.pdf?controller=northwind&lang=en" in links
    all_of_them = client.get(f"/incidents/{incident_id}/report.pdf?lang=en")
    text = _text(all_of_them.content)
    assert (
        "Acme Retail B.V.: New notification" in text
        and "Northwind Logistics Ltd: New notification" in text
    )


# --- the register for a period ----------------------------------------------------------

# When it happened is not known: the incident falls in the period it was discovered in.
UNKNOWN_OCCURRENCE = {"occurred_kind": "unknown", "occurred_from": None, "occurred_until": None}


def test_the_register_pdf_lists_every_incident_of_the_period_with_its_reasoning(
    client: PageClient, staff_api, api_headers
) -> None:
    notified = _decided(
        client,
        staff_api,
        api_headers,
        discovered_at="2026-11-20T10:00:00+01:00",
        **UNKNOWN_OCCURRENCE,
    )
    quiet = _file(
        client,
        staff_api,
        controllers=["northwind"],
        summary="A mis-sent e-mail to one trusted recipient.",
        discovered_at="2026-11-19T10:00:00+01:00",
        **UNKNOWN_OCCURRENCE,
    )
    _send_all(client, quiet)
    headers = api_headers(OFFICER_NORTHWIND)
    client.post(
        f"/api/v1/incidents/{quiet}/notices/northwind/decision",
        headers=headers,
        json={
            "is_breach": True,
            "notify_authority": False,
            "authority_reason": "The recipient deleted it at once.",
            "inform_data_subjects": False,
            "data_subjects_reason": "No risk.",
        },
    )
    earlier = _file(
        client,
        staff_api,
        controllers=["acme"],
        summary="An old breach outside the period.",
        discovered_at="2026-10-01T10:00:00+02:00",
        **UNKNOWN_OCCURRENCE,
    )
    references = {
        i: client.get(f"/api/v1/incidents/{i}", headers=staff_api).json()["reference"]
        for i in (notified, quiet, earlier)
    }
    response = client.get(
        "/api/v1/register.pdf?since=2026-11-01&until=2026-11-30&lang=en", headers=staff_api
    )
    assert response.status_code == 200, response.text
    text = _text(response.content)
    assert references[notified] in text and references[quiet] in text
    assert references[earlier] not in text and "An old breach outside the period." not in text
    assert "The recipient deleted it at once." in text and "No risk." in text
    assert (
        "Health data of employees were copied by an attacker." in text and "AP-2026-12345" in text
    )
    assert "Servers isolated, passwords reset" in text  # the measures
    assert "2 incidents." in text and "2026-11-01 to 2026-11-30" in text
    assert text.index(references[quiet]) < text.index(references[notified])  # by discovery
    dutch = _text(
        client.get("/api/v1/register.pdf?since=2026-11-01&lang=nl", headers=staff_api).content
    )
    assert "Register van datalekken" in dutch and "vanaf 2026-11-01" in dutch
    # An officer's register holds only what their controller was sent.
    own = _text(client.get("/api/v1/register.pdf?lang=en", headers=headers).content)
    assert references[quiet] in own and references[earlier] not in own
    assert "Acme Retail" not in own
    # The browser link on the register page.
    client.login(STAFF)
    page = client.page("/incidents?since=2026-11-01")
    link = page.select_one('a[href^="/incidents/export.pdf"][hreflang="nl"]')["href"]
    assert link == "/incidents/export.pdf?since=2026-11-01&lang=nl"
    assert "Register van datalekken" in _text(client.get(link).content)


def test_the_register_pdf_refuses_too_long_a_period(
    client: PageClient, staff_api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "REGISTER_MAX", 1)
    _file(client, staff_api)
    _file(client, staff_api)
    response = client.get("/api/v1/register.pdf", headers=staff_api)
    assert response.status_code == 422
    assert "choose a shorter period" in response.json()["errors"][0]["message"]
    assert client.get("/api/v1/register.pdf?since=tomorrow", headers=staff_api).status_code == 400
