"""Notices to the controllers: review and send, delivery over a real SMTP server with
retries, idempotent sending, follow-ups, and the privacy officer's side (acknowledge, ask,
decide, record the acts, the letter), in the browser's HTTP interface and the JSON API."""

from __future__ import annotations

import dataclasses
import io
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader
from sqlmodel import Session, select

from forms.display import format_datetime
from incidents import notices
from incidents.models import (
    AuditEvent,
    DecisionVersion,
    Notice,
    NoticeSend,
    Organisation,
    OutboxMessage,
    User,
)
from incidents.principal import CurrentUser
from incidents.reminders import deliver_outbox
from incidents.settings import DEFAULT_BASE_URL as BASE
from tests.helpers import OFFICER_ACME, OFFICER_NORTHWIND, STAFF, PageClient, check_page
from tests.web.notice_helpers import file_via_api as _file
from tests.web.notice_helpers import notice_of as _notice
from tests.web.notice_helpers import pdf_text
from tests.web.notice_helpers import send_all as _send_all

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def staff_api(api_headers) -> dict[str, str]:
    return api_headers(STAFF)


def _outbox(engine, kind: str | None = None) -> list[OutboxMessage]:
    with Session(engine) as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return list(session.exec(query).all())


def _obligation(client: PageClient, headers, incident_id: str, slug: str, key: str) -> dict:
    data = client.get(f"/api/v1/incidents/{incident_id}", headers=headers).json()
    return next(o for o in data["obligations"] if o["controller"] == slug and o["key"] == key)


def _parts(message) -> tuple[str, str, list]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    attachments = list(message.iter_attachments())
    return text, html, attachments


# --- sending and delivery ------------------------------------------------------------------


def test_officer_sees_the_incident_only_once_the_notice_is_sent(
    client: PageClient, staff_api, api_headers
) -> None:
    incident_id = _file(client, staff_api, controllers=["acme"])
    officer = api_headers(OFFICER_ACME)
    assert client.get(f"/api/v1/incidents/{incident_id}", headers=officer).status_code == 404
    assert client.get("/api/v1/incidents", headers=officer).json()["items"] == []
    client.login(OFFICER_ACME)
    assert client.get(f"/incidents/{incident_id}").status_code == 404
    assert client.get(f"/incidents/{incident_id}/notices/acme").status_code == 404
    client.submit("/logout")
    _send_all(client, incident_id)
    assert client.get(f"/api/v1/incidents/{incident_id}", headers=officer).status_code == 200
    client.login(OFFICER_ACME)
    inbox = client.page("/notices")
    assert [a["href"] for a in inbox.select("tbody a")] == [
        f"/incidents/{incident_id}/notices/acme"
    ]


def test_staff_review_the_notice_then_send_it(client: PageClient, staff_api, engine) -> None:
    incident_id = _file(client, staff_api, controllers=["acme", "northwind"])
    client.login(STAFF)
    incident_page = client.page(f"/incidents/{incident_id}")
    assert "2 controllers have not received this version yet" in incident_page.text
    review = client.page(f"/incidents/{incident_id}/notices/acme")
    preview = review.select_one(".notice-frame").get_text(" ")
    assert "Ransomware encrypted the HR file server" in preview
    assert "Uw termijn" in preview, "Acme reads Dutch"
    assert "Northwind" not in preview, "a notice never names another controller"
    assert "fg@acme.example" in review.select_one("#send").text
    assert _outbox(engine, "notice") == []
    response = client.submit(f"/incidents/{incident_id}/notices/acme/send")
    assert response.status_code == 303
    sent = client.page(f"/incidents/{incident_id}/notices/acme")
    assert "Notice sent to: Acme Retail B.V." in sent.text, "names, never slugs (issue 13)"
    assert len(sent.select("#sent > ol > li")) == 1
    [message] = _outbox(engine, "notice")
    assert "fg@acme.example" in message.recipients, "the officers and the notification addresses"
    assert message.attachment_name.endswith("-acme-notice-1.pdf") and message.attachment
    assert _notice(engine, incident_id, "acme").sent_at is not None
    assert _notice(engine, incident_id, "northwind").sent_at is None
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert "notice.sent" in actions


