"""The incidents JSON API: filing, listing, reading, correcting; errors list every problem."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, func, select

from incidents.accounts import create_token
from incidents.models import AuditEvent, Incident, IncidentVersion, Notice, User
from tests.factories import complete_answers
from tests.helpers import OFFICER_ACME, OFFICER_NORTHWIND, STAFF, PageClient

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def tokens(engine) -> dict[str, dict[str, str]]:
    headers = {}
    with Session(engine) as session:
        for email in (STAFF, OFFICER_ACME, OFFICER_NORTHWIND):
            user = session.exec(select(User).where(User.email == email)).one()
            headers[email] = {
                "Authorization": f"Bearer {create_token(session, user, 'test', actor_id=None)}"
            }
        session.commit()
    return headers


def _count(engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_post_a_complete_incident(client: PageClient, tokens, engine) -> None:
    response = client.post(
        "/api/v1/incidents",
        json=complete_answers(controllers=["acme", "northwind"]),
        headers=tokens[STAFF],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert re.fullmatch(r"INC-\d{4}-\d{4}", body["reference"])
    assert body["status"] == "submitted" and body["version"] == 1
    assert body["answers"]["discovered_at"] == "2026-03-27T09:00:00Z"
    assert body["answers"]["countries"] == ["BE", "DE"]
    obligations = {(o["controller"], o["key"]): o for o in body["obligations"]}
    assert obligations["acme", "processor_notice"] == {
        "key": "processor_notice",
        "controller": "acme",
        "starts_at": "2026-03-27T09:00:00Z",
        "due_at": "2026-03-28T09:00:00Z",
        "status": "overdue",
        "met_at": None,
        "regime": "gdpr",
        "authority": "controller",
    }
    northwind = obligations["northwind", "processor_notice"]
    assert northwind["due_at"] is None and northwind["status"] == "open"
    # The controller's clocks start when the notice is delivered; NIS2 only for NIS2 entities.
    assert obligations["acme", "gdpr_authority"]["status"] == "pending"
    assert obligations["acme", "gdpr_authority"]["starts_at"] is None
    assert ("acme", "nis2_early_warning") not in obligations, "not a NIS2 entity"
    assert obligations["acme", "gdpr_authority"]["authority"] == "nl_ap"
    assert obligations["acme", "gdpr_authority"]["regime"] == "gdpr"
    assert len(body["obligations"]) == 6
    assert {n["controller"] for n in body["notices"]} == {"acme", "northwind"}
    assert all(n["sent_at"] is None and n["decision"] is None for n in body["notices"])
    got = client.get(f"/api/v1/incidents/{body['id']}", headers=tokens[STAFF]).json()
    assert got == body


def test_a_broken_report_is_refused_with_every_problem_and_leaves_nothing(
    client: PageClient, tokens, engine
) -> None:
    broken = complete_answers(
        affected_min=10,
        affected_max=5,
        cause="aliens",
        nature=["unknown", "read"],
        countries=["US"],
        discovered_at="2026-03-27T10:00:00",
        contact_email="nope",
        summary=None,
        shoe_size=3,
        controllers=["acme", "ghost"],
    )
    before = _count(engine, AuditEvent)
    response = client.post("/api/v1/incidents", json=broken, headers=tokens[STAFF])
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {
        "affected_max",
        "cause",
        "nature",
        "countries",
        "discovered_at",
        "contact_email",
        "summary",
        "shoe_size",
        "controllers",
        "availability_loss",
    }
    assert all(e["message"] for e in response.json()["errors"])
    assert _count(engine, Incident) == 0 and _count(engine, Notice) == 0
    assert _count(engine, AuditEvent) == before


def test_errors_in_dutch_when_asked(client: PageClient, tokens) -> None:
    response = client.post(
        "/api/v1/incidents",
        json=complete_answers(summary=None),
        headers={**tokens[STAFF], "Accept-Language": "nl"},
    )
    assert response.json()["errors"] == [
        {"field": "summary", "message": "Vul „Samenvatting van het incident” in"}
    ]


@pytest.mark.parametrize("body", [[1, 2], "text", 42])
def test_a_body_that_is_not_an_object_is_400(client: PageClient, tokens, body, engine) -> None:
    response = client.post("/api/v1/incidents", json=body, headers=tokens[STAFF])
    assert response.status_code == 400 and response.json()["errors"]
    assert _count(engine, Incident) == 0


def test_malformed_json_is_400(client: PageClient, tokens) -> None:
    response = client.post(
        "/api/v1/incidents",
        content=b"{not json",
        headers={**tokens[STAFF], "content-type": "application/json"},
    )
    assert response.status_code == 400 and response.json()["errors"]


def test_draft_then_patch_then_submit(client: PageClient, tokens) -> None:
    response = client.post(
        "/api/v1/incidents",
        json={"draft": True, "summary": "Started", "controllers": ["acme"]},
        headers=tokens[STAFF],
    )
    assert response.status_code == 201
    draft = response.json()
    assert draft["status"] == "draft" and draft["reference"] is None and draft["version"] == 0
    incident_id = draft["id"]
    # Type errors count in a draft too.
    bad = client.patch(
        f"/api/v1/incidents/{incident_id}", json={"affected_min": "many"}, headers=tokens[STAFF]
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "affected_min"
    # Submitting checks everything.
    incomplete = client.patch(
        f"/api/v1/incidents/{incident_id}", json={"submit": True}, headers=tokens[STAFF]
    )
    assert incomplete.status_code == 422 and len(incomplete.json()["errors"]) > 10
    full = complete_answers()
    done = client.patch(
        f"/api/v1/incidents/{incident_id}", json={**full, "submit": True}, headers=tokens[STAFF]
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "submitted" and done.json()["reference"]


def test_patch_a_submitted_incident_makes_a_version(client: PageClient, tokens, engine) -> None:
    incident_id = client.post(
        "/api/v1/incidents", json=complete_answers(), headers=tokens[STAFF]
    ).json()["id"]
    response = client.patch(
        f"/api/v1/incidents/{incident_id}",
        json={"affected_max": 600, "records_approx": None, "note": "More files found"},
        headers=tokens[STAFF],
    )
    assert response.status_code == 200
    body = response.json()
    assert (
        body["version"] == 2
        and body["answers"]["affected_max"] == 600
        and "records_approx" not in body["answers"]
    )
    with Session(engine) as session:
        versions = session.exec(select(IncidentVersion).order_by(IncidentVersion.version)).all()
    assert [(v.version, v.note) for v in versions] == [(1, ""), (2, "More files found")]
    assert versions[0].answers["affected_max"] == 450
    # Removing a required answer of a submitted incident is refused.
    refused = client.patch(
        f"/api/v1/incidents/{incident_id}", json={"summary": None}, headers=tokens[STAFF]
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "summary"


def test_list_filters_and_pages(client: PageClient, tokens) -> None:
    ids = []
    for number in range(5):
        answers = complete_answers(
            summary=f"Incident number {number} " + ("ransomware" if number % 2 else "lost laptop"),
            controllers=["acme"] if number < 3 else ["northwind"],
        )
        ids.append(
            client.post("/api/v1/incidents", json=answers, headers=tokens[STAFF]).json()["id"]
        )
    client.post(
        "/api/v1/incidents", json={"draft": True, "summary": "draft one"}, headers=tokens[STAFF]
    )
    listing = client.get("/api/v1/incidents", headers=tokens[STAFF]).json()
    assert len(listing["items"]) == 6 and listing["next_cursor"] is None
    assert [i["id"] for i in listing["items"][1:]] == list(reversed(ids))

    def ids_for(query: str) -> list[str]:
        body = client.get(f"/api/v1/incidents?{query}", headers=tokens[STAFF]).json()
        return [i["id"] for i in body["items"]]

    assert len(ids_for("status=draft")) == 1
    assert set(ids_for("controller=northwind")) == set(ids[3:])
    assert set(ids_for("q=RANSOMWARE")) == {ids[1], ids[3]}
    reference = client.get(f"/api/v1/incidents/{ids[2]}", headers=tokens[STAFF]).json()["reference"]
    assert ids_for(f"q={reference}") == [ids[2]]
    assert len(ids_for("since=2026-03-27&until=2026-03-27")) == 5
    assert ids_for("since=2026-03-28") == []
    assert ids_for("controller=ghost") == []
    # Pages of two, following next_cursor, give every incident once.
    seen, cursor = [], None
    while True:
        body = client.get(
            "/api/v1/incidents?limit=2" + (f"&cursor={cursor}" if cursor else ""),
            headers=tokens[STAFF],
        ).json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 6 and len(set(seen)) == 6


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=open", "status"),
        ("since=yesterday", "since"),
        ("until=2026-03-27T10:00", "until"),
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("cursor=@@@", "cursor"),
        ("sort=random", "sort"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(client: PageClient, tokens, query, field) -> None:
    response = client.get(f"/api/v1/incidents?{query}", headers=tokens[STAFF])
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == field


def test_officer_sees_only_their_controllers_incidents_and_notice(
    client: PageClient, tokens, engine
) -> None:
    both = client.post(
        "/api/v1/incidents",
        json=complete_answers(controllers=["acme", "northwind"]),
        headers=tokens[STAFF],
    ).json()
    other = client.post(
        "/api/v1/incidents", json=complete_answers(controllers=["northwind"]), headers=tokens[STAFF]
    ).json()
    draft = client.post(
        "/api/v1/incidents", json={"draft": True, "controllers": ["acme"]}, headers=tokens[STAFF]
    ).json()
    for incident, slugs in ((both, ["acme", "northwind"]), (other, ["northwind"])):
        for slug in slugs:
            sent = client.post(
                f"/api/v1/incidents/{incident['id']}/notices/{slug}/send", headers=tokens[STAFF]
            )
            assert sent.status_code == 200, sent.text
    officer = tokens[OFFICER_ACME]
    listing = client.get("/api/v1/incidents", headers=officer).json()
    assert [i["id"] for i in listing["items"]] == [both["id"]]
    item = listing["items"][0]
    assert item["answers"]["controllers"] == ["acme"]
    assert [n["controller"] for n in item["notices"]] == ["acme"]
    assert {o["controller"] for o in item["obligations"]} == {"acme"}
    assert (
        client.get("/api/v1/incidents?controller=northwind", headers=officer).json()["items"] == []
    )
    for hidden in (other["id"], draft["id"], "00000000-0000-0000-0000-000000000000"):
        response = client.get(f"/api/v1/incidents/{hidden}", headers=officer)
        assert response.status_code == 404
        assert (
            client.patch(
                f"/api/v1/incidents/{hidden}", json={"summary": "x"}, headers=officer
            ).status_code
            == 404
        )
    # Their own incident: readable, but not theirs to change.
    assert client.get(f"/api/v1/incidents/{both['id']}", headers=officer).status_code == 200
    assert (
        client.patch(
            f"/api/v1/incidents/{both['id']}", json={"summary": "x"}, headers=officer
        ).status_code
        == 403
    )
    assert (
        client.post("/api/v1/incidents", json=complete_answers(), headers=officer).status_code
        == 403
    )
    with Session(engine) as session:
        viewed = session.exec(
            select(AuditEvent).where(AuditEvent.action == "incident.viewed")
        ).all()
    assert len(viewed) == 1


def test_openapi_describes_the_incident_api(client: PageClient) -> None:
    schema = client.get("/schema/openapi.json").json()
    post_op = schema["paths"]["/api/v1/incidents"]["post"]
    body = post_op["requestBody"]["content"]["application/json"]["schema"]
    assert body["additionalProperties"] is False
    assert body["properties"]["cause"]["enum"][:2] == [
        "hacking_malware_phishing",
        "lost_stolen_device_or_paper",
    ]
    assert "draft" in body["properties"]
    assert {"201", "422", "401"} <= set(post_op["responses"])
    assert "patch" in schema["paths"]["/api/v1/incidents/{incident_id}"]
    assert "IncidentOut" in str(post_op["responses"]["201"])


def test_a_note_longer_than_documented_is_refused(client: PageClient, tokens) -> None:
    incident_id = client.post(
        "/api/v1/incidents", json=complete_answers(), headers=tokens[STAFF]
    ).json()["id"]
    response = client.patch(
        f"/api/v1/incidents/{incident_id}",
        json={"affected_max": 500, "note": "x" * 2001},
        headers=tokens[STAFF],
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "note"
