"""Issue 15: pages for a processor with many client controllers. The incident page counts
the notices by state and shows them a page at a time, those with a duty overdue first,
found by name; the register names two controllers and how many more; "send to all" names
a few and counts the rest."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, col, func, select

from incidents.models import ObligationRecord
from tests.helpers import ADMIN, OFFICER_ACME, STAFF, PageClient, check_page
from tests.web.notice_helpers import file_via_api, pdf_text

pytestmark = pytest.mark.usefixtures("demo")

COUNT = 120
CSV = "slug,name,emails,contract_hours\n" + "".join(
    f"many-{n:03d},Many Client {n:03d},privacy@many-{n:03d}.example,{'' if n % 2 else 24}\n"
    for n in range(COUNT)
)


@pytest.fixture
def wide(demo, client: PageClient, api_headers) -> str:
    headers = {**api_headers(ADMIN), "content-type": "text/csv"}
    assert (
        client.post("/api/v1/controllers/import", content=CSV, headers=headers).status_code == 200
    )
    slugs = [f"many-{n:03d}" for n in range(COUNT)]
    return file_via_api(client, api_headers(STAFF), controllers=slugs)


def test_the_incident_page_counts_pages_and_finds_the_notices(
    client: PageClient, wide: str
) -> None:
    client.login(STAFF)
    page = client.page(f"/incidents/{wide}")
    counts = [li.get_text(" ", strip=True) for li in page.select(".notice-counts li")]
    assert counts[:3] == ["120 controllers", "60 with a duty overdue", "120 to send"]
    rows = page.select("#notices tbody tr")
    assert len(rows) == 50
    # Those with contract hours are overdue (discovered in March): they come first.
    assert all("overdue" in row.get_text() for row in rows)
    assert page.select_one(".pager a[rel=next]")["href"].endswith("page=2#notices")
    last = client.page(f"/incidents/{wide}?page=3")
    assert len(last.select("#notices tbody tr")) == 20
    assert client.page(f"/incidents/{wide}?page=99").select_one(".pager span").text == "Page 3 of 3"
    found = client.page(f"/incidents/{wide}?q=client+007")
    names = [
        row.select_one("td").get_text(" ", strip=True) for row in found.select("#notices tbody tr")
    ]
    assert len(names) == 1 and names[0].startswith("Many Client 007")
    label = page.select_one("label[for='confirm_send']").get_text(" ", strip=True)
    assert label.endswith("+ 117 more") and len(label) < 200
    for bad in ("page=-1", "page=9" * 20, "q=" + "x" * 500, "page=%00"):
        response = client.get(f"/incidents/{wide}?{bad}")
        assert response.status_code in {200, 400}, bad


def test_the_register_names_two_controllers_and_counts_the_rest(
    client: PageClient, wide: str
) -> None:
    client.login(STAFF)
    register = client.page("/incidents")
    row = next(tr for tr in register.select("tbody tr") if f"/incidents/{wide}" in str(tr))
    cell = row.select_one("td[data-label='Controllers']").get_text(" ", strip=True)
    assert cell == "Many Client 000, Many Client 001 + 118 more"


def test_the_timeline_and_the_countdowns_put_alike_controllers_together(
    client: PageClient, wide: str, engine
) -> None:
    """A hundred and twenty controllers: one row per duty and due time, with the count, not
    one per controller; the page stays small."""
    from tests.web.notice_helpers import send_all

    send_all(client, wide)
    from incidents import batches

    batches.run(engine, client.app.state["settings"])
    client.login(STAFF)
    response = client.get(f"/incidents/{wide}")
    page = check_page(response.text)
    items = [li.get_text(" ", strip=True) for li in page.select("ol.timeline li")]
    # A group per minute: a send that crosses a minute may leave one controller on its own,
    # named rather than counted.
    counted = [re.search(r"Notice sent to (\d+) controllers$", text) for text in items]
    alone = [text for text in items if re.search(r"Notice sent to Many Client \d+$", text)]
    assert sum(int(m.group(1)) for m in counted if m) + len(alone) == 120, items
    assert len(items) < 20
    owed = [li.get_text(" ", strip=True) for li in page.select("#deadlines li")]
    assert any("60 controllers" in text and "overdue by" in text for text in owed), owed
    assert len(response.content) < 150_000


def test_the_dashboard_puts_one_duty_of_many_controllers_on_one_row(
    client: PageClient, wide: str
) -> None:
    client.login(STAFF)
    rows = [tr.get_text(" ", strip=True) for tr in client.page("/").select("tbody tr")]
    ours = [row for row in rows if "Many Client" in row or "controllers" in row]
    assert any("60 controllers" in row and "overdue by" in row for row in ours), ours
    assert len(rows) < 20


def test_one_reason_for_sixty_late_controllers_is_one_choice(
    client: PageClient, wide: str, engine
) -> None:
    """Sixty controllers late in the same minute: the delay form offers them as one choice
    (not sixty checkboxes); ticked, the reason is recorded for each of them."""
    client.login(STAFF)
    page = client.page(f"/incidents/{wide}")
    choices = page.select("form.reason-form input[name=duty]")
    assert len(choices) == 1 and choices[0]["value"].startswith("group:processor_notice:")
    label = page.select_one(f"label[for='{choices[0]['id']}']").get_text(" ", strip=True)
    assert label.startswith("60 controllers · Processor notifies the controller")
    url = page.select_one("form.reason-form")["action"]
    done = client.submit(url, {"duty": choices[0]["value"], "reason": "Found in March's backup."})
    assert done.status_code == 303
    after = client.page(f"/incidents/{wide}")
    assert "recorded for:" in after.select_one(".notice").text
    assert not after.select("form.reason-form")
    with Session(engine) as session:
        recorded = session.exec(
            select(func.count())
            .select_from(ObligationRecord)
            .where(col(ObligationRecord.late_reason) == "Found in March's backup.")
        ).one()
    assert recorded == 60
    forged = client.submit(url, {"duty": "group:processor_notice:1999-01-01T00:00", "reason": "x"})
    assert forged.status_code == 303  # nothing matches: nothing is late there


def test_the_processor_wide_report_is_a_summary_and_a_table_of_controllers(
    client: PageClient, wide: str, api_headers
) -> None:
    """A report for all 120 controllers: each per-controller field says how many have each
    value, or points to the table that ends the report (one row per controller with its
    own figures), instead of repeating every field 120 times. One controller's report and
    the register keep their own shapes."""
    own = {"affected_min": 7, "affected_max": 9}
    url = f"/api/v1/incidents/{wide}/controllers/many-005/scope"
    assert client.put(url, json=own, headers=api_headers(STAFF)).status_code == 200
    client.login(STAFF)
    text = pdf_text(client.get(f"/incidents/{wide}/report.pdf?lang=en").content)
    assert "· 120 controllers" in text
    assert "The processor informed the controller Not yet (120 controllers)" in text
    assert "Differs per controller: see the table of controllers at the end" in text
    table = text[text.index("11. The controllers") :]
    assert all(f"Many Client {n:03d}" in table for n in range(COUNT))
    assert "Many Client 005 7–9 Not yet" in table and "Many Client 006 120–450" in table
    assert text.count("Many Client 000") == 1, "the name is in the table, not in every field"
    dutch = pdf_text(client.get(f"/incidents/{wide}/report.pdf?lang=nl").content)
    assert "Nog niet (120 verwerkingsverantwoordelijken)" in dutch
    assert "11. De verwerkingsverantwoordelijken" in dutch
    one = pdf_text(client.get(f"/incidents/{wide}/report.pdf?lang=en&controller=many-005").content)
    assert "11. The controllers" not in one and "Many Client 005" in one
    assert "Minimum number of persons 7" in one
    register = pdf_text(client.get("/incidents/export.pdf?lang=en").content)
    assert "Many Client 009" in register and "Many Client 010" not in register
    assert "… and 110 more: see the incident's report" in register


def test_the_incident_json_pages_its_notices_and_obligations(
    client: PageClient, wide: str, api_headers
) -> None:
    """120 controllers: the incident carries the first 100 notices by slug and their
    duties, with the totals and links to the rest; the lists page by cursor, every
    controller exactly once; a tampered cursor or a bad limit is a 400 naming each."""
    staff = api_headers(STAFF)
    body = client.get(f"/api/v1/incidents/{wide}", headers=staff).json()
    assert len(body["notices"]) == 100 and body["notices_total"] == 120
    assert body["notices"][0]["controller"] == "many-000"
    assert {o["controller"] for o in body["obligations"]} <= {
        n["controller"] for n in body["notices"]
    }
    assert body["obligations_total"] > len(body["obligations"])
    seen: list[str] = [n["controller"] for n in body["notices"]]
    page = client.get(body["notices_next"], headers=staff).json()
    seen += [n["controller"] for n in page["items"]]
    assert page["next_cursor"] is None
    assert seen == [f"many-{n:03d}" for n in range(COUNT)]

    duties: list[dict] = []
    url = f"/api/v1/incidents/{wide}/obligations?limit=50"
    while url:
        page = client.get(url, headers=staff).json()
        duties += page["items"]
        cursor = page["next_cursor"]
        url = f"/api/v1/incidents/{wide}/obligations?limit=50&cursor={cursor}" if cursor else ""
    assert len(duties) == body["obligations_total"]
    assert len({(o["controller"], o["key"]) for o in duties}) == len(duties)
    overdue = client.get(
        f"/api/v1/incidents/{wide}/obligations?status=overdue&limit=500", headers=staff
    ).json()["items"]
    assert len(overdue) == 60 and {o["status"] for o in overdue} == {"overdue"}

    bad = client.get(f"/api/v1/incidents/{wide}/notices?cursor=%%%&limit=0&status=x", headers=staff)
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"cursor", "limit"}
    for query in ("cursor=" + "A" * 101, "cursor=Tk9UIEEgU0xVRyE", "limit=99999999999999999999"):
        response = client.get(f"/api/v1/incidents/{wide}/obligations?{query}", headers=staff)
        assert response.status_code == 400, query
    bad_status = client.get(f"/api/v1/incidents/{wide}/obligations?status=late", headers=staff)
    assert bad_status.json()["errors"][0]["field"] == "status"
    officer = api_headers(OFFICER_ACME)
    assert client.get(f"/api/v1/incidents/{wide}/notices", headers=officer).status_code == 404