def test_the_notice_email_links_to_the_notice_and_replies_go_to_the_processors_contact(
    client: PageClient, staff_api, engine, settings, smtp_server
) -> None:
    """Issue 13: the e-mail links back to the notice (BREACHDESK_BASE_URL) and a reply
    reaches the processor's contact for the breach, not the sending address."""
    catcher, url = smtp_server
    incident_id = _file(client, staff_api, controllers=["acme", "northwind"])
    _send_all(client, incident_id)
    assert deliver_outbox(engine, dataclasses.replace(settings, smtp_url=url)) == 2
    for slug, address in (("acme", "fg@acme.example"), ("northwind", "dpo@northwind.example")):
        message = next(m for rcpt, m in catcher.messages if address in rcpt)
        link = f"{settings.base_url}/incidents/{incident_id}/notices/{slug}"
        text, html, _attachments = _parts(message)
        assert link in text
        assert f'href="{link}"' in html
        assert message["Reply-To"] == "security@talentcloud.example"
        assert message["From"] == settings.mail_from
    # The link opens the notice for its officer.
    client.login(OFFICER_ACME)
    assert client.get(f"/incidents/{incident_id}/notices/acme").status_code == 200


def test_notice_delivered_over_smtp_in_both_languages(
    client: PageClient, staff_api, engine, settings, smtp_server
) -> None:
    catcher, url = smtp_server
    incident_id = _file(client, staff_api, controllers=["acme", "northwind"])
    _send_all(client, incident_id)
    sent_at = _notice(engine, incident_id, "acme").sent_at
    assert deliver_outbox(engine, dataclasses.replace(settings, smtp_url=url)) == 2
    assert len(catcher.messages) == 2
    dutch = next(m for rcpt, m in catcher.messages if "fg@acme.example" in rcpt)
    english = next(m for rcpt, m in catcher.messages if "dpo@northwind.example" in rcpt)
    reference = client.get(f"/api/v1/incidents/{incident_id}", headers=staff_api).json()[
        "reference"
    ]
    due = (sent_at + timedelta(hours=72)).astimezone(settings.zone)
    for message, language in ((dutch, "nl"), (english, "en")):
        assert reference in message["Subject"]
        text, html, attachments = _parts(message)
        # Every element of Art. 33(3): nature, persons and records, contact, consequences, measures.
        for expected in (
            "Ransomware encrypted the HR file server",
            "120",
            "450",
            "Employees and job applicants",
            "security@talentcloud.example",
            "Sander Bakker",
            "Servers isolated, passwords reset",
        ):
            assert expected in text, (language, expected)
            assert expected in html, (language, expected)
        assert ("3.000" if language == "nl" else "3,000") in text
        assert f"{due.day} " in text and f"{due:%H:%M}" in text, (
            "the 72-hour due time is written out"
        )
        due_words = format_datetime(sent_at + timedelta(hours=72), settings.zone, language)
        assert due_words in text and due_words in html, "the due time, not the send time"
        [pdf] = attachments
        assert pdf.get_content_type() == "application/pdf"
        pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.get_content())).pages)
        assert reference in pdf_text and "Ransomware" in pdf_text
    text_nl = _parts(dutch)[0]
    text_en = _parts(english)[0]
    assert "Uw termijn" in text_nl and "Gezondheid" in text_nl and "(identiteits)fraude" in text_nl
    assert "Your deadline" in text_en and "Health" in text_en
    assert "Northwind" not in text_nl and "Acme Retail" not in text_en
    assert "27 maart 2026, 10:00 CET" in text_nl, "the processor's discovery time"
    assert "27 March 2026, 10:00 CET" in text_en
    # Delivery starts the controller's 72 hours.
    delivered = _notice(engine, incident_id, "acme").delivered_at
    assert delivered is not None
    duty = _obligation(client, staff_api, incident_id, "acme", "gdpr_authority")
    assert duty["status"] == "open"
    starts = datetime.fromisoformat(duty["starts_at"].replace("Z", "+00:00"))
    assert abs(starts - delivered) < timedelta(seconds=1)
    assert datetime.fromisoformat(duty["due_at"].replace("Z", "+00:00")) - starts == timedelta(
        hours=72
    )


def test_outbox_retries_after_the_smtp_server_refuses_once(
    client: PageClient, staff_api, engine, settings, smtp_server
) -> None:
    catcher, url = smtp_server
    smtp = dataclasses.replace(settings, smtp_url=url)
    incident_id = _file(client, staff_api, controllers=["acme"])
    _send_all(client, incident_id)
    catcher.refuse_next = 1
    now = datetime.now(UTC)
    assert deliver_outbox(engine, smtp, now) == 0
    [message] = _outbox(engine, "notice")
    assert message.status == "queued" and message.attempts == 1 and message.last_error
    assert _notice(engine, incident_id, "acme").delivered_at is None
    assert deliver_outbox(engine, smtp, now) == 0, "not before its backoff has passed"
    assert deliver_outbox(engine, smtp, now + timedelta(minutes=5)) == 1
    assert len(catcher.messages) == 1
    [message] = _outbox(engine, "notice")
    assert message.status == "sent" and message.attempts == 2
    assert _notice(engine, incident_id, "acme").delivered_at is not None
    assert deliver_outbox(engine, smtp, now + timedelta(hours=1)) == 0
    assert len(catcher.messages) == 1


