"""Issue 17, the regimes of a controller through HTTP: the administrator marks a controller
as a DORA entity (with or without weekend relief) and chooses its lead authority; a UK
controller owes the ICO under UK GDPR; the Digital Omnibus's 96 hours replace the GDPR's
72 from its date (only when it is set); a DORA entity's initial notification is due 4 hours
after it classifies the incident as major, moved off a weekend unless it has no relief.

The clock is frozen in late November 2026 (winter time, CET = UTC+1): Friday 27 November
10:00 Amsterdam time is 09:00 UTC; Monday 30 November 12:00 Amsterdam time is 11:00 UTC."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from incidents.app import create_app
from notify import obligations
from tests.helpers import ADMIN, OFFICER_ACME, OFFICER_NORTHWIND, STAFF, PageClient, check_page
from tests.web.notice_helpers import file_via_api, pdf_text

pytestmark = pytest.mark.usefixtures("demo")

FRIDAY_MORNING = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam


def _discovered_on(day: date) -> dict[str, str]:
    """Answers for an incident discovered at 08:00 Amsterdam time (winter) on ``day``,
    before the frozen clock's 10:00: the acts may not be earlier than the discovery."""
    return {
        "occurred_from": (day - timedelta(days=1)).isoformat(),
        "occurred_until": f"{day.isoformat()}T07:30:00+01:00",
        "discovered_at": f"{day.isoformat()}T08:00:00+01:00",
    }


IN_NOVEMBER = _discovered_on(date(2026, 11, 27))  # a Friday
DECISION = {
    "is_breach": True,
    "notify_authority": True,
    "authority_reason": "Salary data were copied.",
    "art34_ground": None,
}
HIGH_RISK = {**DECISION, "inform_data_subjects": True, "data_subjects_reason": "Fraud likely."}
NO_HIGH_RISK = {
    **DECISION,
    "inform_data_subjects": False,
    "data_subjects_reason": "Only business addresses; no high risk.",
}


# --- helpers ---------------------------------------------------------------------------------


def _org_form(client: PageClient, slug: str) -> dict[str, str]:
    """The administrator's settings form of ``slug`` as it would be posted back unchanged."""
    form = client.page(f"/admin/organisations/{slug}")
    values = {
        "name": form.select_one("#name")["value"],
        "language": form.select_one("#language option[selected]")["value"],
        "emails": form.select_one("#emails").get_text(),
        "contract_hours": form.select_one("#contract_hours").get("value", ""),
        "country": form.select_one("#country option[selected]")["value"],
        "timezone": form.select_one("#timezone")["value"],
    }
    chosen = form.select_one("#authority option[selected]")
    values["authority"] = chosen["value"] if chosen else ""
    for flag in ("nis2", "dora", "dora_no_weekend_relief"):
        if form.select_one(f"#{flag}").has_attr("checked"):
            values[flag] = "yes"
    return values


def _change_org(client: PageClient, slug: str, **changes: str | None) -> None:
    """The administrator changes ``slug``'s settings on its form (None: a box unticked)."""
    client.login(ADMIN)
    values = {**_org_form(client, slug), **changes}
    values = {k: v for k, v in values.items() if v is not None}
    assert client.submit(f"/admin/organisations/{slug}", values).status_code == 303
    client.submit("/logout")


def _utc(moment: datetime) -> str:
    """An instant as the API writes it: "2026-11-27T20:00:00Z"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duties(client: PageClient, headers: dict[str, str], incident_id: str) -> dict:
    """The incident's obligations from its JSON, by (controller, key)."""
    response = client.get(f"/api/v1/incidents/{incident_id}", headers=headers)
    assert response.status_code == 200, response.text
    return {(o["controller"], o["key"]): o for o in response.json()["obligations"]}


