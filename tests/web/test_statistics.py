"""Issue 18, insight: the statistics page, its CSV and the API give figures that match the
incidents made here; an officer's are its controller's only; a bad period is refused."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import OFFICER_ACME, OFFICER_NORTHWIND, STAFF, PageClient
from tests.web.notice_helpers import file_via_api, send_all

pytestmark = pytest.mark.usefixtures("demo")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


@pytest.fixture
def three(client: PageClient, api_headers) -> dict[str, str]:
    """A: Acme's, discovered 10 hours ago, sent (within its 24 hours); B: Acme's and
    Northwind's, 30 hours ago, sent (late for Acme; Northwind has no contract hours); C:
    Northwind's, in March, not sent."""
    staff = api_headers(STAFF)
    now = datetime.now(UTC).replace(microsecond=0)
    a = file_via_api(client, staff, controllers=["acme"], discovered_at=_iso(now - timedelta(hours=10)),
                     occurred_kind="on", occurred_on=(now - timedelta(days=1)).date().isoformat(),
                     occurred_from=None, occurred_until=None)  # fmt: skip
    b = file_via_api(
        client, staff, controllers=["acme", "northwind"], cause="misdirected_mail_or_email",
        data_types=["email"], special_categories=None, discovered_at=_iso(now - timedelta(hours=30)),
        occurred_kind="on", occurred_on=(now - timedelta(days=2)).date().isoformat(),
        occurred_from=None, occurred_until=None,
    )  # fmt: skip
    c = file_via_api(client, staff, controllers=["northwind"], cause="other", cause_other="Fire")
    send_all(client, a)
    send_all(client, b)
    return {"a": a, "b": b, "c": c}


def test_the_figures_match_the_incidents(client: PageClient, api_headers, three) -> None:
    body = client.get("/api/v1/statistics", headers=api_headers(STAFF)).json()
    assert body["incidents"] == 3
    assert body["by_cause"]["hacking_malware_phishing"] == 1
    assert body["by_cause"]["misdirected_mail_or_email"] == 1 and body["by_cause"]["other"] == 1
    assert body["by_data_type"]["email"] == 3 and body["by_data_type"]["bsn"] == 2
    assert sum(body["per_month"].values()) == 3 and body["per_month"]["2026-03"] == 1
    assert body["notices_sent"] == 3, "A to Acme, B to Acme and Northwind"
    hours = body["hours_to_notice"]
    assert 9.9 < hours["median"] < 30.5 and 29.9 < hours["p90"] < 30.5
    assert hours["median"] > 29.9, "10, 30 and 30 hours: the median is 30"
    assert body["on_time"] == {"with_contract_hours": 2, "on_time": 1, "share": 0.5}
    assert body["notify"] == {"yes": 0, "no": 0, "undecided": 3}
    assert sum(body["open_by_age"].values()) >= 1
    # Open now: our notices, met only once delivered (no worker ran): A's to Acme (10
    # hours), B's to Acme and Northwind (30 hours), C's to Northwind (since March).
    assert body["open_by_age"] == {"day": 1, "three_days": 2, "week": 0, "older": 1}

    period = client.get(
        "/api/v1/statistics?since=2026-03-01&until=2026-03-31", headers=api_headers(STAFF)
    ).json()
    assert period["incidents"] == 1 and period["by_cause"]["other"] == 1
    northwind = client.get(
        "/api/v1/statistics?controller=northwind", headers=api_headers(STAFF)
    ).json()
    assert northwind["incidents"] == 2 and northwind["notices_sent"] == 1


def test_an_officer_sees_only_its_controllers_figures(
    client: PageClient, api_headers, three
) -> None:
    acme = client.get("/api/v1/statistics", headers=api_headers(OFFICER_ACME)).json()
    assert acme["incidents"] == 2 and acme["notices_sent"] == 2
    northwind = client.get("/api/v1/statistics", headers=api_headers(OFFICER_NORTHWIND)).json()
    assert northwind["incidents"] == 1, "C was never sent: Northwind does not see it"
    other = client.get(
        "/api/v1/statistics?controller=acme", headers=api_headers(OFFICER_NORTHWIND)
    ).json()
    assert other["incidents"] == 0, "another controller's figures: none, as for none"


def test_the_page_its_charts_and_its_csv(client: PageClient, three) -> None:
    client.login(STAFF)
    page = client.page("/statistics/")
    assert page.select_one("#figure-incidents").get_text() == "3"
    assert "1 of 2 (50%)" in page.select_one("#figure-on-time").get_text()
    charts = page.select("figure.chart")
    assert len(charts) == 6 and all(c.select_one("svg") for c in charts[:3])
    causes = {
        row.select_one("th").get_text(): row.select_one("td").get_text()
        for row in page.select_one("#chart-by_cause-title").find_parent("figure").select("tbody tr")
    }
    assert causes["Hacking, malware or phishing"] == "1" and causes["Other"] == "1"
    export = client.get("/statistics/statistics.csv?controller=acme")
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0] == ["figure", "key", "value"] and ["incidents", "", "2"] in rows
    assert ["by_cause", "misdirected_mail_or_email", "1"] in rows


@pytest.mark.parametrize(
    "query", ["since=2026-02-31", "until=9999-99-99", "since=2026-05-01&until=2026-04-01"]
)
def test_a_bad_period_is_refused_at_its_field(client: PageClient, api_headers, query) -> None:
    assert client.get(f"/api/v1/statistics?{query}", headers=api_headers(STAFF)).status_code == 400
    client.login(STAFF)
    page = client.get(f"/statistics/?{query}")
    assert page.status_code == 400 and "error-message" in page.text
