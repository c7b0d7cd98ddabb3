"""Issue 15: the first step picks the affected controllers by group, "all controllers", or
one by one from a list; the incident keeps the controllers they resolved to and the groups
they came from."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from incidents.models import Incident, Notice
from tests.helpers import ADMIN, STAFF, PageClient
from tests.web.journey import STEP_FORMS, fill_all, start_report

pytestmark = pytest.mark.usefixtures("demo")

HEADER = "slug,name,groups\n"
CLIENTS = HEADER + "".join(
    f"client-{n:03d},Client {n:03d},{'HR' if n % 2 else 'CRM'};Cluster {n % 3}\n" for n in range(60)
)


@pytest.fixture
def sixty(demo, client: PageClient, api_headers) -> None:
    """Sixty more controllers in the groups HR or CRM and Cluster 0-2."""
    headers = {**api_headers(ADMIN), "content-type": "text/csv"}
    response = client.post("/api/v1/controllers/import", content=CLIENTS, headers=headers)
    assert response.status_code == 200 and response.json()["created"] == 60


def _incident(engine) -> Incident:
    with Session(engine) as session:
        return session.exec(select(Incident)).one()


@pytest.mark.usefixtures("sixty")
def test_the_first_step_offers_groups_with_their_sizes_and_a_list_to_search(
    client: PageClient,
) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    soup = client.page(f"/incidents/{incident_id}/report/controllers")
    groups = [label.get_text(" ", strip=True) for label in soup.select(".controller-groups label")]
    assert groups == [
        "All controllers (63)",
        "Cluster 0 (20)",
        "Cluster 1 (20)",
        "Cluster 2 (20)",
        "CRM (30)",
        "HR (30)",
    ]
    assert soup.select_one("[data-search-list=controller-list] input[type=search]")
    assert len(soup.select("#controller-list input[name=controllers]")) == 63


@pytest.mark.usefixtures("sixty")
def test_a_group_and_single_controllers_resolve_to_one_list_and_the_groups_are_kept(
    client: PageClient, engine
) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    form = {
        "controller_group": ["HR", "Cluster 0"],
        "controllers": ["northwind"],
        "action": "continue",
    }
    response = client.submit(f"/incidents/{incident_id}/report/controllers", form)
    assert response.status_code == 303
    incident = _incident(engine)
    hr_or_cluster0 = sorted(f"client-{n:03d}" for n in range(60) if n % 2 or n % 3 == 0)
    assert incident.answers["controllers"][0] == "northwind", "those ticked first"
    assert sorted(incident.answers["controllers"][1:]) == hr_or_cluster0
    assert incident.controller_groups == ["Cluster 0", "HR"]
    soup = client.page(f"/incidents/{incident_id}/report/controllers")
    ticked = [i["value"] for i in soup.select(".controller-groups input[checked]")]
    assert ticked == ["Cluster 0", "HR"]
    # The groups are kept as they were chosen; filing sends a notice to each controller.
    fill_all(client, incident_id, {"controllers": {"controllers": [], "controller_group": ["HR"]}})
    assert client.submit(f"/incidents/{incident_id}/submit").status_code == 303
    with Session(engine) as session:
        notices = session.exec(select(Notice).where(Notice.removed_at.is_(None))).all()  # type: ignore[union-attr]
    assert len(notices) == 30
    assert _incident(engine).controller_groups == ["HR"]


@pytest.mark.usefixtures("sixty")
def test_all_controllers_is_every_controller(client: PageClient, engine) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    form = {"controller_group": "*", "action": "continue"}
    assert client.submit(f"/incidents/{incident_id}/report/controllers", form).status_code == 303
    incident = _incident(engine)
    assert len(incident.answers["controllers"]) == 63 and incident.controller_groups == ["*"]


def test_an_unknown_group_is_refused_at_the_question(client: PageClient, engine) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    form = {"controller_group": "No such group", "controllers": "acme", "action": "continue"}
    soup = client.submit_page(f"/incidents/{incident_id}/report/controllers", form)
    summary = soup.select_one(".error-summary a[href='#controllers']").get_text()
    assert "There is no group of controllers “No such group”" in summary
    assert _incident(engine).answers == {}
    assert _incident(engine).controller_groups == []
    assert STEP_FORMS["controllers"]  # the ordinary journey still picks one by one


@pytest.mark.usefixtures("sixty")
def test_the_api_files_an_incident_by_group(client: PageClient, api_headers) -> None:
    """``controller_groups`` when filing through the API: the members are added to the
    controllers named one by one, each once; the incident says which groups it was filed
    with; an unknown group or a group that is not a name is a 422 at that field, with the
    answers' own problems listed too, and nothing is filed."""
    from tests.factories import complete_answers

    staff = api_headers(STAFF)
    body = {**complete_answers(controllers=["acme", "client-001"]), "controller_groups": ["HR"]}
    response = client.post("/api/v1/incidents", json=body, headers=staff)
    assert response.status_code == 201, response.text
    filed = response.json()
    controllers = filed["answers"]["controllers"]
    assert controllers[:2] == ["acme", "client-001"] and len(controllers) == 31
    assert filed["controller_groups"] == ["HR"] and filed["notices_total"] == 31
    everyone = {**complete_answers(controllers=[]), "controller_groups": ["*"], "draft": True}
    draft = client.post("/api/v1/incidents", json=everyone, headers=staff).json()
    assert len(draft["answers"]["controllers"]) == 63 and draft["controller_groups"] == ["*"]
    for groups in (["Nobody"], "HR", [1], [["HR"]]):
        bad = {**complete_answers(), "controller_groups": groups, "summary": ""}
        refused = client.post("/api/v1/incidents", json=bad, headers=staff)
        assert refused.status_code == 422, groups
        assert {e["field"] for e in refused.json()["errors"]} >= {"controller_groups", "summary"}
    listed = client.get("/api/v1/incidents?limit=200", headers=staff).json()["items"]
    assert sorted(i["controller_groups"] for i in listed) == [["*"], ["HR"]]
