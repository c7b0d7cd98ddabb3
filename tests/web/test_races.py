"""Changes of one incident at the same moment, through HTTP, from several threads: the
API's PATCH with and without the version it is based on, two people saving the
correction form, several steps of one draft saved at once. No 500, the versions run on
without a gap or a double, nothing is lost, and the one who lost a race is told (409)
with what they typed kept (the form) or the current version named (the API).

The threads start together at a barrier; each has its own client, as separate browsers
and API clients would. Nothing about timing is asserted: only what was written."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup
from httpx import Response
from sqlmodel import Session, select

from incidents.models import Incident, IncidentVersion
from tests.helpers import STAFF, PageClient, check_page
from tests.web.journey import STEP_FORMS
from tests.web.notice_helpers import file_via_api

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
        f"/api/v1/incidents/{incident_id}", json={"affected_max": 3000},
        headers={**headers, "If-Match": 'W/"2"'},
    )  # fmt: skip
    assert again.status_code == 200 and again.json()["version"] == 3


def test_a_bad_if_match_is_400_and_the_version_is_in_the_schema(
    client: PageClient, api_headers
) -> None:
    headers = api_headers(STAFF)
    incident_id = file_via_api(client, headers)
    for value in ("three", '"1', "1.5", "-1", "99999999999"):
        response = client.patch(
            f"/api/v1/incidents/{incident_id}", json={"affected_max": 500},
            headers={**headers, "If-Match": value},
        )  # fmt: skip
        assert response.status_code == 400, (value, response.text)
        assert response.json()["errors"][0]["field"] == "If-Match"
    for value in ("1", True, -1, 1.0, None):  # a version is a whole number, 0 or more
        response = client.patch(
            f"/api/v1/incidents/{incident_id}", json={"affected_max": 500, "version": value},
            headers=headers,
        )  # fmt: skip
        assert response.status_code == 422, (value, response.text)
        assert response.json()["errors"][0]["field"] == "version"
    # "*" says "whatever version": the change goes through.
    star = client.patch(
        f"/api/v1/incidents/{incident_id}", json={"affected_max": 501},
        headers={**headers, "If-Match": "*"},
    )  # fmt: skip
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
    again = {i["name"]: i.get("value", "") for i in form.select("input") if i.get("type") != "checkbox" and i.get("type") != "radio"}  # fmt: skip
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
    steps = ["incident", "persons", "nature", "data", "protection", "consequences", "measures",
             "contact"]  # fmt: skip
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
    kept = {"incident": "summary", "persons": "affected_group", "nature": "nature",
            "data": "data_types", "protection": "encrypted", "consequences": "consequences",
            "measures": "measures", "contact": "contact_name"}  # fmt: skip
    assert [s for s in steps if kept[s] not in answers] == []
