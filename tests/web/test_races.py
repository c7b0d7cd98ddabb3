"""Changes of one incident at the same moment, through HTTP, from several threads: the
API's PATCH with and without the version it is based on, two people saving the
correction form, several steps of one draft saved at once. No 500, the versions run on
without a gap or a double, nothing is lost, and the one who lost a race is told (409)
with what they typed kept (the form) or the current version named (the API).

The threads start together at a barrier; each has its own client, as separate browsers
and API clients would. Nothing about timing is asserted: only what was written."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup
from httpx import Response
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from incidents.models import (
    AuditEvent,
    DecisionVersion,
    Incident,
    IncidentVersion,
    Notice,
    NoticeSend,
    Organisation,
    OutboxMessage,
)
from incidents.reminders import run_once
from incidents.service import lock_conflict
from tests.helpers import OFFICER_ACME, OFFICER_NORTHWIND, STAFF, PageClient, check_page
from tests.web.journey import STEP_FORMS
from tests.web.notice_helpers import file_via_api, notice_of

pytestmark = pytest.mark.usefixtures("demo")


def _at_once(calls: list[Callable[[], Response]]) -> list[Response]:
    """Run the calls in threads released together; their responses in the same order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as exc:  # reported below, with the others
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return results


def _versions(engine, incident_id: str) -> tuple[int, list[int]]:
    with Session(engine) as session:
        incident = session.get(Incident, uuid.UUID(incident_id))
        numbers = session.exec(
            select(IncidentVersion.version)
            .where(IncidentVersion.incident_id == uuid.UUID(incident_id))
            .order_by(IncidentVersion.version)
        ).all()
    assert incident is not None
    return incident.version, list(numbers)


def _browser(make_client, logged_in: PageClient) -> PageClient:
    """Another browser with the same login (the session and CSRF cookies copied)."""
    browser = make_client()
    for name, value in logged_in.client.cookies.items():
        browser.client.cookies.set(name, value)
    return browser


@pytest.mark.parametrize("clients", [2, 8])
def test_patches_without_a_version_take_turns(
    client: PageClient, make_client, api_headers, engine, clients: int
) -> None:
    headers = api_headers(STAFF)
    incident_id = file_via_api(client, headers)
    apis = [make_client() for _ in range(clients)]
    responses = _at_once(
        [
            lambda c=api, n=n: c.patch(
                f"/api/v1/incidents/{incident_id}",
                json={"affected_max": 1000 + n, "note": f"Client {n}"},
                headers=headers,
            )
            for n, api in enumerate(apis)
        ]
    )
    assert [r.status_code for r in responses] == [200] * clients, [r.text for r in responses]
    answered = sorted(r.json()["version"] for r in responses)
    assert answered == list(range(2, clients + 2))  # each saw its own new version
    current, numbers = _versions(engine, incident_id)
    assert numbers == list(range(1, clients + 2)) and current == clients + 1
    # The last version holds the answer of the change that came last.
    last = next(r for r in responses if r.json()["version"] == clients + 1)
    with Session(engine) as session:
        incident = session.get(Incident, uuid.UUID(incident_id))
        assert incident is not None
        assert incident.answers["affected_max"] == last.json()["answers"]["affected_max"]


@pytest.mark.parametrize("how", ["If-Match", "version"])
def test_patches_on_the_same_version_one_wins_the_others_hear_409(
    client: PageClient, make_client, api_headers, engine, how: str
) -> None:
    headers = api_headers(STAFF)
    incident_id = file_via_api(client, headers)
    apis = [make_client() for _ in range(8)]

    def patch(api: PageClient, n: int) -> Response:
        body: dict[str, Any] = {"affected_max": 2000 + n}
        extra = {"If-Match": '"1"'} if how == "If-Match" else {}
        if how == "version":
            body["version"] = 1
        return api.patch(
            f"/api/v1/incidents/{incident_id}", json=body, headers={**headers, **extra}
        )

    responses = _at_once([lambda a=api, n=n: patch(a, n) for n, api in enumerate(apis)])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 7, [r.text for r in responses]
    for refused in (r for r in responses if r.status_code == 409):
        body = refused.json()
        assert body["current_version"] == 2
        assert (
            body["errors"][0]["field"] == "version" and "version 2" in body["errors"][0]["message"]
        )
    current, numbers = _versions(engine, incident_id)
    assert numbers == [1, 2] and current == 2
    # Based on the version it is at now, the change goes through.
    again = client.patch(
        f"/api/v1/incidents/{incident_id}",
        json={"affected_max": 3000},
        headers={**headers, "If-Match": 'W/"2"'},
    )
    assert again.status_code == 200 and again.json()["version"] == 3