def test_a_double_send_sends_once(client: PageClient, staff_api, engine, settings) -> None:
    incident_id = _file(client, staff_api, controllers=["acme"])
    client.login(STAFF)
    for _ in range(2):
        assert client.submit(f"/incidents/{incident_id}/notices/acme/send").status_code == 303
    assert (
        "every controller has this version already"
        in client.page(f"/incidents/{incident_id}/notices/acme").text
    )
    again = client.post(f"/api/v1/incidents/{incident_id}/notices/acme/send", headers=staff_api)
    assert again.status_code == 200 and again.json()["sent"] is False
    # Two requests at the same moment (two servers, two workers): still one.
    incident_2 = _file(client, staff_api, controllers=["acme"])
    with Session(engine) as session:
        staff = session.exec(select(User).where(User.email == STAFF)).one()
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
    barrier = threading.Barrier(2)
    results: list = []

    def send() -> None:
        barrier.wait()
        sent = notices.send_notices(engine, user, uuid.UUID(incident_2), ["acme"], BASE)
        results.append(sent)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r[0].sent for r in results) == [False, True]
    assert len(_outbox(engine, "notice")) == 2, "one per incident"
    with Session(engine) as session:
        assert len(session.exec(select(NoticeSend)).all()) == 2
    assert deliver_outbox(engine, settings) == 2
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 2


def test_a_draft_is_not_sent(client: PageClient, staff_api) -> None:
    response = client.post(
        "/api/v1/incidents", json={"controllers": ["acme"], "draft": True}, headers=staff_api
    )
    incident_id = response.json()["id"]
    sent = client.post(f"/api/v1/incidents/{incident_id}/notices/acme/send", headers=staff_api)
    assert sent.status_code == 409 and sent.json()["errors"]


