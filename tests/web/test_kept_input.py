"""Issue 13: input is never lost or silently changed. A draft's step keeps every valid
answer even when another field is refused; "Back" saves what was typed; an answer to a
question that does not apply (only possible without the page script) is refused at its
field; the correction form opens with the current answers; cause "Other" asks "namely";
the error summary follows the page and names every field."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session, select

from forms.questionnaire import STEP_BY_KEY
from incidents.models import Incident
from tests.factories import complete_answers
from tests.helpers import OFFICER_ACME, STAFF, PageClient
from tests.web.journey import STEP_FORMS, file_incident, start_report
from tests.web.notice_helpers import file_via_api, pdf_text, send_all

pytestmark = pytest.mark.usefixtures("demo")

MAX_BELOW_MIN = {
    "affected_min": "300",
    "affected_max": "20",
    "affected_group": "Applicants of the spring intake",
    "records_approx": "",
    "vulnerable_subjects": "no",
}


def _answers(engine) -> dict[str, Any]:
    with Session(engine) as session:
        return session.exec(select(Incident)).one().answers


def _summary(soup: BeautifulSoup) -> list[tuple[str, str]]:
    return [(a["href"], a.get_text(" ", strip=True)) for a in soup.select(".error-summary a")]


def _form_values(soup: BeautifulSoup) -> dict[str, Any]:
    """What the step's form would send as it is shown: the fields' values, the ticked
    options (a list for checkboxes), the chosen select option."""
    form = soup.select_one("form#step-form")
    values: dict[str, Any] = {}
    for field in form.select("input, textarea, select"):
        name = field.get("name")
        if not name or field.get("type") in {"hidden", "submit"}:
            continue
        if field.get("type") == "checkbox":
            if field.has_attr("checked"):
                values.setdefault(name, []).append(field["value"])
        elif field.get("type") == "radio":
            if field.has_attr("checked"):
                values[name] = field["value"]
        elif field.name == "textarea":
            values[name] = field.get_text()
        elif field.name == "select":
            chosen = field.select_one("option[selected]")
            values[name] = chosen["value"] if chosen else ""
        else:
            values[name] = field.get("value", "")
    return values


# --- a draft keeps what is valid -----------------------------------------------------------


@pytest.mark.parametrize("action", ["save", "continue", "back"])
def test_a_refused_field_does_not_lose_the_valid_answers_of_the_page(
    client: PageClient, engine, action: str
) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    soup = client.submit_page(
        f"/incidents/{incident_id}/report/persons", {**MAX_BELOW_MIN, "action": action}
    )
    assert _summary(soup) == [
        (
            "#affected_max",
            "Maximum number of persons: The maximum must be at least the minimum (300)",
        )
    ]
    assert "The other answers on this page have been saved" in soup.select_one(".notice").text
    assert _form_values(soup)["affected_max"] == "20", "the refused input is shown again"
    assert _answers(engine) == {
        "affected_min": 300,
        "affected_group": "Applicants of the spring intake",
        "vulnerable_subjects": "no",
    }
    # Corrected, the page saves and goes on as asked.
    response = client.submit(
        f"/incidents/{incident_id}/report/persons",
        {**MAX_BELOW_MIN, "affected_max": "400", "action": action},
    )
    assert response.status_code == 303
    assert _answers(engine)["affected_max"] == 400


def test_a_valid_answer_that_clashes_with_a_stored_one_is_kept_as_stored(
    client: PageClient, engine
) -> None:
    """A minimum above the stored maximum (with the maximum refused) is not saved either:
    the stored pair stays consistent, and both inputs are shown again."""
    client.login(STAFF)
    incident_id = start_report(client)
    client.submit(
        f"/incidents/{incident_id}/report/persons",
        {"affected_min": "10", "affected_max": "50", "action": "save"},
    )
    soup = client.submit_page(
        f"/incidents/{incident_id}/report/persons",
        {"affected_min": "90", "affected_max": "fifty", "action": "save"},
    )
    assert [href for href, _ in _summary(soup)] == ["#affected_max"]
    assert (_form_values(soup)["affected_min"], _form_values(soup)["affected_max"]) == (
        "90",
        "fifty",
    )
    stored = _answers(engine)
    assert (stored["affected_min"], stored["affected_max"]) == (10, 50)


def test_a_correction_is_all_or_nothing(client: PageClient, engine) -> None:
    """A submitted incident's correction is one new version: a refused field saves nothing."""
    client.login(STAFF)
    incident_id = file_incident(client)
    soup = client.submit_page(
        f"/incidents/{incident_id}/report/persons",
        {**MAX_BELOW_MIN, "action": "continue"},
    )
    assert soup.select(".error-summary a") and not soup.select(".notice-warning")
    with Session(engine) as session:
        incident = session.exec(select(Incident)).one()
    assert incident.version == 1 and incident.answers["affected_min"] == 200


