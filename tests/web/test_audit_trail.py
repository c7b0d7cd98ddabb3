"""Issue 18, the audit trail view: every act, filtered by incident, person and action, a
page at a time and as CSV; staff only; a damaged page link is a 400, not a 500."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import Session, func, select

from incidents.models import AuditEvent
from tests.helpers import OFFICER_ACME, STAFF, PageClient
from tests.web.notice_helpers import file_via_api, send_all

pytestmark = pytest.mark.usefixtures("demo")


def test_the_trail_lists_filters_and_exports_every_act(
    client: PageClient, api_headers, engine
) -> None:
    staff = api_headers(STAFF)
    case = file_via_api(client, staff, controllers=["acme"])
    reference = client.get(f"/api/v1/incidents/{case}", headers=staff).json()["reference"]
    send_all(client, case)
    client.login(STAFF)
    page = client.page("/audit/")
    rows = page.select("tbody tr")
    assert rows and "Sander Bakker" in page.text
    actions = [o["value"] for o in page.select("#action option") if o["value"]]
    assert "incident.submitted" in actions and actions == sorted(actions)

    mine = client.page(f"/audit/?incident={reference}")
    assert mine.select("tbody tr") and all(
        reference in row.get_text() for row in mine.select("tbody tr")
    ), "only this incident's acts"
    sent = client.page(f"/audit/?incident={reference}&action=notice.sent")
    assert len(sent.select("tbody tr")) == 1 and "Acme Retail B.V." in sent.text
    nobody = client.page("/audit/?person=nobody-like-this")
    assert "No acts found." in nobody.text

    export = client.get(f"/audit/trail.csv?incident={reference}")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(export.text)))
    assert {line["incident"] for line in lines} == {reference}
    assert {"incident.submitted", "notice.sent"} <= {line["action"] for line in lines}
    assert all(line["at_utc"].endswith("Z") for line in lines)


def test_the_trail_pages_through_many_acts(client: PageClient, engine) -> None:
    with Session(engine) as session:
        for number in range(230):
            session.add(AuditEvent(action="test.bulk", actor_id=None, details={"n": number}))
        session.commit()
    client.login(STAFF)
    seen: list[str] = []
    url = "/audit/?action=test.bulk"
    while url:
        page = client.page(url)
        seen += [row.select("td")[-1].get_text() for row in page.select("tbody tr")]
        older = page.select_one("a[rel=next]")
        url = str(older["href"]) if older else ""
    assert len(seen) == 230 and len(set(seen)) == 230, "each act once, across three pages"
    assert seen[0] == "n: 229" and seen[-1] == "n: 0"
    export = client.get("/audit/trail.csv")
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(AuditEvent)).one()
    assert len(list(csv.DictReader(io.StringIO(export.text)))) == total


@pytest.mark.parametrize("cursor", ["abc", "-1", "0", "99999999999999999999", "1%00"])
def test_a_damaged_page_link_is_refused(client: PageClient, cursor: str) -> None:
    client.login(STAFF)
    response = client.get(f"/audit/?before={cursor}")
    assert response.status_code == 400


def test_officers_do_not_see_the_trail(client: PageClient) -> None:
    client.login(OFFICER_ACME)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/trail.csv").status_code == 403