def _sent_and_delivered(
    client: PageClient, staff: dict[str, str], officer: dict[str, str], slug: str, **answers: Any
) -> str:
    """An incident filed, its notice sent to ``slug`` and acknowledged by its officer (the
    acknowledgement records the delivery: the controller's clocks start then)."""
    incident_id = file_via_api(client, staff, controllers=[slug], **answers)
    base = f"/api/v1/incidents/{incident_id}/notices/{slug}"
    sent = client.post(f"{base}/send", headers=staff)
    assert sent.status_code == 200 and sent.json()["sent"] is True, sent.text
    assert client.post(f"{base}/acknowledge", headers=officer).status_code == 200
    return incident_id


def _decide(
    client: PageClient, officer: dict[str, str], incident_id: str, slug: str, decision: dict
) -> Any:
    return client.post(
        f"/api/v1/incidents/{incident_id}/notices/{slug}/decision", headers=officer, json=decision
    )


def _record_act(
    client: PageClient, incident_id: str, slug: str, key: str, field: str, local: str
) -> None:
    """The officer records act ``key`` on the notice page's form; ``local`` is
    "YYYY-MM-DD HH:MM" in the processor's zone (Europe/Amsterdam), as the form reads it."""
    when = datetime.strptime(local, "%Y-%m-%d %H:%M")
    name = f"{key}-{field}"
    response = client.submit(
        f"/incidents/{incident_id}/notices/{slug}/acts/{key}",
        {
            f"{name}-day": str(when.day),
            f"{name}-month": str(when.month),
            f"{name}-year": str(when.year),
            f"{name}-time": f"{when:%H:%M}",
        },
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def staff(api_headers) -> dict[str, str]:
    return api_headers(STAFF)


@pytest.fixture
def frozen(clock) -> Any:
    clock.freeze(FRIDAY_MORNING)
    return clock


# --- (1) the administrator's form, the organisation's page and the API ----------------------


def test_the_administrator_marks_a_dora_entity_without_relief_and_its_lead_authority(
    client: PageClient, staff
) -> None:
    client.login(ADMIN)
    form = client.page("/admin/organisations/acme")
    assert not form.select_one("#dora").has_attr("checked")
    assert form.select_one("#authority option[selected]")["value"] == "", "its country's"
    values = {
        **_org_form(client, "acme"),
        "dora": "yes",
        "dora_no_weekend_relief": "yes",
        "authority": "ie_dpc",  # its main establishment is in Dublin
    }
    assert client.submit("/admin/organisations/acme", values).status_code == 303

    again = client.page("/admin/organisations/acme")
    assert again.select_one("#dora").has_attr("checked")
    assert again.select_one("#dora_no_weekend_relief").has_attr("checked")
    assert again.select_one("#authority option[selected]")["value"] == "ie_dpc"

    page = client.page("/organisations/acme")
    rows = {
        row.select_one("dt").get_text(" ", strip=True): row.select_one("dd").get_text(
            " ", strip=True
        )
        for row in page.select(".summary-row")
    }
    lead = rows["Lead supervisory authority"]
    assert "Data Protection Commission (DPC)" in lead and "country" not in lead, "chosen"
    assert "Autoriteit Persoonsgegevens" not in lead
    assert rows["Regimes"] == "GDPR; DORA, without weekend relief"
    # Acme's contract gives the processor 24 hours, more than DORA's 4 for the initial report.
    [warning] = page.select(".notice-box")
    text = warning.get_text(" ", strip=True)
    assert "Check the contract hours" in text
    assert "24 hours" in text and "4 hours DORA gives it" in text

    controllers = client.get("/api/v1/controllers", headers=staff)
    assert controllers.status_code == 200
    acme = next(c for c in controllers.json() if c["slug"] == "acme")
    assert acme["regimes"] == ["dora", "dora_no_weekend_relief"]
    assert acme["dora"] is True and acme["dora_no_weekend_relief"] is True
    assert acme["nis2"] is False
    assert acme["authority"] == "ie_dpc"
    zorg = next(c for c in controllers.json() if c["slug"] == "zorggroep-noord")
    assert zorg["regimes"] == ["nis2"] and zorg["authority"] == ""


def test_no_weekend_relief_without_dora_is_refused_at_the_field_with_the_input_kept(
    client: PageClient, staff
) -> None:
    client.login(ADMIN)
    values = {
        **_org_form(client, "northwind"),
        "name": "Northwind Logistics Group",
        "dora_no_weekend_relief": "yes",  # without "dora"
        "authority": "gb_ico",
    }
    response = client.submit("/admin/organisations/northwind", values)
    assert response.status_code == 200
    refused = check_page(response.text)
    error = refused.select_one("#dora_no_weekend_relief-error")
    assert error is not None
    assert "Only a financial entity under DORA" in error.get_text()
    summary = refused.select_one(".error-summary")
    assert summary.select_one('a[href="#dora_no_weekend_relief"]'), "the summary leads to it"
    assert refused.select_one("#name")["value"] == "Northwind Logistics Group", "input kept"
    assert refused.select_one("#dora_no_weekend_relief").has_attr("checked")
    assert not refused.select_one("#dora").has_attr("checked")
    assert refused.select_one("#authority option[selected]")["value"] == "gb_ico"
    # Nothing was saved.
    northwind = next(
        c
        for c in client.get("/api/v1/controllers", headers=staff).json()
        if c["slug"] == "northwind"
    )
    assert northwind["name"] == "Northwind Logistics Ltd"
    assert northwind["regimes"] == [] and northwind["authority"] == ""


# --- (2) a controller in the United Kingdom ---------------------------------------------------


def test_a_uk_controller_owes_the_ico_under_uk_gdpr_and_its_notice_says_so(
    client: PageClient, staff, api_headers, frozen
) -> None:
    _change_org(client, "northwind", country="GB")
    officer = api_headers(OFFICER_NORTHWIND)
    # Persons in the UK only: no EU/EEA state's GDPR duty besides.
    incident_id = _sent_and_delivered(
        client,
        staff,
        officer,
        "northwind",
        **IN_NOVEMBER,
        other_eu_countries="no",
        countries=None,
    )
    duties = _duties(client, staff, incident_id)
    uk = duties["northwind", "uk_gdpr_authority"]
    assert uk["regime"] == "uk_gdpr" and uk["authority"] == "gb_ico"
    assert uk["status"] == "open", "owed until the controller decides there is no risk"
    assert uk["starts_at"] == "2026-11-27T09:00:00Z", "from delivery (the acknowledgement)"
    assert uk["due_at"] == "2026-11-30T09:00:00Z", "72 elapsed hours"
    assert ("northwind", "gdpr_authority") not in duties

    base = f"/incidents/{incident_id}/notices/northwind"
    client.login(OFFICER_NORTHWIND)
    sent = client.page(f"{base}/sent/1").select_one(".notice-frame").get_text(" ", strip=True)
    pdf = client.get(f"{base}/sent/1/pdf")
    assert pdf.status_code == 200
    for text in (" ".join(sent.split()), pdf_text(pdf.content)):
        assert "Information Commissioner's Office (ICO)" in text
        assert "Art. 33(1) UK GDPR" in text and "72 hours" in text
        assert "Autoriteit Persoonsgegevens" not in text
        assert "Dutch Data Protection Authority" not in text


# --- (3) the Digital Omnibus ------------------------------------------------------------------


@pytest.fixture
def omnibus_client(settings) -> Iterator[Callable[[date | None], PageClient]]:
    """A client of an app started with BREACHDESK_GDPR_OMNIBUS_FROM at the given date. The
    app sets the engine's rules for the whole process: they are reset afterwards."""
    clients: list[TestClient] = []

    def start(omnibus_from: date | None) -> PageClient:
        app = create_app(dataclasses.replace(settings, gdpr_omnibus_from=omnibus_from))
        test_client = TestClient(app, base_url="http://testserver.local")
        test_client.__enter__()
        clients.append(test_client)
        return PageClient(test_client)

    try:
        yield start
    finally:
        for test_client in clients:
            test_client.__exit__(None, None, None)
        obligations.configure(omnibus_from=None)


def test_under_the_omnibus_a_high_risk_is_notified_within_96_hours(
    omnibus_client, staff, api_headers, frozen
) -> None:
    client = omnibus_client(date(2026, 11, 1))  # in force before the notice is delivered
    officer = api_headers(OFFICER_ACME)
    incident_id = _sent_and_delivered(client, staff, officer, "acme", **IN_NOVEMBER)
    duties = _duties(client, staff, incident_id)
    assert ("acme", "gdpr_authority") not in duties, "replaced by the Omnibus's row"
    omnibus = duties["acme", "gdpr_omnibus_authority"]
    assert omnibus["regime"] == "gdpr_omnibus" and omnibus["authority"] == "nl_ap"
    assert omnibus["status"] == "pending", "owed only if the controller judges a high risk"

    assert _decide(client, officer, incident_id, "acme", HIGH_RISK).status_code == 200
    omnibus = _duties(client, staff, incident_id)["acme", "gdpr_omnibus_authority"]
    assert omnibus["status"] == "open"
    assert omnibus["starts_at"] == "2026-11-27T09:00:00Z"
    assert omnibus["due_at"] == "2026-12-01T09:00:00Z", "96 elapsed hours"

    not_notified = {**NO_HIGH_RISK, "notify_authority": False}
    assert _decide(client, officer, incident_id, "acme", not_notified).status_code == 200
    omnibus = _duties(client, staff, incident_id)["acme", "gdpr_omnibus_authority"]
    assert omnibus["status"] == "not_applicable", "a risk, but not a high one: not notified"

    # The notice (in Dutch, Acme's language) names the AP, the high risk and the 96 hours.
    client.login(OFFICER_ACME)
    sent = client.page(f"/incidents/{incident_id}/notices/acme/sent/1")
    text = " ".join(sent.select_one(".notice-frame").get_text(" ", strip=True).split())
    assert "Autoriteit Persoonsgegevens (AP)" in text
    assert "96 uur" in text and "hoog risico" in text
    assert "72 uur" not in text
    assert "COM(2025) 837" in text


def test_the_omnibus_dated_after_delivery_leaves_the_gdprs_72_hours(
    omnibus_client, staff, api_headers, frozen
) -> None:
    client = omnibus_client(date(2026, 11, 28))  # the day after the notice is delivered
    officer = api_headers(OFFICER_ACME)
    incident_id = _sent_and_delivered(client, staff, officer, "acme", **IN_NOVEMBER)
    assert _decide(client, officer, incident_id, "acme", NO_HIGH_RISK).status_code == 200
    duties = _duties(client, staff, incident_id)
    assert ("acme", "gdpr_omnibus_authority") not in duties
    gdpr = duties["acme", "gdpr_authority"]
    assert gdpr["regime"] == "gdpr" and gdpr["authority"] == "nl_ap"
    assert gdpr["status"] == "open", "any risk, under the GDPR as it is"
    assert gdpr["due_at"] == "2026-11-30T09:00:00Z", "72 elapsed hours"


def test_without_the_omnibus_date_the_gdpr_applies(
    client: PageClient, staff, api_headers, frozen
) -> None:
    officer = api_headers(OFFICER_ACME)
    incident_id = _sent_and_delivered(client, staff, officer, "acme", **IN_NOVEMBER)
    assert _decide(client, officer, incident_id, "acme", HIGH_RISK).status_code == 200
    duties = _duties(client, staff, incident_id)
    assert not any(key == "gdpr_omnibus_authority" for _slug, key in duties)
    gdpr = duties["acme", "gdpr_authority"]
    assert (gdpr["regime"], gdpr["authority"], gdpr["status"]) == ("gdpr", "nl_ap", "open")
    assert gdpr["due_at"] == "2026-11-30T09:00:00Z"


# --- (4) DORA's initial notification and the weekend -----------------------------------------


def _major_dora_incident(client: PageClient, staff: dict[str, str], officer: dict[str, str]) -> str:
    """An incident whose notice Acme (a DORA entity) received on Friday at 10:00 Amsterdam
    time, and which its officer decided is a major ICT-related incident."""
    incident_id = _sent_and_delivered(client, staff, officer, "acme", **IN_NOVEMBER)
    decided = _decide(client, officer, incident_id, "acme", {**NO_HIGH_RISK, "dora_major": True})
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"]["dora_major"] is True
    return incident_id


def test_a_dora_entitys_officer_calls_the_incident_major(
    client: PageClient, staff, api_headers, frozen
) -> None:
    _change_org(client, "acme", dora="yes")
    officer = api_headers(OFFICER_ACME)
    incident_id = _sent_and_delivered(client, staff, officer, "acme", **IN_NOVEMBER)
    unanswered = _decide(client, officer, incident_id, "acme", NO_HIGH_RISK)
    assert unanswered.status_code == 422, "a DORA entity must answer whether it is major"
    assert [e["field"] for e in unanswered.json()["errors"]] == ["dora_major"]

    decided = _decide(client, officer, incident_id, "acme", {**NO_HIGH_RISK, "dora_major": True})
    assert decided.status_code == 200, decided.text
    duties = _duties(client, staff, incident_id)
    for key in ("dora_initial", "dora_intermediate", "dora_final"):
        duty = duties["acme", key]
        assert (duty["regime"], duty["authority"]) == ("dora", "competent_authority"), key
        if key == "dora_initial":  # major: its outer limit runs, 24 hours from awareness
            assert duty["status"] in {"open", "overdue"} and duty["due_at"], duty
        else:
            assert duty["status"] == "pending", "each starts with the report before it"
            assert duty["starts_at"] is None and duty["due_at"] is None

    # The notice page offers the officer the classification's form, then the reports'.
    client.login(OFFICER_ACME)
    page = client.page(f"/incidents/{incident_id}/notices/acme")
    actions = [form["action"] for form in page.select("#acts form")]
    acts = [action.rsplit("/", 1)[-1] for action in actions]
    assert acts[-4:] == ["dora_classified", "dora_initial", "dora_intermediate", "dora_final"]
    assert page.select_one("#dora_classified-classified_at-day")
    assert page.select_one("#dora_initial-made_at-day")


@pytest.mark.parametrize(
    ("relief", "day", "classified_at", "due_at"),
    [
        # Friday 21:00 + 4 h = Saturday 01:00 -> Monday 12:00 Amsterdam time (11:00 UTC).
        ("relief", date(2026, 11, 27), "2026-11-27T21:00:00+01:00", "2026-11-30T11:00:00Z"),
        # Without the relief it stays Saturday 01:00 Amsterdam time.
        ("no_relief", date(2026, 11, 27), "2026-11-27T21:00:00+01:00", "2026-11-28T00:00:00Z"),
        # Christmas Eve 22:00 + 4 h = Christmas Day 02:00 (a Dutch public holiday), then
        # Boxing Day (another) and Sunday -> Monday 28 December 12:00.
        ("relief", date(2026, 12, 24), "2026-12-24T22:00:00+01:00", "2026-12-28T11:00:00Z"),
    ],
    ids=["weekend", "weekend-no-relief", "christmas"],
)
def test_the_dora_initial_notification_moves_off_weekends_and_holidays(
    client: PageClient, staff, api_headers, clock, relief, day, classified_at, due_at
) -> None:
    """Through the API: the classification's time starts the initial notification's 4 hours
    (within 24 hours of the delivery at 10:00 that day); its report meets it."""
    no_relief = "yes" if relief == "no_relief" else None
    _change_org(client, "acme", dora="yes", dora_no_weekend_relief=no_relief)
    clock.freeze(datetime.combine(day, time(9, 0), tzinfo=UTC))  # 10:00 in Amsterdam
    officer = api_headers(OFFICER_ACME)
    incident_id = _sent_and_delivered(client, staff, officer, "acme", **_discovered_on(day))
    decided = _decide(client, officer, incident_id, "acme", {**NO_HIGH_RISK, "dora_major": True})
    assert decided.status_code == 200, decided.text

    acts = f"/api/v1/incidents/{incident_id}/notices/acme/acts"
    clock.travel(timedelta(hours=13))  # 23:00 in Amsterdam, after the classification
    classified = client.post(
        f"{acts}/dora_classified", headers=officer, json={"classified_at": classified_at}
    )
    assert classified.status_code == 200, classified.text
    duties = _duties(client, staff, incident_id)
    initial = duties["acme", "dora_initial"]
    assert initial["starts_at"] == _utc(datetime.fromisoformat(classified_at))
    assert (initial["due_at"], initial["status"]) == (due_at, "open")
    assert duties["acme", "dora_intermediate"]["status"] == "pending", "starts at the initial"

    made_at = _utc(clock.now() - timedelta(minutes=30))
    report = client.post(
        f"{acts}/dora_initial", headers=officer, json={"made_at": made_at, "reference": "D-1"}
    )
    assert report.status_code == 200, report.text
    initial = _duties(client, staff, incident_id)["acme", "dora_initial"]
    assert (initial["status"], initial["met_at"], initial["due_at"]) == ("met", made_at, due_at)


@pytest.mark.parametrize(
    ("no_relief", "due_at"),
    [
        (None, "2026-11-30T11:00:00Z"),  # Saturday 01:00 -> Monday 12:00 Amsterdam time
        ("yes", "2026-11-28T00:00:00Z"),  # no relief: Saturday 01:00 Amsterdam time
    ],
    ids=["weekend-relief", "no-weekend-relief"],
)
def test_a_dora_initial_notification_due_on_saturday(
    client: PageClient, staff, api_headers, frozen, no_relief, due_at
) -> None:
    _change_org(client, "acme", dora="yes", dora_no_weekend_relief=no_relief)
    incident_id = _major_dora_incident(client, staff, api_headers(OFFICER_ACME))

    # Classified on Friday at 21:00 Amsterdam time: 4 hours later is Saturday 01:00, before
    # the 24 hours after delivery end (Saturday 10:00).
    frozen.travel(timedelta(hours=12))  # Friday 22:00 Amsterdam time
    client.login(OFFICER_ACME)
    _record_act(client, incident_id, "acme", "dora_classified", "classified_at", "2026-11-27 21:00")
    duties = _duties(client, staff, incident_id)
    initial = duties["acme", "dora_initial"]
    assert initial["starts_at"] == "2026-11-27T20:00:00Z"
    assert initial["due_at"] == due_at
    assert initial["status"] == "open"
    assert duties["acme", "dora_intermediate"]["status"] == "pending"

    # The initial report made on Saturday morning meets it.
    frozen.travel(timedelta(hours=11))  # Saturday 09:00 Amsterdam time
    client.login(OFFICER_ACME)
    _record_act(client, incident_id, "acme", "dora_initial", "made_at", "2026-11-28 08:30")
    initial = _duties(client, staff, incident_id)["acme", "dora_initial"]
    assert initial["status"] == "met" and initial["met_at"] == "2026-11-28T07:30:00Z"
    assert initial["due_at"] == due_at


def test_only_a_dora_entity_may_call_an_incident_major(
    client: PageClient, staff, api_headers, frozen
) -> None:
    officer = api_headers(OFFICER_NORTHWIND)
    incident_id = _sent_and_delivered(client, staff, officer, "northwind", **IN_NOVEMBER)
    refused = _decide(
        client, officer, incident_id, "northwind", {**NO_HIGH_RISK, "dora_major": True}
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["dora_major"]
    assert "not a financial entity under DORA" in refused.json()["errors"][0]["message"]
    incident = client.get(f"/api/v1/incidents/{incident_id}", headers=officer).json()
    assert [n["decision"] for n in incident["notices"]] == [None], "nothing recorded"
    duties = _duties(client, staff, incident_id)
    assert not any(key.startswith("dora_") for _slug, key in duties)
