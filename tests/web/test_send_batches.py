"""Issue 15: "send to all" as background work. The request writes a batch and returns at
once; workers render and write each notice (several at once take turns without taking the
same notice), the outbox delivers; the incident page and the API show the progress
(queued, rendered, delivered, failed). Each notice is sent exactly once, also when two
people press the button at the same moment or a worker stops half-way."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from incidents import batches, notices
from incidents.auth import principal_by_id
from incidents.delivery import deliver_outbox
from incidents.models import (
    InvitationLink,
    Notice,
    NoticeSend,
    Organisation,
    OutboxMessage,
    SendBatch,
    SendBatchItem,
    User,
)
from tests.helpers import ADMIN, OFFICER_ACME, STAFF, PageClient, at_once
from tests.processes import BREACHDESK, wait_until, worker_process
from tests.web.notice_helpers import file_via_api
from tests.web.test_outbox import _env

pytestmark = pytest.mark.usefixtures("demo")

MANY = 12  # more than a page sends within its request (batches.INLINE_MAX)
CSV = "slug,name,emails\n" + "".join(
    f"fan-{n:02d},Fan-out Client {n:02d},privacy@fan-{n:02d}.example\n" for n in range(MANY)
)


@pytest.fixture
def staff_api(api_headers) -> dict[str, str]:
    return api_headers(STAFF)


@pytest.fixture
def fan_out(demo, client: PageClient, api_headers, staff_api) -> str:
    """An incident affecting twelve more controllers (and Acme): thirteen notices."""
    headers = {**api_headers(ADMIN), "content-type": "text/csv"}
    assert (
        client.post("/api/v1/controllers/import", content=CSV, headers=headers).status_code == 200
    )
    slugs = ["acme", *(f"fan-{n:02d}" for n in range(MANY))]
    return file_via_api(client, staff_api, controllers=slugs)


def _settings(client: PageClient):
    return client.app.state["settings"]


def _engine(client: PageClient):
    return client.app.state["engine"]


def _sends(engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(
            select(NoticeSend.notice_id, func.count()).group_by(NoticeSend.notice_id)
        ).all()
    return {str(notice): count for notice, count in rows}


def _mails(engine, kind: str = "notice") -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind)
        ).one()


def test_the_page_returns_at_once_and_shows_the_progress_until_delivered(
    client: PageClient, fan_out: str, engine
) -> None:
    client.login(STAFF)
    response = client.submit(f"/incidents/{fan_out}/notices/send", {"confirm_send": "yes"})
    assert response.status_code == 303
    assert _mails(engine) == 0, "nothing rendered within the request"
    page = client.page(f"/incidents/{fan_out}")
    assert "being rendered and sent" in page.select_one(".notice").text
    progress = page.select_one("#send-progress")
    assert progress["data-hx-trigger"] == "every 2s"
    assert "13 notices: 13 waiting, 0 rendered, 0 delivered, 0 failed" in progress.text
    fragment_url = progress["data-hx-get"]
    tags = [tag.text for tag in page.select("#notices tbody .tag")]
    assert tags.count("Being sent") == 13 and "To send" not in tags

    assert batches.run(engine, _settings(client)) == 13
    fragment = client.get(fragment_url, headers={"hx-request": "true"})
    assert "13 notices: 0 waiting, 13 rendered, 0 delivered" in fragment.text
    assert "data-hx-get" in fragment.text, "still polling until delivered"
    deliver_outbox(engine, _settings(client))
    fragment = client.get(fragment_url, headers={"hx-request": "true"})
    assert "13 delivered, 0 failed" in fragment.text and "data-hx-get" not in fragment.text
    assert set(_sends(engine).values()) == {1} and len(_sends(engine)) == 13
    assert _mails(engine) == 13


def test_the_api_answers_202_with_the_batch_and_its_progress(
    client: PageClient, fan_out: str, staff_api, api_headers, engine
) -> None:
    response = client.post(f"/api/v1/incidents/{fan_out}/notices/send", headers=staff_api)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["total"], body["queued"], body["finished"]) == (13, 13, False)
    location = response.headers["location"]
    assert location.endswith(body["batch"])
    again = client.post(f"/api/v1/incidents/{fan_out}/notices/send", headers=staff_api)
    assert again.status_code == 409, "the same notices are on their way already"
    batches.run(engine, _settings(client))
    deliver_outbox(engine, _settings(client))
    done = client.get(location, headers=staff_api).json()
    assert (done["delivered"], done["failed"], done["finished"]) == (13, 0, True)
    officer = api_headers(OFFICER_ACME)
    assert client.get(location, headers=officer).status_code == 404
    assert (
        client.post(f"/api/v1/incidents/{fan_out}/notices/send", headers=officer).status_code == 404
    )


def test_a_small_batch_is_sent_within_the_page_request(
    client: PageClient, staff_api, engine
) -> None:
    incident_id = file_via_api(client, staff_api, controllers=["acme", "northwind"])
    client.login(STAFF)
    client.submit(f"/incidents/{incident_id}/notices/send", {"confirm_send": "yes"})
    assert _mails(engine) == 2
    page = client.page(f"/incidents/{incident_id}")
    assert (
        "Notice sent to: Acme Retail B.V., Northwind Logistics Ltd"
        in page.select_one(".notice").text
    )


def test_a_small_batch_is_the_requests_own_until_its_lease_runs_out(
    client: PageClient, staff_api, engine, clock
) -> None:
    """The page renders a small batch itself: a worker woken by the new rows finds
    nothing to take (before, it could take one and the page showed it still "To send");
    if the request died half-way, a worker takes the rest over after the lease."""
    incident_id = file_via_api(client, staff_api, controllers=["acme", "northwind"])
    settings = _settings(client)
    with Session(engine) as session:
        staff_id = session.exec(select(User.id).where(User.email == STAFF)).one()
        staff = principal_by_id(session, staff_id)
    assert staff is not None
    batch, token = batches.queue(
        engine, staff, uuid.UUID(incident_id), settings.base_url, hold_up_to=5
    )
    assert token is not None
    assert batches.claim(engine, settings, clock.now()) is None, "held by the request"
    assert batches.run(engine, settings) == 0
    clock.travel(timedelta(seconds=settings.outbox_lease_seconds + 1))
    assert batches.run(engine, settings) == 2, "the request died: a worker takes them over"
    assert batches.run_held(engine, settings, batch.id, token) == 0, "nothing left to it"
    assert set(_sends(engine).values()) == {1} and len(_sends(engine)) == 2


def test_two_people_pressing_send_at_once_send_each_notice_once(
    client: PageClient, fan_out: str, staff_api, make_client, engine
) -> None:
    url = f"/api/v1/incidents/{fan_out}/notices/send"
    browsers = [make_client(), make_client()]
    statuses = at_once(*(lambda b=b: b.post(url, headers=staff_api).status_code for b in browsers))
    assert sorted(statuses) == [202, 409]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(SendBatchItem)).one() == 13


def test_two_workers_at_once_render_each_notice_once(
    client: PageClient, fan_out: str, staff_api, engine
) -> None:
    client.post(f"/api/v1/incidents/{fan_out}/notices/send", headers=staff_api)
    settings = _settings(client)
    done = at_once(lambda: batches.run(engine, settings), lambda: batches.run(engine, settings))
    assert sum(done) == 13
    assert set(_sends(engine).values()) == {1} and len(_sends(engine)) == 13
    assert _mails(engine) == 13


def test_a_worker_that_stopped_half_way_is_taken_over_after_its_lease(
    client: PageClient, fan_out: str, staff_api, engine, clock
) -> None:
    """A worker claimed a notice, wrote its send and e-mail, and died before it marked its
    item: the item is claimed again once the lease has run out, and the notice is not
    sent a second time (the send is found and recorded)."""
    client.post(f"/api/v1/incidents/{fan_out}/notices/send", headers=staff_api)
    settings = _settings(client)
    claimed = batches.claim(engine, settings, clock.now())
    assert claimed is not None
    with Session(engine) as session:
        item = session.get(SendBatchItem, claimed[0])
        notice = session.get(Notice, item.notice_id)
        slug = session.get(Organisation, notice.controller_id).slug
        staff = principal_by_id(session, session.get(SendBatch, item.batch_id).requested_by_id)
    notices.send_notices(engine, staff, uuid.UUID(fan_out), [slug], settings.base_url)
    assert batches.run(engine, settings) == 12, "the others; the claimed one is leased"
    with Session(engine) as session:
        assert session.get(SendBatchItem, claimed[0]).state == "queued"
    clock.travel(timedelta(seconds=settings.outbox_lease_seconds + 1))
    assert batches.run(engine, settings) == 1
    with Session(engine) as session:
        item = session.get(SendBatchItem, claimed[0])
        assert (item.state, item.attempts) == ("rendered", 2) and item.send_id is not None
    assert set(_sends(engine).values()) == {1} and len(_sends(engine)) == 13
    assert _mails(engine) == 13


def test_a_controller_that_cannot_be_sent_to_fails_alone(
    client: PageClient, fan_out: str, staff_api, engine
) -> None:
    """Its address removed after the batch was asked for: that notice fails with the
    reason, the others go out."""
    client.post(f"/api/v1/incidents/{fan_out}/notices/send", headers=staff_api)
    with Session(engine) as session:
        org = session.exec(select(Organisation).where(Organisation.slug == "fan-03")).one()
        org.notification_emails = []
        session.add(org)
        session.commit()
    batches.run(engine, _settings(client))
    client.login(STAFF)
    page = client.page(f"/incidents/{fan_out}")
    progress = page.select_one("#send-progress").get_text(" ", strip=True)
    assert "13 notices: 0 waiting, 12 rendered, 0 delivered, 1 failed" in progress
    assert "Fan-out Client 03 : Fan-out Client 03 has no e-mail address" in progress
    assert len(_sends(engine)) == 12


FORTY = "slug,name,emails\n" + "".join(
    f"wide-{n:02d},Wide Client {n:02d},privacy@wide-{n:02d}.example\n" for n in range(40)
)


def _forty_sent(client: PageClient, api_headers, staff_api, invite: bool = False) -> str:
    """Forty more controllers, an incident affecting them, and "send to all" asked for
    (``invite``: their addresses invited as officers, so each notice carries a link)."""
    headers = {**api_headers(ADMIN), "content-type": "text/csv"}
    url = "/api/v1/controllers/import" + ("?invite_officers=true" if invite else "")
    imported = client.post(url, content=FORTY, headers=headers)
    assert imported.status_code == 200
    incident_id = file_via_api(client, staff_api, controllers=[f"wide-{n:02d}" for n in range(40)])
    sent = client.post(f"/api/v1/incidents/{incident_id}/notices/send", headers=staff_api)
    assert sent.status_code == 202
    return incident_id


def test_a_worker_killed_mid_batch_and_another_after_the_lease_send_each_notice_once(
    client: PageClient, api_headers, staff_api, engine, settings, tmp_path
) -> None:
    """`breachdesk worker` in a process of its own, killed with SIGKILL half-way through a
    batch of 40; a second worker, its clock past the lease, finishes it: every notice is
    sent and written exactly once (on PostgreSQL: the workers' SKIP LOCKED claims). Each
    controller's address is an invited one: each gets one e-mail with one new link."""
    _forty_sent(client, api_headers, staff_api, invite=True)

    def rendered() -> int:
        with Session(engine) as session:
            return session.exec(
                select(func.count())
                .select_from(SendBatchItem)
                .where(SendBatchItem.state == "rendered")
            ).one()

    with worker_process(_env(settings, tmp_path), tmp_path, interval=1) as (worker, lines):
        try:
            assert wait_until(lambda: rendered() >= 3, 120), lines[-5:]
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
    assert rendered() < 40, "killed before the end of the batch"

    later = _env(
        settings, tmp_path, BREACHDESK_CLOCK_OFFSET_SECONDS=str(settings.outbox_lease_seconds + 60)
    )
    done = subprocess.run(
        [BREACHDESK, "remind"], env=later, cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert rendered() == 40
    sends = _sends(engine)
    assert len(sends) == 40 and set(sends.values()) == {1}, "each notice sent once"
    assert _mails(engine, "notice_invitation") == 40 and _mails(engine) == 0
    with Session(engine) as session:
        links = session.exec(
            select(InvitationLink.invitation_id, func.count()).group_by(
                InvitationLink.invitation_id
            )
        ).all()
    assert len(links) == 40 and {count for _, count in links} == {1}, "one link each"


def test_two_worker_processes_share_a_batch(
    client: PageClient, api_headers, staff_api, engine, settings, tmp_path
) -> None:
    """`breachdesk worker --processes 2`: both processes render notices of the batch, and
    each notice is sent once."""
    _forty_sent(client, api_headers, staff_api)
    process = subprocess.Popen(
        [BREACHDESK, "worker", "--processes", "2", "--interval", "1"],
        env=_env(settings, tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_until(lambda: _mails(engine) == 40, 300)
    finally:
        process.terminate()
        process.communicate(timeout=60)
    with Session(engine) as session:
        tokens = session.exec(select(SendBatchItem.claimed_by)).all()
    processes = {token.split(":")[1] for token in tokens if token}
    assert len(processes) == 2, "both processes rendered notices"
    sends = _sends(engine)
    assert len(sends) == 40 and set(sends.values()) == {1}