# --- Back ----------------------------------------------------------------------------------


def test_back_saves_what_was_typed_and_goes_to_the_previous_step(
    client: PageClient, engine
) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    soup = client.page(f"/incidents/{incident_id}/report/persons")
    back = soup.select_one("button.back-link")
    assert (back["form"], back["name"], back["value"]) == ("step-form", "action", "back")
    default = soup.select('button[type="submit"][form="step-form"], form#step-form button')[0]
    assert default["value"] == "continue", "Enter in a field continues, it never goes back"
    response = client.submit(
        f"/incidents/{incident_id}/report/persons",
        {"affected_min": "12", "affected_group": "Half typed", "action": "back"},
    )
    assert response.headers["location"] == f"/incidents/{incident_id}/report/incident"
    assert _answers(engine) == {"affected_min": 12, "affected_group": "Half typed"}
    # On the first step Back leads to the task list; from the check page back to it.
    first = client.submit(
        f"/incidents/{incident_id}/report/controllers", {"controllers": "acme", "action": "back"}
    )
    assert first.headers["location"] == f"/incidents/{incident_id}/report"
    checked = client.submit(
        f"/incidents/{incident_id}/report/persons",
        {"affected_min": "12", "action": "back", "return": "check"},
    )
    assert checked.headers["location"] == f"/incidents/{incident_id}/report/check"
    assert _answers(engine)["controllers"] == ["acme"]


# --- questions that do not apply -------------------------------------------------------------


def test_health_without_special_categories_is_refused_at_the_field_not_dropped(
    client: PageClient, engine
) -> None:
    """Without JavaScript every question is shown: ticking "Health" but not "Special
    categories" is refused with a message that says what to change; the rest is saved."""
    client.login(STAFF)
    incident_id = start_report(client)
    form = {**STEP_FORMS["data"], "special_categories": "health", "action": "continue"}
    soup = client.submit_page(f"/incidents/{incident_id}/report/data", form)
    assert _summary(soup) == [
        (
            "#special_categories",
            "Which special categories?: This is only asked when special categories are "
            "involved. Change your answer to “Which kinds of personal data are involved?”, "
            "or clear this one",
        )
    ]
    assert _form_values(soup)["special_categories"] == ["health"], "the tick is kept"
    stored = _answers(engine)
    assert stored["data_types"] == ["name_address", "bsn"]
    assert "special_categories" not in stored
    # Taken as meant once "Special categories" is ticked too.
    form["data_types"] = ["name_address", "bsn", "special"]
    assert client.submit(f"/incidents/{incident_id}/report/data", form).status_code == 303
    assert _answers(engine)["special_categories"] == ["health"]


def test_leftover_encryption_details_are_refused_when_not_encrypted(
    client: PageClient, engine
) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    form = {
        "encrypted": "no",
        "encryption_details": "left over from before",
        "action": "continue",
    }
    soup = client.submit_page(f"/incidents/{incident_id}/report/protection", form)
    assert [href for href, _ in _summary(soup)] == ["#encryption_details"]
    assert _answers(engine) == {"encrypted": "no"}


# --- the correction form ---------------------------------------------------------------------


def test_the_correction_form_opens_with_the_current_answers(client: PageClient) -> None:
    client.login(STAFF)
    incident_id = file_incident(client)
    for step, typed in STEP_FORMS.items():
        shown = _form_values(client.page(f"/incidents/{incident_id}/report/{step}"))
        for key, value in typed.items():
            expected = [value] if isinstance(value, str) and key in _multi(step) else value
            if key == "affected_max":
                expected = "1250"
            assert shown.get(key, "") == expected, f"{step}: {key}"


def _multi(step: str) -> set[str]:
    return {q.key for q in STEP_BY_KEY[step].questions if q.kind in {"multi", "controllers"}}


# --- cause "Other" asks "namely" -------------------------------------------------------------