def test_follow_up_tells_what_changed(client: PageClient, staff_api, api_headers, engine) -> None:
    incident_id = _file(client, staff_api, controllers=["acme"])
    _send_all(client, incident_id)
    patch = client.patch(
        f"/api/v1/incidents/{incident_id}",
        json={"affected_max": 900, "note": "Second log source analysed"},
        headers=staff_api,
    )
    assert patch.status_code == 200
    client.login(STAFF)
    review = client.page(f"/incidents/{incident_id}/notices/acme")
    assert "Follow-up to send" in review.text
    changes = review.select_one(".notice-changes").get_text(" ")
    assert "450" in changes and "900" in changes and "Second log source analysed" in changes
    client.submit(f"/incidents/{incident_id}/notices/acme/send")
    client.submit("/logout")
    client.login(OFFICER_ACME)
    page = client.page(f"/incidents/{incident_id}/notices/acme")
    assert len(page.select("#sent > ol > li")) == 2
    second = client.page(f"/incidents/{incident_id}/notices/acme/sent/2")
    assert "Vervolgmelding 1" in second.text and "900" in second.select_one(".notice-changes").text
    pdf = client.get(f"/incidents/{incident_id}/notices/acme/sent/2/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    attached = [m.attachment for m in _outbox(engine, "notice")]
    assert bytes(pdf.content) == bytes(attached[1]), (
        "the PDF the controller received, byte for byte"
    )
    assert "900" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    notice = client.get(
        f"/api/v1/incidents/{incident_id}", headers=api_headers(OFFICER_ACME)
    ).json()["notices"]
    assert notice == [{**notice[0], "version": 2, "incident_version": 2}]


# --- the officer's side ----------------------------------------------------------------------


def test_officer_acknowledges_asks_decides_and_records(
    client: PageClient, staff_api, engine, settings, make_client
) -> None:
    incident_id = _file(client, staff_api, controllers=["acme"])
    _send_all(client, incident_id)
    assert (
        _obligation(client, staff_api, incident_id, "acme", "gdpr_authority")["status"] == "pending"
    )
    deliver_outbox(engine, settings)
    assert _obligation(client, staff_api, incident_id, "acme", "gdpr_authority")["status"] == "open"
    base = f"/incidents/{incident_id}/notices/acme"
    client.login(OFFICER_ACME)
    page = client.page(base)
    assert "Ransomware encrypted the HR file server" in page.select_one(".notice-frame").text
    delivered = _notice(engine, incident_id, "acme").delivered_at
    assert client.submit(f"{base}/acknowledge").status_code == 303
    assert _notice(engine, incident_id, "acme").acknowledged_at is not None
    assert _notice(engine, incident_id, "acme").delivered_at == delivered, "the clock does not move"
    assert "Ontvangst bevestigen" not in client.page(base).text

    # A question: an empty one is refused at the field; a real one mails the processor.
    empty = client.submit_page(f"{base}/questions", {"body": "  "})
    assert empty.select_one("#question-body-error") and empty.title.text.startswith("Error:")
    client.submit(f"{base}/questions", {"body": "Were the backups encrypted too?"})
    [question] = _outbox(engine, "controller_message")
    assert "security@talentcloud.example" in question.recipients, "the incident's contact"
    assert "Were the backups encrypted too?" in question.body_text

    # The processor answers; the officer gets it by e-mail and sees the thread.
    staff = make_client()
    staff.login(STAFF)
    thread = staff.page(base).select_one(".thread")
    parent = thread.select_one("input[name=parent_id]")["value"]
    staff.submit(f"{base}/questions", {"body": "Yes, with AES-256.", "parent_id": parent})
    [answer] = _outbox(engine, "processor_message")
    assert "fg@acme.example" in answer.recipients and "AES-256" in answer.body_text
    assert "Yes, with AES-256." in client.page(base).select_one(".thread-answer").text

    # The decision: every problem at its field, input kept.
    errors = client.submit_page(
        f"{base}/decision", {"notify_authority": "no", "authority_reason": "Kept"}
    )
    summary = errors.select_one(".error-summary").text
    assert "is_breach" not in summary and len(errors.select(".error-summary li")) == 3
    assert errors.select_one("#authority_reason").text == "Kept"
    assert errors.select_one("#notify_authority-no").has_attr("checked")
    client.submit(
        f"{base}/decision",
        {
            "is_breach": "yes",
            "notify_authority": "no",
            "authority_reason": "Backups were encrypted.",
            "inform_data_subjects": "no",
            "art34_ground": "unintelligible",
        },
    )
    assert (
        _obligation(client, staff_api, incident_id, "acme", "gdpr_authority")["status"]
        == "not_applicable"
    )
    client.submit(
        f"{base}/decision",
        {
            "is_breach": "yes",
            "notify_authority": "yes",
            "authority_reason": "Health data were copied.",
            "inform_data_subjects": "yes",
            "data_subjects_reason": "High risk of fraud.",
        },
    )
    assert _obligation(client, staff_api, incident_id, "acme", "gdpr_authority")["status"] == "open"
    with Session(engine) as session:
        assert len(session.exec(select(DecisionVersion)).all()) == 2

    # The authority's number and time: a wrong date is shown at the field.
    bad = client.submit_page(
        f"{base}/acts/gdpr_authority",
        {
            "gdpr_authority-notified_at-day": "31",
            "gdpr_authority-notified_at-month": "2",
            "gdpr_authority-notified_at-year": "2026",
            "gdpr_authority-notified_at-time": "10:00",
            "gdpr_authority-reference": "M-123",
        },
    )
    assert bad.select_one("#gdpr_authority-notified_at-day-error")
    assert bad.select_one("#gdpr_authority-reference")["value"] == "M-123"
    now = datetime.now(settings.zone) - timedelta(minutes=5)
    client.submit(
        f"{base}/acts/gdpr_authority",
        {
            "gdpr_authority-notified_at-day": str(now.day),
            "gdpr_authority-notified_at-month": str(now.month),
            "gdpr_authority-notified_at-year": str(now.year),
            "gdpr_authority-notified_at-time": f"{now:%H:%M}",
            "gdpr_authority-reference": "M-2026-4711",
        },
    )
    duty = _obligation(client, staff_api, incident_id, "acme", "gdpr_authority")
    assert duty["status"] == "met"
    staff_view = staff.page(base)
    assert "M-2026-4711" in staff_view.select_one("#acts").text
    assert "Health data were copied." in staff_view.select_one("#decision").text


def test_a_late_decision_asks_for_the_reason(client: PageClient, staff_api, engine) -> None:
    incident_id = _file(client, staff_api, controllers=["acme"])
    _send_all(client, incident_id)
    with Session(engine) as session:
        notice = session.get(Notice, _notice(engine, incident_id, "acme").id)
        notice.delivered_at = datetime.now(UTC) - timedelta(hours=80)
        session.add(notice)
        session.commit()
    client.login(OFFICER_ACME)
    base = f"/incidents/{incident_id}/notices/acme"
    decision = {
        "is_breach": "yes",
        "notify_authority": "yes",
        "authority_reason": "Risk",
        "inform_data_subjects": "no",
        "data_subjects_reason": "No high risk",
    }
    page = client.submit_page(f"{base}/decision", decision)
    assert page.select_one("#late_reason-error")
    client.submit(
        f"{base}/decision", {**decision, "late_reason": "The notice reached a shared mailbox."}
    )
    duty = _obligation(client, staff_api, incident_id, "acme", "gdpr_authority")
    assert duty["status"] == "overdue"
    assert "The notice reached a shared mailbox." in client.page(f"/incidents/{incident_id}").text


def test_a_contradictory_decision_is_refused_not_changed(
    client: PageClient, staff_api, api_headers, engine
) -> None:
    """Issue 13: "not a breach" + "notify: yes" + an Art. 34(3) ground was stored as
    "notify: no" without a word. Now it is refused at each field, on the page and in the
    API (422), the officer's choices kept, nothing stored."""
    incident_id = _file(client, staff_api, controllers=["acme"])
    _send_all(client, incident_id)
    base = f"/incidents/{incident_id}/notices/acme"
    contradiction = {
        "is_breach": "no",
        "notify_authority": "yes",
        "authority_reason": "A test file without real data.",
        "inform_data_subjects": "no",
        "art34_ground": "unintelligible",
    }
    client.login(OFFICER_ACME)
    page = client.submit_page(f"{base}/decision", contradiction)
    assert page.select_one("#notify_authority-error") and page.select_one("#art34_ground-error")
    assert "not a personal data breach" in page.select_one("#notify_authority-error").text
    assert page.select_one("#notify_authority-yes").has_attr("checked"), "the choice is kept"
    api = client.post(
        f"/api/v1/incidents/{incident_id}/notices/acme/decision",
        json={
            **contradiction,
            "is_breach": False,
            "notify_authority": True,
            "inform_data_subjects": False,
        },
        headers=api_headers(OFFICER_ACME),
    )
    assert api.status_code == 422
    assert {e["field"] for e in api.json()["errors"]} == {"notify_authority", "art34_ground"}
    assert _notice(engine, incident_id, "acme").decision is None, "nothing stored"
    # Every answer a "yes" and a ground too: one message per field, in the page's order.
    everything = {
        **contradiction,
        "authority_reason": "",
        "inform_data_subjects": "yes",
        "data_subjects_reason": "",
    }
    summary = client.submit_page(f"{base}/decision", everything).select(".error-summary a")
    fields = [a["href"] for a in summary]
    assert fields == [
        "#notify_authority",
        "#authority_reason",
        "#inform_data_subjects",
        "#art34_ground",
    ]
    # Acme is no NIS2 entity: "significant under NIS2" is refused, not dropped.
    not_nis2 = client.post(
        f"/api/v1/incidents/{incident_id}/notices/acme/decision",
        json={
            "is_breach": True,
            "notify_authority": False,
            "authority_reason": "Encrypted, the key safe.",
            "inform_data_subjects": False,
            "art34_ground": "unintelligible",
            "nis2_significant": True,
        },
        headers=api_headers(OFFICER_ACME),
    )
    assert not_nis2.status_code == 422
    assert [e["field"] for e in not_nis2.json()["errors"]] == ["nis2_significant"]
    assert "not an essential or important entity" in not_nis2.json()["errors"][0]["message"]
    consistent = {**contradiction, "notify_authority": "no", "art34_ground": ""}
    assert client.submit(f"{base}/decision", consistent).status_code == 303
    assert _notice(engine, incident_id, "acme").decision["notify_authority"] is False


def test_letter_to_the_persons(client: PageClient, staff_api) -> None:
    incident_id = _file(client, staff_api, controllers=["northwind"])
    _send_all(client, incident_id)
    client.login(OFFICER_NORTHWIND)
    base = f"/incidents/{incident_id}/notices/northwind"
    draft = client.page(f"{base}/letter").select_one("#letter").text
    # The controller speaks: what happened to the data and how, not our own summary.
    assert "Ransomware encrypted the HR file server" not in draft
    assert "The cause: Hacking, malware or phishing." in draft, draft
    assert "identity fraud" in draft and "Dear Sir or Madam" in draft
    empty = client.submit_page(f"{base}/letter", {"letter": " "})
    assert empty.select_one("#letter-error")
    client.submit(
        f"{base}/letter", {"letter": "Dear Ms Jansen,\n\nWe must tell you about <b>a breach</b>."}
    )
    assert client.get(f"{base}/letter/txt").text.startswith("Dear Ms Jansen,")
    pdf = client.get(f"{base}/letter/pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "We must tell you about <b>a breach</b>." in text, "HTML typed in the letter stays text"


def test_outbox_page_lists_and_downloads_messages(
    client: PageClient, staff_api, engine, settings
) -> None:
    incident_id = _file(client, staff_api, controllers=["acme"])
    _send_all(client, incident_id)
    deliver_outbox(engine, settings)
    client.login(STAFF)
    page = client.page("/outbox")
    assert "notice-1.pdf" in page.text and "Verzonden" not in page.text
    link = page.select_one("tbody a")["href"]
    message_page = client.page(link)
    assert "Ransomware encrypted the HR file server" in message_page.text
    eml = client.get(link + "/eml")
    assert (
        eml.headers["content-type"].startswith("message/rfc822")
        and b"application/pdf" in eml.content
    )
    client.submit("/logout")
    client.login(OFFICER_ACME)
    assert client.get("/outbox").status_code == 403


# --- who may do what ---------------------------------------------------------------------------

OFFICER_ROUTES = [
    ("get", ""),
    ("get", "/sent/1"),
    ("get", "/sent/1/pdf"),
    ("post", "/acknowledge"),
    ("post", "/questions"),
    ("get", "/decision"),
    ("post", "/decision"),
    ("post", "/acts/gdpr_authority"),
    ("get", "/letter"),
    ("post", "/letter"),
    ("get", "/letter/txt"),
    ("get", "/letter/pdf"),
    ("get", "/assessment"),
    ("post", "/assessment"),
]
API_ACTIONS = [
    "send",
    "acknowledge",
    "decision",
    "assessment",
    "authority-notified",
    "data-subjects-informed",
]


def test_another_controllers_officer_gets_404_everywhere(
    client: PageClient, staff_api, api_headers
) -> None:
    incident_id = _file(client, staff_api, controllers=["acme"])
    both = _file(client, staff_api, controllers=["acme", "northwind"])
    _send_all(client, incident_id)
    _send_all(client, both)
    client.login(OFFICER_NORTHWIND)
    for target in (f"/incidents/{incident_id}/notices/acme", f"/incidents/{both}/notices/acme"):
        for method, suffix in OFFICER_ROUTES:
            data = {"body": "x", "letter": "x", "is_breach": "yes"}
            response = (
                client.get(target + suffix)
                if method == "get"
                else client.submit(target + suffix, data)
            )
            assert response.status_code == 404, (target, suffix, response.status_code)
    headers = api_headers(OFFICER_NORTHWIND)
    for target in (incident_id, both):
        for action in API_ACTIONS:
            response = client.post(
                f"/api/v1/incidents/{target}/notices/acme/{action}", json={}, headers=headers
            )
            assert response.status_code == 404, (action, response.status_code)
    assert client.get(f"/incidents/{both}/notices/northwind").status_code == 200


def test_staff_cannot_act_for_the_controller(client: PageClient, staff_api) -> None:
    incident_id = _file(client, staff_api, controllers=["acme"])
    _send_all(client, incident_id)
    for action in ("acknowledge", "decision", "assessment", "authority-notified"):
        response = client.post(
            f"/api/v1/incidents/{incident_id}/notices/acme/{action}", json={}, headers=staff_api
        )
        assert response.status_code == 403, action
    client.login(STAFF)
    assert client.submit(f"/incidents/{incident_id}/notices/acme/acknowledge").status_code == 403
    assert client.get(f"/incidents/{incident_id}/notices/acme/assessment").status_code == 403
    assert (
        client.submit(
            f"/incidents/{incident_id}/notices/acme/assessment", {"level": "low"}
        ).status_code
        == 403
    )


def test_officers_cannot_send(client: PageClient, staff_api, api_headers) -> None:
    incident_id = _file(client, staff_api, controllers=["acme"])
    _send_all(client, incident_id)
    response = client.post(
        f"/api/v1/incidents/{incident_id}/notices/acme/send", headers=api_headers(OFFICER_ACME)
    )
    assert response.status_code == 404  # to an officer, a send route does not exist


# --- the API --------------------------------------------------------------------------------------


def test_api_notice_flow(client: PageClient, staff_api, api_headers, engine, settings) -> None:
    incident_id = _file(client, staff_api, controllers=["zorggroep-noord"])  # a NIS2 entity
    base = f"/api/v1/incidents/{incident_id}/notices/zorggroep-noord"
    sent = client.post(f"{base}/send", headers=staff_api)
    assert sent.status_code == 200 and sent.json()["sent"] is True
    assert sent.json()["notice"]["version"] == 1
    deliver_outbox(engine, settings)
    officer = api_headers("fg@zorggroep-noord.example")
    ack = client.post(f"{base}/acknowledge", headers=officer)
    assert ack.status_code == 200 and ack.json()["acknowledged_at"].endswith("Z")

    wrong = client.post(
        f"{base}/decision",
        headers=officer,
        json={
            "is_breach": "maybe",
            "notify_authority": True,
            "art34_ground": "because",
            "extra": 1,
        },
    )
    assert wrong.status_code == 422
    fields = {e["field"] for e in wrong.json()["errors"]}
    assert fields == {
        "extra",
        "is_breach",
        "authority_reason",
        "art34_ground",
        "inform_data_subjects",
        "data_subjects_reason",
        "nis2_significant",
    }
    dutch = client.post(f"{base}/decision", headers={**officer, "Accept-Language": "nl"}, json={})
    assert any("Kies ja of nee" in e["message"] for e in dutch.json()["errors"])
    decision = {
        "is_breach": True,
        "notify_authority": True,
        "authority_reason": "Patient data copied",
        "inform_data_subjects": True,
        "data_subjects_reason": "High risk",
        "art34_ground": None,
        "nis2_significant": True,
    }
    decided = client.post(f"{base}/decision", headers=officer, json=decision)
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"]["notify_authority"] is True
    duties = {
        o["key"]: o["status"]
        for o in client.get(f"/api/v1/incidents/{incident_id}", headers=officer).json()[
            "obligations"
        ]
    }
    assert duties["gdpr_data_subjects"] == "open" and duties["nis2_early_warning"] == "open"

    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    bad = client.post(f"{base}/authority-notified", headers=officer, json={"notified_at": future})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"notified_at", "reference"}
    naive = client.post(
        f"{base}/authority-notified",
        headers=officer,
        json={"notified_at": "2026-11-22T10:00:00", "reference": "x"},
    )
    assert naive.status_code == 422
    at = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ok = client.post(
        f"{base}/authority-notified", headers=officer, json={"notified_at": at, "reference": "M-1"}
    )
    assert ok.status_code == 200
    informed = client.post(
        f"{base}/data-subjects-informed",
        headers=officer,
        json={"informed_at": at, "channel": "Letter by post"},
    )
    assert informed.status_code == 200
    data = client.get(f"/api/v1/incidents/{incident_id}", headers=officer).json()
    met = {o["key"]: o for o in data["obligations"]}
    assert met["gdpr_authority"]["status"] == "met" and met["gdpr_authority"]["met_at"] == at
    assert met["gdpr_data_subjects"]["status"] == "met"
    schema = client.get("/schema/openapi.json").json()
    assert "/api/v1/incidents/{incident_id}/notices/{controller}/decision" in schema["paths"]


def test_inboxes_put_what_needs_action_first(client: PageClient, staff_api, make_client) -> None:
    older = _file(client, staff_api, controllers=["acme"])
    newer = _file(client, staff_api, controllers=["acme"])
    for incident_id in (older, newer):
        assert (
            client.post(
                f"/api/v1/incidents/{incident_id}/notices/acme/send", headers=staff_api
            ).status_code
            == 200
        )
    third = _file(client, staff_api, controllers=["acme"])
    client.patch(f"/api/v1/incidents/{older}", json={"affected_max": 999}, headers=staff_api)
    client.login(STAFF)
    staff_rows = [a["href"] for a in client.page("/notices").select("tbody a")]
    # not sent (third) and a follow-up to send (older) before the up-to-date one (newer)
    assert staff_rows == [f"/incidents/{i}/notices/acme" for i in (third, older, newer)]
    officer = make_client()
    officer.login(OFFICER_ACME)
    officer.submit(f"/incidents/{newer}/notices/acme/acknowledge")
    officer_rows = [a["href"] for a in officer.page("/notices").select("tbody a")]
    assert officer_rows == [f"/incidents/{i}/notices/acme" for i in (older, newer)]


def test_the_decision_form_names_the_hours_of_the_regimes(
    client: PageClient, staff_api, clock, engine, settings
) -> None:
    incident_id = _file(client, staff_api, controllers=["zorggroep-noord"])  # a NIS2 entity
    _send_all(client, incident_id)
    assert deliver_outbox(engine, settings) == 1  # delivery starts the controller's clocks
    client.login("fg@zorggroep-noord.example")
    soup = client.page(f"/incidents/{incident_id}/notices/zorggroep-noord/decision")
    assert "CSIRT deadlines (24 hours, 72 hours, one month)" in soup.text
    assert "since the notice reached you have passed" not in soup.text
    clock.travel(timedelta(hours=73))  # the authority's 72 hours from delivery have passed
    client.login("fg@zorggroep-noord.example")  # a new session: the last one has expired
    soup = client.page(f"/incidents/{incident_id}/notices/zorggroep-noord/decision")
    assert "The 72 hours since the notice reached you have passed" in soup.text


def test_send_to_all_names_the_controllers_and_asks_for_the_tick(
    client: PageClient, staff_api, engine
) -> None:
    """Issue 13: "Send to all" wrote to every controller at one click; now the box names
    them, and nothing goes out until it is ticked."""
    incident_id = _file(client, staff_api, controllers=["acme", "northwind"])
    client.login(STAFF)
    page = client.page(f"/incidents/{incident_id}")
    label = page.select_one("label[for='confirm_send']").get_text(" ", strip=True)
    assert "Acme Retail B.V." in label and "Northwind" in label
    refused = client.submit(f"/incidents/{incident_id}/notices/send")
    assert refused.status_code == 200
    assert check_page(refused.text).select_one("#confirm_send-error")
    assert _outbox(engine, "notice") == []
    done = client.submit(f"/incidents/{incident_id}/notices/send", {"confirm_send": "yes"})
    assert done.status_code == 303
    assert len(_outbox(engine, "notice")) == 2
    assert (
        "Notice sent to: Acme Retail B.V., Northwind"
        in client.page(f"/incidents/{incident_id}").text
    )


def test_duty_rows_cite_their_article_read_right_after_delivery_and_nis2_only_for_nis2(
    client: PageClient, staff_api, engine
) -> None:
    """Issue 13: the processor's duty cites Art. 33(2); after delivery a duty that waits for
    the decision reads "started", not "starts when delivered · not started"; NIS2 rows only
    for a NIS2 entity (Zorggroep Noord is one, Acme is not)."""
    incident_id = _file(client, staff_api, controllers=["acme", "zorggroep-noord"])
    _send_all(client, incident_id)
    with Session(engine) as session:
        for slug in ("acme", "zorggroep-noord"):
            notice = session.get(Notice, _notice(engine, incident_id, slug).id)
            notice.delivered_at = datetime.now(UTC) - timedelta(hours=1)
            session.add(notice)
        session.commit()
    client.login(STAFF)
    client.submit("/language", {"language": "en", "next": "/"})
    acme = client.page(f"/incidents/{incident_id}/notices/acme").select_one("#duties")
    rows = [tr.get_text(" ", strip=True) for tr in acme.select("tbody tr")]
    assert any("Processor notifies the controller" in r and "Art. 33(2) GDPR" in r for r in rows)
    gdpr = [r for r in rows if "GDPR" in r]
    assert not any("Starts when the notice is delivered" in r for r in gdpr)
    assert not any("not started" in r for r in gdpr), "the delivery started them"
    assert not any("NIS2" in r for r in rows), "Acme is no NIS2 entity"
    zorg = client.page(f"/incidents/{incident_id}/notices/zorggroep-noord").select_one("#duties")
    assert any("NIS2" in tr.get_text() for tr in zorg.select("tbody tr"))


def test_a_late_first_notice_says_it_is_late_and_why(
    client: PageClient, staff_api, engine, settings
) -> None:
    """Issue 13: a notice sent months after discovery said "without undue delay" and no
    more. Now a first notice after the processor's contract hours says how late it is and
    gives the recorded reason; one in time (or without contract hours) says nothing of it."""
    late_id = _file(client, staff_api, controllers=["acme", "northwind"])  # discovered March
    client.login(STAFF)
    reason = "The breach was found in a backup restored months later."
    recorded = client.submit(
        f"/incidents/{late_id}/obligations/reason",
        {"duty": "acme:processor_notice", "reason": reason},
    )
    assert recorded.status_code == 303
    client.submit("/logout")
    _send_all(client, late_id)
    mails = {m.recipients[0]: m for m in _outbox(engine, "notice")}
    texts = {to: m.body_text for to, m in mails.items()}
    acme = next(t for to, t in texts.items() if "acme" in to)
    assert "Deze melding is te laat: ze komt" in acme and "dagen" in acme, "Acme reads Dutch"
    assert f"De reden: {reason}\n" in acme, "the next sentence starts on a line of its own"
    # The same in the e-mail's HTML and in the PDF it carries.
    acme_mail = next(m for to, m in mails.items() if "acme" in to)
    html = " ".join(BeautifulSoup(acme_mail.body_html, "html5lib").get_text(" ").split())
    assert "Deze melding is te laat: ze komt" in html and f"De reden: {reason}" in html
    document = pdf_text(acme_mail.attachment)
    assert "Deze melding is te laat: ze komt" in document and reason in document
    northwind = next(t for to, t in texts.items() if "northwind" in to)
    assert "is late" not in northwind, "no contract hours: without undue delay, no due time"
    fresh = _file(
        client,
        staff_api,
        controllers=["acme"],
        discovered_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )
    _send_all(client, fresh)
    newest = _outbox(engine, "notice")[-1].body_text
    assert "Deze melding is te laat" not in newest and "De reden:" not in newest
