"""What an attacker tries, route by route, taken from the app's own route table so a new
route cannot be forgotten: another controller's officer gets 404 everywhere; every form
refuses a missing or wrong CSRF token; hostile answers stay text in every page, e-mail
and PDF. (Session replay after logout and the login rate limits: tests/web/test_auth.py.)"""

from __future__ import annotations

import email
import io
import re
import uuid
from email import policy

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from incidents.models import OutboxMessage
from incidents.reminders import deliver_outbox
from tests.helpers import ADMIN, OFFICER_ACME, OFFICER_NORTHWIND, STAFF, PageClient, app_routes
from tests.web.notice_helpers import file_via_api as _file
from tests.web.notice_helpers import send_all as _send_all

pytestmark = pytest.mark.usefixtures("demo")

PARAMS = {
    "token": "not-a-real-link-token",
    "invitation_id": "1",
    "slug": "acme",
    "controller": "acme",
    "number": "1",
    "key": "gdpr_authority",
    "fmt": "pdf",
    "step_key": "incident",
    "batch_id": "00000000-0000-4000-8000-000000000000",
    "task_id": "1",
    "endpoint_id": "1",
    "evidence_id": "00000000-0000-4000-8000-000000000000",
}
FORM = {
    "body": "x",
    "letter": "x",
    "is_breach": "yes",
    "reason": "x",
    "level": "low",
    "summary": "x",
}


def _fill(pattern: str, incident_id: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return incident_id if name == "incident_id" else PARAMS[name]

    return re.sub(r"\{(\w+):\w+\}", value, pattern)


def test_another_controllers_officer_gets_404_on_every_route_with_an_incident(
    app, client: PageClient, api_headers
) -> None:
    """Officer B (Northwind) tries every route and API call that takes an incident id with
    the ids of controller A's (Acme's) incidents: sent, not sent, and a draft."""
    staff = api_headers(STAFF)
    sent = _file(client, staff, controllers=["acme"])
    _send_all(client, sent)
    unsent = _file(client, staff, controllers=["acme"])
    draft = client.post(
        "/api/v1/incidents", json={"draft": True, "controllers": ["acme"]}, headers=staff
    ).json()["id"]
    officer = api_headers(OFFICER_NORTHWIND)
    client.login(OFFICER_NORTHWIND)
    routes = [(m, p) for m, p in app_routes(app) if "{incident_id" in p]
    assert len(routes) >= 30
    tried = 0
    for incident_id in (sent, unsent, draft):
        for method, pattern in routes:
            url = _fill(pattern, incident_id)
            if pattern.startswith("/api/"):
                response = client.request(method, url, headers=officer, json={})
            elif method == "GET":
                response = client.get(url, follow_redirects=False)
            else:
                response = client.submit(url, FORM) if method == "POST" else None
            assert response is not None, (method, pattern)
            assert response.status_code == 404, (method, url, response.status_code)
            tried += 1
    assert tried == 3 * len(routes)
    # The same routes with Northwind's own incident are not all 404: the test can tell.
    own = _file(client, staff, controllers=["northwind"])
    _send_all(client, own)
    client.login(OFFICER_NORTHWIND)
    assert client.get(f"/incidents/{own}/notices/northwind").status_code == 200


def test_every_form_refuses_a_missing_or_wrong_csrf_token(
    app, client: PageClient, api_headers
) -> None:
    incident_id = _file(client, api_headers(STAFF), controllers=["acme"])
    client.login(ADMIN)
    posts = [p for m, p in app_routes(app) if m == "POST" and not p.startswith("/api/")]
    assert len(posts) >= 20
    for pattern in posts:
        url = _fill(
            pattern.replace("{token_id:int}", "1").replace("{user_id:int}", "1"), incident_id
        )
        missing = client.submit(url, FORM, csrf=False)
        assert missing.status_code == 403, (url, "missing", missing.status_code)
        wrong = client.submit(url, {**FORM, "_csrf_token": "0" * 64}, csrf=False)
        assert wrong.status_code == 403, (url, "wrong", wrong.status_code)
        header = client.post(url, data=FORM, headers={"X-CSRFToken": "forged"})
        assert header.status_code == 403, (url, "header", header.status_code)
    # The API is not cookie-based: a bearer token without CSRF works, a session cookie alone does not.
    assert client.post("/api/v1/incidents", json={"draft": True}).status_code == 401


HOSTILE = {
    "summary": '<script>alert("summary")</script><img src=x onerror=alert(1)> '
    "Bidi \u202eevil.exe\u202c and a bell\x07 and ESC\x1b[31m red " + "long " * 1800,
    "affected_group": '"><svg onload=alert(2)> Staff',
    "measures": "javascript:alert(3) and {{ 7*7 }} and {% raw %}",
    "contact_name": "Robert'); DROP TABLE incident;--",
}


def test_hostile_answers_are_text_in_pages_mail_and_pdfs(
    client: PageClient, api_headers, engine, settings
) -> None:
    staff = api_headers(STAFF)
    incident_id = _file(client, staff, controllers=["acme"], **HOSTILE)
    stored = client.get(f"/api/v1/incidents/{incident_id}", headers=staff).json()["answers"]
    assert "\x07" not in stored["summary"] and "\x1b" not in stored["summary"]  # not text
    assert "\u202eevil.exe\u202c" in stored["summary"]  # kept as typed
    assert stored["contact_name"] == HOSTILE["contact_name"]
    _send_all(client, incident_id)
    deliver_outbox(engine, settings)

    def plain(html: str, where: str = "") -> None:
        assert "<script>alert" not in html and "<svg onload" not in html, where
        assert "<img src=x" not in html, where
        assert (
            "&lt;script&gt;alert(&#34;summary&#34;)&lt;/script&gt;" in html
            or "&lt;script&gt;alert(&quot;summary&quot;)" in html
        ), where
        assert "javascript:alert(3) and {{ 7*7 }}" in html  # never evaluated as a template

    client.login(STAFF)
    for url in (
        f"/incidents/{incident_id}",
        f"/incidents/{incident_id}/notices/acme/sent/1",
        "/incidents",
        f"/incidents/{incident_id}/versions/1",
        "/outbox",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        if url in {"/incidents", "/outbox"}:
            assert "<script>alert" not in response.text
        else:
            plain(response.text, url)
    client.submit("/logout")
    client.login(OFFICER_ACME)
    plain(client.get(f"/incidents/{incident_id}/notices/acme").text)

    with Session(engine) as session:
        message = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "notice")).first()
        assert message is not None and message.status == "sent"
        plain(message.body_html)
        files = sorted(settings.outbox_dir.glob("*.eml"))
        assert files
        eml = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
        plain(eml.get_body(("html",)).get_content())
        assert "Robert'); DROP TABLE incident;--" in message.body_text
        notice_pdf = bytes(message.attachment or b"")
    assert "<script>" not in str(eml["Subject"])
    for data in (notice_pdf, client.get(f"/incidents/{incident_id}/report.pdf?lang=en").content):
        text = " ".join(
            " ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages
        )
        assert '<script>alert("summary")</script>' in text
        assert '"><svg onload=alert(2)> Staff' in text and "{{ 7*7 }}" in text


def test_unknown_ids_and_malformed_ids_are_plain_404s(client: PageClient, api_headers) -> None:
    staff = api_headers(STAFF)
    for url in (
        f"/api/v1/incidents/{uuid.uuid4()}",
        "/api/v1/incidents/not-a-uuid",
        f"/api/v1/incidents/{uuid.uuid4()}/report.pdf",
    ):
        assert client.get(url, headers=staff).status_code in {400, 404}, url