def test_cause_other_asks_namely_in_the_form_and_the_api(
    client: PageClient, engine, api_headers
) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    soup = client.page(f"/incidents/{incident_id}/report/incident")
    namely = soup.select_one("#question-cause_other")
    assert namely["data-show-if-key"] == "cause" and namely["data-show-if-values"] == "other"
    form = {**STEP_FORMS["incident"], "cause": "other", "action": "continue"}
    soup = client.submit_page(f"/incidents/{incident_id}/report/incident", form)
    assert [href for href, _ in _summary(soup)] == ["#cause_other"]
    form["cause_other"] = "A contractor's USB stick left in a train"
    assert client.submit(f"/incidents/{incident_id}/report/incident", form).status_code == 303
    assert _answers(engine)["cause_other"] == "A contractor's USB stick left in a train"

    staff = api_headers(STAFF)
    body = complete_answers(cause="other")
    refused = client.post("/api/v1/incidents", json=body, headers=staff)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["cause_other"]
    filed = file_via_api(client, staff, cause="other", cause_other="Courier lost a parcel")
    incident = client.get(f"/api/v1/incidents/{filed}", headers=staff).json()
    assert incident["answers"]["cause_other"] == "Courier lost a parcel"
    notice = client.page(f"/incidents/{filed}/notices/acme")
    assert "Courier lost a parcel" in notice.text
    report = client.get(f"/incidents/{filed}/report.pdf")
    assert "Andere oorzaak, namelijk Courier lost a parcel" in pdf_text(report.content)


# --- the error summary -------------------------------------------------------------------------


def test_the_error_summary_follows_the_page_and_names_every_field(client: PageClient) -> None:
    client.login(STAFF)
    incident_id = start_report(client)
    form = {
        "affected_min": "many",
        "affected_max": "",
        "affected_group": "x" * 20_000,
        "records_approx": "-3",
        "action": "continue",
    }
    soup = client.submit_page(f"/incidents/{incident_id}/report/persons", form)
    page_order = [
        f"#{field['id']}"
        for field in soup.select("form#step-form [id]")
        if f"#{field['id']}" in {href for href, _ in _summary(soup)}
    ]
    summary = _summary(soup)
    assert [href for href, _ in summary] == page_order
    labels = [q.label.get("en") for q in STEP_BY_KEY["persons"].questions]
    for href, text in summary:
        assert any(label in text for label in labels), f"{href}: {text!r} names no field"


# --- every text field says its limit ---------------------------------------------------------


def test_every_text_field_says_its_limit(client: PageClient, api_headers) -> None:
    """The questionnaire's long answers, the correction note, the officer's reasons, the
    estimate, the questions and the letter: each textarea has a maxlength the server also
    applies, and the counter's text (breachdesk.js fills in the count as one types)."""
    client.login(STAFF)
    incident_id = file_incident(client)
    step = client.page(f"/incidents/{incident_id}/report/incident")
    boxes = step.select("textarea")
    assert boxes and all(b.has_attr("maxlength") for b in boxes), "every box of a step"
    summary = step.select_one("#summary")
    assert summary["maxlength"] == "10000"
    assert summary["data-counter"] == "{count} of 10,000 characters"
    assert step.select_one("#note")["maxlength"] == "2000"
    send_all(client, incident_id)
    client.login(OFFICER_ACME)
    base = f"/incidents/{incident_id}/notices/acme"
    for path, limits in (
        ("/decision", {"authority_reason": "4000", "data_subjects_reason": "4000"}),
        ("/assessment", {"reason": "4000"}),
        ("", {"question-body": "4000"}),
        ("/letter", {"letter": "20000"}),
    ):
        page = client.page(base + path)
        for field, limit in limits.items():
            box = page.select_one(f"textarea#{field}")
            assert box is not None and box["maxlength"] == limit, f"{path}: {field}"
            assert "characters" in box["data-counter"], f"{path}: {field}"


def test_a_correction_note_over_the_limit_is_refused_at_its_field_not_cut(
    client: PageClient, api_headers
) -> None:
    client.login(STAFF)
    incident_id = file_incident(client)
    step = f"/incidents/{incident_id}/report/persons"
    long_note = "n" * 2001  # the column keeps 2,000
    page = client.submit_page(
        step,
        {**STEP_FORMS["persons"], "affected_max": "1400", "note": long_note, "action": "continue"},
    )
    assert page.select_one("#note-error") and "2000" in page.select_one("#note-error").text
    assert page.select_one("#note").text == long_note, "kept"
    links = [a["href"] for a in page.select(".error-summary a")]
    assert links == ["#note"]
    assert "What changed and why" in page.select_one(".error-summary").text
    fits = {
        **STEP_FORMS["persons"],
        "affected_max": "1400",
        "note": "n" * 2000,
        "action": "continue",
    }
    assert client.submit(step, fits).status_code == 303
    api = client.patch(
        f"/api/v1/incidents/{incident_id}",
        json={"affected_max": 1500, "note": "m" * 2001},
        headers=api_headers(STAFF),
    )
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "note"
