"""Issue 15: pages for a processor with many client controllers. The incident page counts
the notices by state and shows them a page at a time, those with a duty overdue first,
found by name; the register names two controllers and how many more; "send to all" names
a few and counts the rest."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, col, func, select

from incidents.models import ObligationRecord
from tests.helpers import ADMIN, STAFF, PageClient, check_page
from tests.web.notice_helpers import file_via_api

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
    sent = [re.search(r"Notice sent to (\d+) controllers$", text) for text in items]
    assert sum(int(m.group(1)) for m in sent if m) == 120, items  # a group per minute
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
