"""Issue 18, webhooks: an endpoint added on the admin page or the command line receives
the events it asks for, signed (HMAC-SHA256 of the body with its secret), once each; an
endpoint that fails first is tried again and then receives the event once only."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlmodel import Session, select

from incidents import webhooks
from incidents.models import WebhookDelivery, utcnow
from incidents.reminders import deliver_outbox
from tests.helpers import ADMIN, OFFICER_ACME, STAFF, PageClient
from tests.test_cli import cli as cli  # the fixture
from tests.web.notice_helpers import file_via_api, send_all
from tests.web.test_races import _at_once

pytestmark = pytest.mark.usefixtures("demo")
SECRET = "a-long-shared-secret-0123456789"


class Receiver:
    """A local HTTP server that answers 500 to the first ``fail`` requests, then 204."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"body": body, "headers": dict(self.headers)})
                status = 500 if receiver.fail > 0 else 204
                receiver.fail -= 1
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver():
    found = Receiver(fail=1)
    yield found
    found.close()


def _valid(item: dict[str, Any]) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), item["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(item["headers"]["X-Breachdesk-Signature"], expected)


def test_a_webhook_is_signed_retried_and_received_once(
    client: PageClient, api_headers, engine, settings, receiver
) -> None:
    client.login(ADMIN)
    refused = client.submit_page(
        "/admin/webhooks/", {"url": "ftp://x", "secret": "short", "event-notice.sent": ""}
    )
    assert {a["href"] for a in refused.select(".error-summary a")} >= {"#url", "#secret"}
    added = client.submit(
        "/admin/webhooks/",
        {"url": receiver.url, "secret": SECRET, "event-incident.submitted": "yes",
         "event-notice.sent": "yes", "event-notice.delivered": "yes"},
    )  # fmt: skip
    assert added.status_code == 303
    client.submit("/logout")

    case = file_via_api(client, api_headers(STAFF), controllers=["acme"])
    send_all(client, case)
    now = utcnow()
    assert webhooks.dispatch(engine, now) == 2, "submitted and sent"
    assert webhooks.dispatch(engine, now) == 0, "each event once"
    assert webhooks.deliver(engine, now) == 1, "the first answer was 500: one retry later"
    deliver_outbox(engine, settings)  # the notice's e-mail: delivered
    assert webhooks.dispatch(engine, now) == 1
    later = now + timedelta(minutes=5)
    assert webhooks.deliver(engine, later) == 2
    assert webhooks.deliver(engine, later + timedelta(hours=1)) == 0, "nothing twice"

    assert all(_valid(item) for item in receiver.received)
    events = [json.loads(item["body"])["event"] for item in receiver.received]
    assert sorted(events) == sorted(
        ["incident.submitted", "incident.submitted", "notice.sent", "notice.delivered"]
    ), "the first one twice: 500, then accepted"
    sent = next(json.loads(i["body"]) for i in receiver.received if b"notice.sent" in i["body"])
    assert sent["controller"] == "acme" and sent["incident"] == case and "answers" not in sent
    with Session(engine) as session:
        deliveries = session.exec(select(WebhookDelivery)).all()
    assert sorted(d.status for d in deliveries) == ["sent", "sent", "sent"]
    assert max(d.attempts for d in deliveries) == 2
    client.login(ADMIN)
    log = client.page("/admin/webhooks/")
    assert receiver.url in log.text and "notice.delivered" in log.text


def test_the_command_line_adds_an_endpoint_with_answers(
    cli,
    engine,
    receiver,
) -> None:
    code, out, err = cli(
        "webhook", "add", "--url", receiver.url, "--secret", SECRET,
        "--event", "incident.submitted", "--with-answers",
    )  # fmt: skip
    assert code == 0 and "added webhook" in out, err
    code, _out, err = cli("webhook", "add", "--url", receiver.url, "--secret", "x",
                          "--event", "notice.sent")  # fmt: skip
    assert code == 1 and "secret" in err


def test_only_administrators_manage_webhooks(client: PageClient) -> None:
    for who in (STAFF, OFFICER_ACME):
        client.login(who)
        assert client.get("/admin/webhooks/").status_code == 403
        client.submit("/logout")


def test_workers_at_once_and_a_worker_killed_mid_send(
    client: PageClient, api_headers, engine, receiver
) -> None:
    """Four workers dispatch and deliver at once: each event is one delivery, accepted
    once. A worker killed while sending leaves its delivery leased: another sends it once
    the lease has run out, not before."""
    receiver.fail = 0
    with Session(engine) as session:
        webhooks.add_endpoint(
            session, url=receiver.url, secret=SECRET, events=["incident.submitted"], actor_id=None
        )
        session.commit()
    for _ in range(3):
        file_via_api(client, api_headers(STAFF))
    now = utcnow()
    assert sum(_at_once([lambda: webhooks.dispatch(engine, now)] * 4)) == 3
    assert sum(_at_once([lambda: webhooks.deliver(engine, now)] * 4)) == 3
    assert len(receiver.received) == 3, "each event received once"

    # A worker claims a delivery and dies before it hears the answer.
    file_via_api(client, api_headers(STAFF))
    assert webhooks.dispatch(engine, now) == 1
    with Session(engine) as session:
        (left,) = session.exec(
            select(WebhookDelivery).where(WebhookDelivery.status == "queued")
        ).all()
        left.status, left.lease_until = "sending", now + webhooks.LEASE
        session.add(left)
        session.commit()
    assert webhooks.deliver(engine, now + timedelta(seconds=30)) == 0, "still leased"
    assert webhooks.deliver(engine, now + webhooks.LEASE + timedelta(seconds=1)) == 1
    assert len(receiver.received) == 4