def test_a_bad_if_match_is_400_and_the_version_is_in_the_schema(
    client: PageClient, api_headers
) -> None:
    headers = api_headers(STAFF)
    incident_id = file_via_api(client, headers)
    for value in ("three", '"1', "1.5", "-1", "99999999999"):
        response = client.patch(
            f"/api/v1/incidents/{incident_id}",
            json={"affected_max": 500},
            headers={**headers, "If-Match": value},
        )
        assert response.status_code == 400, (value, response.text)
        assert response.json()["errors"][0]["field"] == "If-Match"
    for value in ("1", True, -1, 1.0, None):  # a version is a whole number, 0 or more
        response = client.patch(
            f"/api/v1/incidents/{incident_id}",
            json={"affected_max": 500, "version": value},
            headers=headers,
        )
        assert response.status_code == 422, (value, response.text)
        assert response.json()["errors"][0]["field"] == "version"
    # "*" says "whatever version": the change goes through.
    star = client.patch(
        f"/api/v1/incidents/{incident_id}",
        json={"affected_max": 501},
        headers={**headers, "If-Match": "*"},
    )
    assert star.status_code == 200 and star.json()["version"] == 2
    schema = client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/api/v1/incidents/{incident_id}"]["patch"]
    assert "409" in operation["responses"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in operation["parameters"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["version"]["type"] == "integer"
    create = schema["paths"]["/api/v1/incidents"]["post"]["requestBody"]
    assert "version" not in create["content"]["application/json"]["schema"]["properties"]


def test_two_people_save_the_correction_form_at_once(
    client: PageClient, make_client, api_headers, engine
) -> None:
    incident_id = file_via_api(client, api_headers(STAFF))
    client.login(STAFF)
    first, second = client, _browser(make_client, client)
    url = f"/incidents/{incident_id}/report/persons"
    for browser in (first, second):
        form = browser.page(url).select_one("form.question-form")
        assert form.select_one("input[name=version]")["value"] == "1"
    typed = {
        first: {**STEP_FORMS["persons"], "affected_max": "700", "note": "First"},
        second: {**STEP_FORMS["persons"], "affected_max": "800", "note": "Second"},
    }
    responses = _at_once(
        [
            lambda b=b: b.submit(url, {**typed[b], "version": "1", "action": "continue"})
            for b in (first, second)
        ]
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [303, 409], [r.text[:500] for r in responses]
    winner = first if responses[0].status_code == 303 else second
    loser, refused = (second, responses[1]) if winner is first else (first, responses[0])
    soup = check_page(refused.text)
    summary = soup.select_one(".error-summary").get_text(" ")
    assert "Someone else saved a change" in summary and "version 2" in summary
    # What the loser typed is on the form, based now on version 2.
    assert soup.select_one("#affected_max")["value"] == typed[loser]["affected_max"]
    assert soup.select_one("#note").get_text() == typed[loser]["note"]
    assert soup.select_one("input[name=version]")["value"] == "2"
    current, numbers = _versions(engine, incident_id)
    assert numbers == [1, 2] and current == 2
    with Session(engine) as session:
        incident = session.get(Incident, uuid.UUID(incident_id))
        assert incident is not None
        assert incident.answers["affected_max"] == int(typed[winner]["affected_max"])
    # Sent again from the form as it came back, the change is saved as version 3.
    form = BeautifulSoup(refused.text, "html5lib").select_one("form.question-form")
    again = {
        i["name"]: i.get("value", "")
        for i in form.select("input")
        if i.get("type") != "checkbox" and i.get("type") != "radio"
    }
    again.update({i["name"]: i["value"] for i in form.select("input[type=radio][checked]")})
    again.update({t["name"]: t.get_text() for t in form.select("textarea")})
    again["action"] = "continue"
    again.pop("_csrf_token", None)
    saved = loser.submit(url, again)
    assert saved.status_code == 303, check_page(saved.text).select_one(".error-summary")
    assert _versions(engine, incident_id) == (3, [1, 2, 3])


def test_steps_of_one_draft_saved_at_once_are_all_kept(
    client: PageClient, make_client, engine
) -> None:
    client.login(STAFF)
    draft = client.submit("/incidents/new").headers["location"].rsplit("/", 2)[1]
    steps = [
        "incident",
        "persons",
        "nature",
        "data",
        "protection",
        "consequences",
        "measures",
        "contact",
    ]
    browsers = [client] + [_browser(make_client, client) for _ in steps[1:]]
    responses = _at_once(
        [
            lambda b=b, s=s: b.submit(
                f"/incidents/{draft}/report/{s}", {**STEP_FORMS[s], "action": "save"}
            )
            for b, s in zip(browsers, steps, strict=True)
        ]
    )
    assert [r.status_code for r in responses] == [303] * len(steps)
    with Session(engine) as session:
        incident = session.get(Incident, uuid.UUID(draft))
        assert incident is not None
        answers = incident.answers
    kept = {
        "incident": "summary",
        "persons": "affected_group",
        "nature": "nature",
        "data": "data_types",
        "protection": "encrypted",
        "consequences": "consequences",
        "measures": "measures",
        "contact": "contact_name",
    }
    assert [s for s in steps if kept[s] not in answers] == []


# --- corrections and the notices' own writes at once ----------------------------------------
#
# A correction that moves the discovery time makes every notice of the incident due for
# the reminder worker (an UPDATE of each notice row) while it holds the incident row. A
# send, a decision or a reminder writes its notice row first and then a row that refers
# to the incident (an outbox message, an audit event), whose foreign key check takes a
# share lock on the incident row. Held FOR UPDATE, the incident row refuses that share
# lock and the two transactions wait for each other (PostgreSQL: deadlock detected, 500).

CONTROLLERS = ["acme", "northwind", "zorggroep-noord"]
OFFICERS = {
    "acme": OFFICER_ACME,
    "northwind": OFFICER_NORTHWIND,
    "zorggroep-noord": "fg@zorggroep-noord.example",
}
ROUNDS = 6
CORRECTIONS = 3
DECISION = {
    "is_breach": True,
    "notify_authority": True,
    "authority_reason": "Copied health data",
    "inform_data_subjects": True,
    "data_subjects_reason": "High risk",
    "art34_ground": None,
    "late_reason": "The notice reached a shared mailbox first.",
}


def _move_discovery(
    api: PageClient, headers: dict[str, str], incident_id: str, n: int, spread: float = 0.0
) -> Callable:
    """A correction that moves the discovery time (every notice becomes due), sent after a
    random pause of up to ``spread`` seconds (so that some land while a send that started
    with them writes, after composing its PDF)."""

    def correct() -> Response:
        time.sleep(random.uniform(0, spread))
        return api.patch(
            f"/api/v1/incidents/{incident_id}",
            json={
                "discovered_at": f"2026-03-27T{11 + n:02d}:{n:02d}:00+01:00",
                "note": f"Moved {n}",
            },
            headers=headers,
        )

    return correct


def _post(api: PageClient, url: str, headers: dict[str, str], body: Any = None) -> Callable:
    return lambda: api.post(url, json=body, headers=headers)


def _check_corrections(engine, incident_id: str, responses: list[Response]) -> None:
    """Every correction answered 200 and is a version of its own, one after the other, and
    the incident holds the discovery time of the last one."""
    assert [r.status_code for r in responses] == [200] * len(responses), [r.text for r in responses]
    current, numbers = _versions(engine, incident_id)
    assert numbers == list(range(1, len(responses) + 2)) and current == len(responses) + 1
    last = max(responses, key=lambda r: r.json()["version"])
    with Session(engine) as session:
        incident = session.get(Incident, uuid.UUID(incident_id))
        assert incident is not None
        assert incident.answers["discovered_at"] == last.json()["answers"]["discovered_at"]


def _count(engine, model, *conditions) -> int:
    with Session(engine) as session:
        return len(session.exec(select(model).where(*conditions)).all())


def _notices(engine, incident_id: str) -> dict[str, Notice]:
    with Session(engine) as session:
        rows = session.exec(
            select(Notice, Organisation)
            .join(Organisation, Organisation.id == Notice.controller_id)
            .where(Notice.incident_id == uuid.UUID(incident_id))
        ).all()
    return {org.slug: notice for notice, org in rows}


def test_corrections_while_its_notices_are_sent(
    client: PageClient, make_client, api_headers, engine
) -> None:
    """Corrections of the discovery time and the sends of each notice, at once: no 500,
    every correction a version, every send that said "sent" written with its e-mail."""
    headers = api_headers(STAFF)
    for _round in range(ROUNDS):
        incident_id = file_via_api(client, headers, controllers=CONTROLLERS)
        base = f"/api/v1/incidents/{incident_id}/notices"
        corrections = [
            _move_discovery(make_client(), headers, incident_id, n, 0.3) for n in range(CORRECTIONS)
        ]
        sends = [_post(make_client(), f"{base}/{slug}/send", headers) for slug in CONTROLLERS]
        responses = _at_once(corrections + sends)
        _check_corrections(engine, incident_id, responses[:CORRECTIONS])
        sent = responses[CORRECTIONS:]
        for slug, response in zip(CONTROLLERS, sent, strict=True):
            # 409: the incident changed between composing the notice and writing it (the
            # send says so and writes nothing); the send after it goes out.
            assert response.status_code in {200, 409}, (slug, response.text)
            if response.status_code == 409:
                assert "changed" in response.json()["errors"][0]["message"], response.text
                again = client.post(f"{base}/{slug}/send", headers=headers)
                assert again.status_code == 200 and again.json()["sent"], again.text
        for slug, notice in _notices(engine, incident_id).items():
            sends_of = _count(engine, NoticeSend, NoticeSend.notice_id == notice.id)
            mails = _count(
                engine, OutboxMessage, OutboxMessage.dedupe_key.startswith(f"notice:{notice.id}:")
            )  # type: ignore[union-attr]
            assert notice.sent_at is not None and sends_of == mails >= 1, slug
            assert notice.version == sends_of
        audited = _count(
            engine,
            AuditEvent,
            AuditEvent.incident_id == uuid.UUID(incident_id),
            AuditEvent.action == "notice.sent",
        )
        assert audited == _count(
            engine,
            NoticeSend,
            NoticeSend.notice_id.in_([n.id for n in _notices(engine, incident_id).values()]),
        )  # type: ignore[attr-defined]


def test_corrections_while_the_officers_decide(
    client: PageClient, make_client, api_headers, engine
) -> None:
    """Corrections of the discovery time and each controller's officer deciding, at once:
    no 500, every correction a version, every decision kept."""
    headers = api_headers(STAFF)
    officers = {slug: api_headers(email) for slug, email in OFFICERS.items()}
    for round_ in range(ROUNDS):
        incident_id = file_via_api(client, headers, controllers=CONTROLLERS)
        base = f"/api/v1/incidents/{incident_id}/notices"
        for slug in CONTROLLERS:
            assert client.post(f"{base}/{slug}/send", headers=headers).status_code == 200
        corrections = [
            _move_discovery(make_client(), headers, incident_id, n) for n in range(CORRECTIONS)
        ]
        body = {**DECISION, "authority_reason": f"Round {round_}"}
        decisions = [
            _post(
                make_client(),
                f"{base}/{slug}/decision",
                officers[slug],
                {**body, "nis2_significant": True} if slug == "zorggroep-noord" else body,
            )
            for slug in CONTROLLERS
        ]
        responses = _at_once(corrections + decisions)
        _check_corrections(engine, incident_id, responses[:CORRECTIONS])
        decided = responses[CORRECTIONS:]
        assert [r.status_code for r in decided] == [200] * len(CONTROLLERS), [
            r.text for r in decided
        ]
        for slug, notice in _notices(engine, incident_id).items():
            assert _count(engine, DecisionVersion, DecisionVersion.notice_id == notice.id) == 1
            assert notice.decision is not None
            assert notice.decision["authority_reason"] == f"Round {round_}", slug


def test_corrections_while_the_reminder_worker_writes(
    client: PageClient, make_client, api_headers, engine, settings
) -> None:
    """Corrections of the discovery time and two reminder cycles, at once, on an incident
    whose notices are overdue (never sent): no 500, no error in the worker, every
    correction a version, and each notice with a deadline (the controllers with contract
    hours) reminded of the overdue send once."""
    headers = api_headers(STAFF)
    for _round in range(ROUNDS):
        incident_id = file_via_api(client, headers, controllers=CONTROLLERS)
        corrections = [
            _move_discovery(make_client(), headers, incident_id, n) for n in range(CORRECTIONS)
        ]
        cycles = [lambda: run_once(engine, settings) for _ in range(2)]
        responses = _at_once(corrections + cycles)  # type: ignore[operator]
        _check_corrections(engine, incident_id, responses[:CORRECTIONS])
        run_once(engine, settings)  # what a cycle skipped because it changed meanwhile
        for slug in ("acme", "zorggroep-noord"):  # the controllers with contract hours
            key = f"reminder:{incident_id}:{slug}:processor_notice:overdue"
            assert _count(engine, OutboxMessage, OutboxMessage.dedupe_key == key) == 1, slug


@pytest.mark.parametrize("writer", ["send", "decision"])
def test_a_notice_written_while_a_correction_holds_the_incident(
    client: PageClient, make_client, api_headers, engine, writer: str
) -> None:
    """The order that deadlocked, made to happen: a correction holds the incident and
    waits for the other notices (held by a transaction outside the app), while acme's
    notice is sent or decided on (its notice row, then its outbox message and audit event,
    which refer to the incident). Then the other notices are let go. Both are saved."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's row locks; SQLite's writers take turns on one lock")
    headers = api_headers(STAFF)
    order = ["zorggroep-noord", "northwind", "acme"]  # acme's notice row is written last
    incident_id = file_via_api(client, headers, controllers=order)
    base = f"/api/v1/incidents/{incident_id}/notices/acme"
    if writer == "decision":
        for slug in order:
            assert (
                client.post(
                    f"/api/v1/incidents/{incident_id}/notices/{slug}/send", headers=headers
                ).status_code
                == 200
            )
        write = _post(make_client(), f"{base}/decision", api_headers(OFFICER_ACME), DECISION)
    else:
        write = _post(make_client(), f"{base}/send", headers)
    held = [n.id for slug, n in _notices(engine, incident_id).items() if slug != "acme"]
    correct = _move_discovery(make_client(), headers, incident_id, 0)
    results: dict[str, Response] = {}
    with engine.connect() as other:
        other.execute(text("SELECT id FROM notice WHERE id = ANY(:ids) FOR UPDATE"), {"ids": held})
        correction = threading.Thread(target=lambda: results.update(correction=correct()))
        correction.start()
        _until(lambda: _lock_waiters(engine) >= 1, "the correction waited for a notice")
        writing = threading.Thread(target=lambda: results.update(write=write()))
        writing.start()
        # The notice's write is through, or it waits (for the incident, or for acme's
        # notice when the correction locked that one first).
        _until(lambda: "write" in results or _lock_waiters(engine) >= 2, "the write went on")
        other.rollback()
        correction.join()
        writing.join()
    assert results["correction"].status_code == 200, results["correction"].text
    assert _versions(engine, incident_id) == (2, [1, 2])
    if writer == "decision":
        assert results["write"].status_code == 200, results["write"].text
        notice = _notices(engine, incident_id)["acme"]
        assert (
            notice.decision is not None
            and notice.decision["authority_reason"] == DECISION["authority_reason"]
        )
        return
    # The send prepared version 1 and waited for the incident while the correction made
    # version 2: it sends nothing stale (409, nothing written) and the next send is the
    # notice of version 2.
    assert results["write"].status_code == 409, results["write"].text
    notice = _notices(engine, incident_id)["acme"]
    assert notice.sent_at is None
    assert _count(engine, OutboxMessage, OutboxMessage.incident_id == notice.incident_id) == 0
    again = write()
    assert again.status_code == 200 and again.json()["sent"] is True, again.text
    assert _count(engine, OutboxMessage, OutboxMessage.dedupe_key == f"notice:{notice.id}:2") == 1


# --- a deadlock that does happen: 409, nothing saved, the input kept -------------------------


def _lock_waiters(engine) -> int:
    """How many other sessions of this database wait for a row or table lock."""
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()


def _until(condition: Callable[[], bool], what: str) -> None:
    """Wait for a state of the database or of a thread (never for a time): at most a minute."""
    for _ in range(1200):
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"never: {what}")


def _deadlocked(engine, incident_id: str, send: Callable[[], Response]) -> Response:
    """Send a correction while another transaction holds the incident's notice, and make
    that transaction ask for the incident row once the correction waits for the notice:
    each waits for the other, and PostgreSQL ends the correction's transaction (the other
    one waits longer before it looks for a deadlock)."""
    notice = notice_of(engine, incident_id, "acme")
    result: list[Response] = []
    with engine.connect() as other:
        other.execute(text("SET LOCAL deadlock_timeout = '60s'"))
        other.execute(text("SELECT id FROM notice WHERE id = :id FOR UPDATE"), {"id": notice.id})
        thread = threading.Thread(target=lambda: result.append(send()))
        thread.start()
        _until(lambda: _lock_waiters(engine) >= 1, "the correction waited for the notice")
        incident = uuid.UUID(incident_id)
        other.execute(text("SELECT id FROM incident WHERE id = :id FOR UPDATE"), {"id": incident})
        other.rollback()
        thread.join()
    return result[0]


def test_a_correction_that_loses_a_deadlock_is_told_409_and_keeps_its_input(
    client: PageClient, api_headers, engine
) -> None:
    """A deadlock the app cannot order away (here with a transaction outside it) ends the
    correction's transaction: the API answers 409 and the form comes back with what was
    typed (409), nothing is saved, and the same change sent again is saved."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's row locks; SQLite's writers take turns on one lock")
    headers = api_headers(STAFF)
    incident_id = file_via_api(client, headers)
    change = {"discovered_at": "2026-03-27T11:00:00+01:00", "note": "Found earlier"}
    url = f"/api/v1/incidents/{incident_id}"
    refused = _deadlocked(
        engine, incident_id, lambda: client.patch(url, json=change, headers=headers)
    )
    assert refused.status_code == 409, refused.text
    assert "Send the request again" in refused.json()["errors"][0]["message"]
    assert _versions(engine, incident_id) == (1, [1])
    again = client.patch(url, json=change, headers=headers)
    assert again.status_code == 200 and again.json()["version"] == 2

    client.login(STAFF)
    page = f"/incidents/{incident_id}/report/when"
    typed = STEP_FORMS["when"] | {
        "discovered_at-time": "08:15",
        "note": "Earlier still",
        "version": "2",
        "action": "continue",
    }
    refused = _deadlocked(engine, incident_id, lambda: client.submit(page, typed))
    assert refused.status_code == 409, refused.text[:500]
    soup = check_page(refused.text)
    assert "at the same moment" in soup.select_one(".error-summary").get_text(" ")
    assert soup.select_one("#discovered_at-time")["value"] == "08:15"
    assert soup.select_one("#note").get_text() == "Earlier still"
    assert _versions(engine, incident_id) == (2, [1, 2])
    saved = client.submit(page, typed)
    assert saved.status_code == 303, saved.text[:500]
    assert _versions(engine, incident_id) == (3, [1, 2, 3])


def test_a_locked_sqlite_database_is_a_lock_conflict(tmp_path) -> None:
    """SQLite's "database is locked" (a writer held the database past the wait) is a race
    lost, as PostgreSQL's deadlock is: the pages and the API answer it with 409."""
    engine = create_engine(f"sqlite:///{tmp_path / 'locked.db'}", connect_args={"timeout": 0})
    try:
        with engine.connect() as first, engine.connect() as second:
            first.exec_driver_sql("BEGIN IMMEDIATE")
            with pytest.raises(OperationalError) as raised:
                second.exec_driver_sql("BEGIN IMMEDIATE")
            first.exec_driver_sql("ROLLBACK")
        assert "database is locked" in str(raised.value)
        assert lock_conflict(raised.value)
        with engine.connect() as connection, pytest.raises(OperationalError) as fault:
            connection.exec_driver_sql("SELECT * FROM no_such_table")
        assert not lock_conflict(fault.value)
    finally:
        engine.dispose()
