"""Issue 17, the controller's jurisdiction: its country and time zone are set on the
administrator's page and on the command line (the import already reads them); the notice
to a UK controller gives London time and counts the 72 hours from delivery; the letter to
its persons names the ICO and none of the Dutch-only help."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from incidents.models import Notice, Organisation, OutboxMessage
from incidents.reminders import deliver_outbox
from tests.helpers import ADMIN, OFFICER_NORTHWIND, STAFF, PageClient
from tests.web.notice_helpers import file_via_api, move_northwind_to_the_uk, send_all, settings_of

pytestmark = pytest.mark.usefixtures("demo")


def _org(engine, slug: str) -> Organisation:
    with Session(engine) as session:
        return session.exec(select(Organisation).where(Organisation.slug == slug)).one()


def test_the_administrator_sets_the_country_and_time_zone(client: PageClient, engine) -> None:
    client.login(ADMIN)
    form = client.page("/admin/organisations/new")
    options = {o["value"]: o.get_text() for o in form.select("#country option")}
    assert options["GB"] == "United Kingdom" and options["NL"] == "Netherlands"
    assert form.select_one("#country option[selected]")["value"] == "NL"
    bad = {
        "slug": "harbour",
        "name": "Harbour Ltd",
        "language": "en",
        "emails": "dpo@harbour.example",
    }
    refused = client.submit_page(
        "/admin/organisations/new", {**bad, "country": "XX", "timezone": "Mars/Base"}
    )
    assert "Choose a country" in refused.select_one("#country-error").text
    assert refused.select_one("#name")["value"] == "Harbour Ltd", "the input is kept"
    wrong_zone = client.submit_page(
        "/admin/organisations/new", {**bad, "country": "GB", "timezone": "Mars/Base"}
    )
    assert "time zone like Europe/London" in wrong_zone.select_one("#timezone-error").text
    assert wrong_zone.select_one("#timezone")["value"] == "Mars/Base"
    made = client.submit("/admin/organisations/new", {**bad, "country": "GB", "timezone": ""})
    assert made.status_code == 303
    harbour = _org(engine, "harbour")
    assert (harbour.country, harbour.timezone) == ("GB", "Europe/London"), "the country's zone"
    page = client.page("/organisations/harbour")
    assert "United Kingdom (GB)" in page.text and "Europe/London" in page.text
    # Changed on the settings page; the change is audited with the fields named.
    values = {**settings_of(client, "harbour"), "timezone": "Europe/Dublin"}
    assert client.submit("/admin/organisations/harbour", values).status_code == 303
    assert _org(engine, "harbour").timezone == "Europe/Dublin"


def test_a_uk_controllers_notice_gives_london_time_from_delivery(
    client: PageClient, api_headers, engine
) -> None:
    move_northwind_to_the_uk(client)
    staff = api_headers(STAFF)
    incident_id = file_via_api(client, staff, controllers=["northwind"])
    send_all(client, incident_id)
    with Session(engine) as session:
        (mail,) = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "notice")).all()
        notice = session.exec(select(Notice)).one()
    text = " ".join(mail.body_text.split())
    assert "Times are in Europe/London time." in text
    assert "Europe/Amsterdam" not in text and "CET" not in text
    assert "The 72 hours count from when this notice reaches you" in text
    due = (notice.sent_at + timedelta(hours=72)).strftime("%-d %B %Y")
    assert due in text and "GMT" in text, "London's winter time"


def test_the_letter_to_uk_persons_names_the_ico_and_no_dutch_help(
    client: PageClient, api_headers, engine
) -> None:
    staff = api_headers(STAFF)
    identity = {"controllers": ["northwind"]}  # the answers name citizen service numbers
    dutch_case = file_via_api(client, staff, **identity)
    send_all(client, dutch_case)
    client.login(OFFICER_NORTHWIND)
    before = client.page(f"/incidents/{dutch_case}/notices/northwind/letter").select_one("#letter")
    assert "Autoriteit Persoonsgegevens" in before.text and "(CMI)" in before.text
    client.submit("/logout")
    move_northwind_to_the_uk(client)
    uk_case = file_via_api(client, staff, **identity)
    send_all(client, uk_case)
    client.login(OFFICER_NORTHWIND)
    letter = client.page(f"/incidents/{uk_case}/notices/northwind/letter").select_one("#letter")
    assert "Information Commissioner's Office (ICO)" in letter.text
    assert "Autoriteit Persoonsgegevens" not in letter.text and "CMI" not in letter.text
    assert "citizen service number" not in letter.text.lower() and "BSN" not in letter.text
    assert "National identification or tax numbers" in letter.text
    assert "national identification number" in letter.text


def test_contract_hours_beyond_a_nis2_entitys_first_clock_are_flagged(
    client: PageClient,
) -> None:
    """Zorggroep Noord is a NIS2 entity whose contract gives the processor 36 hours, more
    than its own 24-hour early warning: its page says so, Acme's does not; the import's
    preview flags such a row before anything is written."""
    client.login(ADMIN)
    flagged = client.page("/organisations/zorggroep-noord").select(".notice-box")
    assert len(flagged) == 1
    assert "36 hours" in flagged[0].text and "24 hours of its own early warning" in flagged[0].text
    assert not client.page("/organisations/acme").select(".notice-box")
    rows = (
        "slug,name,contract_hours,nis2\n"
        "water-board,Water Board,48,yes\n"
        "grid-operator,Grid Operator,12,yes\n"
        "bakery,Bakery,48,no\n"
    )
    preview = client.submit_page("/admin/organisations/import", {"action": "preview", "csv": rows})
    cells = {
        r.select("td")[0].get_text(strip=True): r.get_text(" ", strip=True)
        for r in preview.select("tbody tr")
    }
    assert "Check the contract hours" in cells["water-board"] and "48 hours" in cells["water-board"]
    assert "Check the contract hours" not in cells["grid-operator"]
    assert "Check the contract hours" not in cells["bakery"]


def test_the_letter_speaks_as_the_controller_with_the_namely_texts(
    client: PageClient, api_headers
) -> None:
    """The draft letter is the controller's: not our own first-person summary; "other"
    data, cause and consequences carry what they are."""
    case = file_via_api(
        client,
        api_headers(STAFF),
        controllers=["northwind"],
        summary="We found that our file server was encrypted by ransomware on Friday.",
        cause="other",
        cause_other="A contractor's laptop left unlocked in a train",
        data_types=["name_address", "special", "other"],
        data_types_other="shoe sizes and locker numbers",
        consequences=["spam_phishing", "other"],
        consequences_other="embarrassment among colleagues",
    )
    send_all(client, case)
    client.login(OFFICER_NORTHWIND)
    letter = client.page(f"/incidents/{case}/notices/northwind/letter").select_one("#letter").text
    assert "our file server" not in letter and "We found" not in letter
    assert "The cause: A contractor's laptop left unlocked in a train." in letter
    assert "- Other data, namely shoe sizes and locker numbers" in letter
    assert "- Other, namely embarrassment among colleagues" in letter
    assert "Northwind Logistics Ltd is responsible for your data" in letter


def test_a_uk_officer_reads_and_writes_london_time(
    client: PageClient, api_headers, engine, settings
) -> None:
    """Each reader's zone: the UK controller's officer sees London time on the pages and
    the time they type is London time; staff see the processor's zone."""
    move_northwind_to_the_uk(client)
    case = file_via_api(client, api_headers(STAFF), controllers=["northwind"])
    send_all(client, case)
    deliver_outbox(engine, settings)
    client.login(OFFICER_NORTHWIND)
    base = f"/incidents/{case}/notices/northwind"
    page = client.page(base)
    assert "Times are shown in Europe/London." in page.text
    assert "GMT" in page.select_one("main").text and "CET" not in page.select_one("main").text
    london = datetime.now(ZoneInfo("Europe/London")) - timedelta(minutes=5)
    form = {
        "uk_gdpr_authority-notified_at-day": str(london.day),
        "uk_gdpr_authority-notified_at-month": str(london.month),
        "uk_gdpr_authority-notified_at-year": str(london.year),
        "uk_gdpr_authority-notified_at-time": f"{london:%H:%M}",
        "uk_gdpr_authority-reference": "ICO-000123",
    }
    assert client.submit(f"{base}/acts/uk_gdpr_authority", form).status_code == 303
    client.submit("/logout")
    body = client.get(f"/api/v1/incidents/{case}", headers=api_headers(STAFF)).json()
    (ico,) = [o for o in body["obligations"] if o["key"] == "uk_gdpr_authority"]
    written = london.replace(second=0, microsecond=0).astimezone(UTC)
    assert ico["status"] == "met" and ico["met_at"] == written.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ico["authority"] == "gb_ico" and ico["regime"] == "uk_gdpr"
    client.login(STAFF)
    assert "Times are shown in Europe/Amsterdam." in client.page(base).text
