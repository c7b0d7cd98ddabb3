"""A privacy officer never sees another controller's incident: every page, filter and
export answers as if it did not exist."""

from __future__ import annotations

import csv
import io

import pytest

from tests.helpers import OFFICER_ACME, STAFF, PageClient
from tests.web.journey import file_incident, start_report

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def incidents(client: PageClient, make_client) -> dict[str, str]:
    client.login(STAFF)
    ids = {
        "both": file_incident(client),  # acme and northwind (the journey's default)
        "northwind": file_incident(client, {"controllers": {"controllers": ["northwind"]}}),
        "draft_acme": start_report(client),
    }
    client.submit(
        f"/incidents/{ids['draft_acme']}/report/controllers",
        {"controllers": "acme", "action": "save"},
    )
    for key in ("both", "northwind"):  # officers see an incident once its notice is sent
        sent = client.submit(f"/incidents/{ids[key]}/notices/send", {"confirm_send": "yes"})
        assert sent.status_code == 303
    client.submit("/logout")
    return ids


def test_register_lists_only_own_submitted_incidents(client: PageClient, incidents) -> None:
    client.login(OFFICER_ACME)
    soup = client.page("/incidents")
    links = [a["href"] for a in soup.select("tbody a")]
    assert links == [f"/incidents/{incidents['both']}"]
    row = soup.select_one("tbody tr").get_text(" ")
    assert "Acme Retail B.V." in row and "Northwind" not in row
    assert not soup.select("#controller"), "an officer gets no controller filter"
    assert client.page("/incidents?controller=northwind").select("tbody a") == []
    assert client.page("/incidents?status=draft").select("tbody a") == []


@pytest.mark.parametrize(
    "path",
    [
        "/incidents/{id}",
        "/incidents/{id}/versions/1",
        "/incidents/{id}/changes?from=1&to=1",
        "/incidents/{id}/report.pdf",
        "/incidents/{id}/report.pdf?controller=northwind",
    ],
)
def test_other_controllers_incident_pages_are_404(client: PageClient, incidents, path: str) -> None:
    client.login(OFFICER_ACME)
    for key in ("northwind", "draft_acme"):
        response = client.get(path.format(id=incidents[key]), follow_redirects=False)
        assert response.status_code == 404, (key, path)
    assert client.get(path.format(id=incidents["both"]), follow_redirects=False).status_code == 200


def test_incident_page_shows_only_the_officers_notice(client: PageClient, incidents) -> None:
    client.login(OFFICER_ACME)
    soup = client.page(f"/incidents/{incidents['both']}")
    text = soup.get_text(" ")
    notices = soup.select_one("table").get_text(" ")
    controllers = soup.select_one("#section-controllers").find_parent("section").get_text(" ")
    assert "Acme Retail B.V." in notices and "Northwind" not in notices
    assert "Acme Retail B.V." in controllers and "Northwind" not in controllers
    assert not soup.select(".trail"), "the audit trail is for staff"
    assert "Correct or supplement" not in text


def test_exports_carry_only_own_incidents_and_no_contacts(client: PageClient, incidents) -> None:
    client.login(OFFICER_ACME)
    rows = list(csv.DictReader(io.StringIO(client.get("/incidents/export.csv").text)))
    assert [r["id"] for r in rows] == [incidents["both"]]
    assert rows[0]["controllers"] == "acme" and "contact_email" not in rows[0]
    data = client.get("/incidents/export.json?contacts=1").json()["incidents"]
    assert [r["id"] for r in data] == [incidents["both"]]
    assert data[0]["contact_email"] == "security@talentcloud.example"
    assert client.get("/incidents/export.json?controller=northwind").json()["incidents"] == []


def test_staff_export_has_everything_and_contacts_only_on_request(
    client: PageClient, incidents
) -> None:
    client.login(STAFF)
    rows = list(csv.DictReader(io.StringIO(client.get("/incidents/export.csv").text)))
    assert {r["id"] for r in rows} == set(incidents.values())
    assert (
        "contact_name" not in rows[0]
        and "Sander Bakker" not in client.get("/incidents/export.csv").text
    )
    with_contacts = client.get("/incidents/export.csv?contacts=1").text
    assert "security@talentcloud.example" in with_contacts
    only_northwind = client.get("/incidents/export.json?controller=northwind").json()["incidents"]
    assert {r["id"] for r in only_northwind} == {incidents["both"], incidents["northwind"]}


def test_export_cells_never_become_formulas(client: PageClient) -> None:
    client.login(STAFF)
    incident_id = file_incident(
        client, {"incident": {"summary": '=HYPERLINK("http://evil.example")'}}
    )
    rows = list(csv.DictReader(io.StringIO(client.get("/incidents/export.csv").text)))
    summary = next(r["summary"] for r in rows if r["id"] == incident_id)
    assert summary.startswith("'=")
