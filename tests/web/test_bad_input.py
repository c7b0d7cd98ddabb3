"""Bad input through HTTP, table by table: dates at the ends of the calendar in every
date-time of the answers, the acts and the register filters; tampered page cursors; JSON
nested 1,000 deep; path integers beyond 64 bits on every ``{…:int}`` route; NUL bytes in
queries, path segments, JSON and form bodies. Every case must be refused with a 4xx that
names the field (or, for text, have the NUL dropped), never answer 500, and write nothing.

Each test walks its whole table and reports every case that went wrong at once."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup
from httpx import Response
from sqlalchemy import Text, cast, func, select
from sqlmodel import Session

from incidents.models import metadata
from incidents.register import SORTS
from tests.factories import complete_answers
from tests.helpers import ADMIN, OFFICER_ACME, STAFF, PageClient, app_routes, check_page
from tests.web.journey import STEP_FORMS
from tests.web.notice_helpers import file_via_api, send_all

pytestmark = pytest.mark.usefixtures("demo")

DATE_KEYS = ("occurred_on", "occurred_from", "occurred_until", "discovered_at")
# ISO 8601 values the API may be sent: the ends of the calendar, with and without an
# offset that carries them over the edge, and years outside 1900-2100.
BAD_INSTANTS = {
    "9999 minus an offset overflows": "9999-12-31T23:59:00-01:00",
    "9999 in UTC": "9999-12-31T23:59:59Z",
    "0001 plus an offset underflows": "0001-01-01T00:00:00+01:00",
    "0001 in UTC": "0001-01-01T00:00:00Z",
    "the day 9999-12-31": "9999-12-31",
    "the day 0001-01-01": "0001-01-01",
    "1899": "1899-12-31T12:00:00+01:00",
    "2101": "2101-01-01T12:00:00+01:00",
}
# Day, month, year, time as typed in the browser's date fields.
BAD_DATE_PARTS = {
    "31 12 9999, no time": ("31", "12", "9999", ""),
    "31 12 9999 23:59": ("31", "12", "9999", "23:59"),
    "1 1 0001, no time": ("1", "1", "0001", ""),
    "1 1 0001 00:00": ("1", "1", "0001", "00:00"),
    "31 12 1899 12:00": ("31", "12", "1899", "12:00"),
    "1 1 2101 12:00": ("1", "1", "2101", "12:00"),
}
BAD_PERIODS = {
    "until the last day": "9999-12-31",
    "since the first day": "0001-01-01",
    "9999 minus an offset": "9999-12-31T23:59:00-01:00",
    "0001 plus an offset": "0001-01-01T00:00:00+01:00",
    "1899": "1899-12-31",
    "2101": "2101-01-01",
}
REGISTER_URLS = (
    "/incidents",
    "/incidents/export.csv",
    "/incidents/export.json",
    "/incidents/export.pdf",
    "/api/v1/incidents",
    "/api/v1/register.pdf",
)
NUL = "\x00"
# Rows that bad input must never add (sessions and login records belong to logging in).
WRITTEN = (
    "incident",
    "incident_version",
    "notice",
    "notice_send",
    "notice_message",
    "decision_version",
    "assessment_override",
    "obligation_record",
    "outbox_message",
    "reference_counter",
    "audit_event",
    "organisation",
    "user_account",
    "api_token",
)


# --- the world the cases run in ---------------------------------------------------------


class World:
    def __init__(self, app, client: PageClient, make_client, api_headers, engine) -> None:
        self.app, self.engine = app, engine
        self.staff_api = api_headers(STAFF)
        self.officer_api = api_headers(OFFICER_ACME)
        self.submitted = file_via_api(client, self.staff_api, controllers=["acme", "northwind"])
        send_all(client, self.submitted)
        draft = client.post(
            "/api/v1/incidents",
            # The valid answers the bad forms below send beside the bad one are there
            # already: a draft's page keeps its valid answers even when one is refused.
            json={
                "draft": True,
                "summary": "Draft",
                "controllers": ["acme"],
                **{"affected_min": 120, "affected_max": 450, "affected_group": "Staff"},
                **{"vulnerable_subjects": "no", "occurred_kind": "unknown"},
            },
            headers=self.staff_api,
        )
        assert draft.status_code == 201
        self.draft = draft.json()["id"]
        self.staff = client
        self.staff.login(STAFF)
        self.officer = make_client()
        self.officer.login(OFFICER_ACME)
        self.admin = make_client()
        self.admin.login(ADMIN)
        self.failures: list[str] = []

    def browsers(self) -> tuple[tuple[str, PageClient], ...]:
        """Each role's logged-in browser, by the role's name."""
        return (("staff", self.staff), ("admin", self.admin), ("officer", self.officer))

    def expect_answer_refused(self, label: str, parent_id: str) -> None:
        """An answer to a question that is not there (``parent_id``) finds nothing."""
        self.expect(
            f"answer to question {label}",
            lambda: self.staff.submit(
                f"/incidents/{self.submitted}/notices/acme/questions",
                {"body": "An answer", "parent_id": parent_id},
            ),
            allow=lambda r: r.status_code == 404,
        )

    def counts(self) -> dict[str, int]:
        tables = [t for t in metadata.sorted_tables if t.name in WRITTEN]
        with Session(self.engine) as session:
            return {
                t.name: session.execute(select(func.count()).select_from(t)).scalar_one()
                for t in tables
            }

    def answers(self, incident_id: str) -> dict[str, Any]:
        response = self.staff.get(f"/api/v1/incidents/{incident_id}", headers=self.staff_api)
        body = response.json()
        return {"version": body["version"], "answers": body["answers"]}

    def expect(
        self,
        case: str,
        send: Callable[[], Response],
        *,
        fields: tuple[str, ...] = (),
        allow: Callable[[Response], bool] | None = None,
    ) -> Response | None:
        """Send one bad request: a 4xx naming one of ``fields`` (a prefix of the field or
        of the link in the page's error summary) and nothing written; or, when ``allow``
        accepts the response, anything but a server error."""
        before = self.counts()
        try:
            response = send()
        except Exception as exc:  # the test client re-raises what the app did not handle
            self.failures.append(f"{case}: raised {type(exc).__name__}: {exc}"[:300])
            return None
        if response.status_code >= 500:
            self.failures.append(f"{case}: {response.status_code}")
            return response
        if allow is not None and allow(response):
            return response
        if not 400 <= response.status_code < 500 and not _form_again(response):
            self.failures.append(f"{case}: not refused ({response.status_code})")
            return response
        try:
            named = _fields_named(response)
        except Exception as exc:  # the page is broken: not valid HTML, a link to nowhere
            self.failures.append(f"{case}: {response.status_code}, {type(exc).__name__}: {exc}")
            return response
        said = any(n.startswith(fields) for n in named) or _says(response, fields)
        if fields and not said:
            self.failures.append(
                f"{case}: {response.status_code}, fields {sorted(named)} not {fields}"
            )
        after = self.counts()
        if after != before:
            changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
            self.failures.append(f"{case}: wrote {changed}")
        return response

    def done(self) -> None:
        assert not self.failures, f"{len(self.failures)} bad cases:\n" + "\n".join(self.failures)


def _form_again(response: Response) -> bool:
    """A page with the form again and an error summary (a 200 is how forms answer)."""
    return response.headers.get("content-type", "").startswith("text/html") and (
        'class="error-summary"' in response.text
    )


def _says(response: Response, fields: tuple[str, ...]) -> bool:
    """A 400 page (not a form) whose message names the field, or a form whose message
    stands alone because the field is not on the page (the register's page link)."""
    if not response.headers.get("content-type", "").startswith("text/html"):
        return False
    soup = BeautifulSoup(response.text, "html5lib")
    unlinked = [li for li in soup.select(".error-summary li") if not li.select("a")]
    text = " ".join(soup.get_text(" ").split())
    return response.status_code == 400 and (bool(unlinked) or any(f"“{f}”" in text for f in fields))


def _fields_named(response: Response) -> set[str]:
    kind = response.headers.get("content-type", "")
    if kind.startswith("application/json"):
        return {str(e.get("field")) for e in response.json().get("errors", [])}
    if kind.startswith("text/html"):
        soup = check_page(response.text)
        return {a["href"].lstrip("#") for a in soup.select(".error-summary a")}
    return set()


@pytest.fixture
def world(app, client: PageClient, make_client, api_headers, engine) -> World:
    return World(app, client, make_client, api_headers, engine)


def _date_change(key: str, value: str) -> dict[str, Any]:
    """Answers that put ``value`` into the date question ``key`` (and make it apply)."""
    if key == "occurred_on":
        return {"occurred_kind": "on", "occurred_from": None, "occurred_until": None, key: value}
    return {key: value}


# --- dates --------------------------------------------------------------------------------


def test_dates_at_the_ends_of_the_calendar_in_api_answers(world: World) -> None:
    staff, headers = world.staff, world.staff_api
    for key in DATE_KEYS:
        for label, value in BAD_INSTANTS.items():
            change = _date_change(key, value)
            world.expect(
                f"POST {key} {label}",
                lambda c=change: staff.post(
                    "/api/v1/incidents", json=complete_answers(**c), headers=headers
                ),
                fields=(key,),
            )
            draft = {"draft": True, **{k: v for k, v in change.items() if v is not None}}
            world.expect(
                f"POST draft {key} {label}",
                lambda d=draft: staff.post("/api/v1/incidents", json=d, headers=headers),
                fields=(key,),
            )
            for name, incident_id in (("submitted", world.submitted), ("draft", world.draft)):
                before = world.answers(incident_id)
                world.expect(
                    f"PATCH {name} {key} {label}",
                    lambda c=change, i=incident_id: staff.patch(
                        f"/api/v1/incidents/{i}", json=c, headers=headers
                    ),
                    fields=(key,),
                )
                if world.answers(incident_id) != before:
                    world.failures.append(f"PATCH {name} {key} {label}: answers changed")
    world.done()


def test_the_year_rule_is_said_at_the_field(world: World) -> None:
    """Dates must lie in the years 1900 to 2100: said where the date was given."""
    rule = "Give a year from 1900 to 2100"
    api = world.staff.post(
        "/api/v1/incidents",
        json=complete_answers(discovered_at="1899-12-31T10:00:00+01:00"),
        headers=world.staff_api,
    )
    assert api.status_code == 422
    assert {"field": "discovered_at", "message": rule} in api.json()["errors"]
    form = {
        **{
            f"discovered_at-{p}": v
            for p, v in zip(
                ("day", "month", "year", "time"), ("31", "12", "9999", "23:59"), strict=True
            )
        },
        "occurred_kind": "unknown",
        "action": "continue",
    }
    page = world.staff.submit(f"/incidents/{world.draft}/report/when", form)
    soup = check_page(page.text)
    assert soup.select_one("#discovered_at-year-error").get_text(" ", strip=True).endswith(rule)
    summary = soup.select_one(".error-summary a[href='#discovered_at-year']").get_text()
    assert summary == f"When did you become aware of it?: {rule}"
    assert soup.select_one("#discovered_at-year")["value"] == "9999"
    listing = world.staff.get("/api/v1/incidents?until=9999-12-31", headers=world.staff_api)
    assert listing.status_code == 400
    assert listing.json()["errors"] == [{"field": "until", "message": rule}]
    register = world.staff.get("/incidents?since=0001-01-01")
    assert register.status_code == 400
    link = check_page(register.text).select_one(".error-summary a[href='#since']")
    assert link is not None and link.get_text() == rule
    act = world.officer.post(
        f"/api/v1/incidents/{world.submitted}/notices/acme/authority-notified",
        json={"notified_at": "0001-01-01T00:00:00+01:00", "reference": "X"},
        headers=world.officer_api,
    )
    assert act.status_code == 422
    assert act.json()["errors"] == [{"field": "notified_at", "message": rule}]


def test_dates_at_the_ends_of_the_calendar_in_step_pages(world: World) -> None:
    """The "when" step of a draft and the correction form of a submitted incident: the
    form again with the message at the date and what was typed kept."""
    staff = world.staff
    for key in DATE_KEYS:
        for label, (day, month, year, clock) in BAD_DATE_PARTS.items():
            form = {
                "occurred_kind": "on" if key == "occurred_on" else "between",
                "occurred_from-day": "20",
                "occurred_from-month": "3",
                "occurred_from-year": "2026",
                "occurred_until-day": "27",
                "occurred_until-month": "3",
                "occurred_until-year": "2026",
                "discovered_at-day": "27",
                "discovered_at-month": "3",
                "discovered_at-year": "2026",
                "discovered_at-time": "10:00",
                "occurred_on-day": "20",
                "occurred_on-month": "3",
                "occurred_on-year": "2026",
                f"{key}-day": day,
                f"{key}-month": month,
                f"{key}-year": year,
                f"{key}-time": clock,
                "action": "continue",
            }
            for name, incident_id in (("submitted", world.submitted), ("draft", world.draft)):
                if name == "draft":
                    # A draft keeps the valid answers of a page with a refused one: they
                    # are saved first, so that the refused date alone is what is sent.
                    valid = {**form, f"{key}-year": "2026", f"{key}-time": "", "action": "save"}
                    valid.update({f"{key}-day": "20", f"{key}-month": "3"})
                    staff.submit(f"/incidents/{incident_id}/report/when", valid)
                before = world.answers(incident_id)
                response = world.expect(
                    f"step {name} {key} {label}",
                    lambda f=form, i=incident_id: staff.submit(f"/incidents/{i}/report/when", f),
                    fields=(key,),
                )
                if response is not None and response.status_code < 500:
                    soup = BeautifulSoup(response.text, "html5lib")
                    typed = soup.select_one(f"#{key}-year")
                    if typed is None or typed.get("value") != year:
                        world.failures.append(f"step {name} {key} {label}: year not kept")
                if world.answers(incident_id) != before:
                    world.failures.append(f"step {name} {key} {label}: answers changed")
    world.done()


def test_dates_at_the_ends_of_the_calendar_in_acts(world: World) -> None:
    """The officer records when the authority was notified and the persons informed."""
    officer, headers = world.officer, world.officer_api
    base = f"/incidents/{world.submitted}/notices/acme"
    acts = {
        "gdpr_authority": ("notified_at", "reference"),
        "gdpr_data_subjects": ("informed_at", "channel"),
    }
    for key, (when, what) in acts.items():
        for label, value in BAD_INSTANTS.items():
            api_path = "authority-notified" if key == "gdpr_authority" else "data-subjects-informed"
            world.expect(
                f"API act {key} {label}",
                lambda p=api_path, w=when, t=what, v=value: officer.post(
                    f"/api/v1/incidents/{world.submitted}/notices/acme/{p}",
                    json={w: v, t: "X-1"},
                    headers=headers,
                ),
                fields=(when,),
            )
        for label, (day, month, year, clock) in BAD_DATE_PARTS.items():
            form = {
                f"{key}-{when}-day": day,
                f"{key}-{when}-month": month,
                f"{key}-{when}-year": year,
                f"{key}-{when}-time": clock or "10:00",
                f"{key}-{what}": "X-1",
            }
            world.expect(
                f"page act {key} {label}",
                lambda k=key, f=form: officer.submit(f"{base}/acts/{k}", f),
                fields=(f"{key}-{when}",),
            )
    world.done()


def test_register_filters_at_the_ends_of_the_calendar(world: World) -> None:
    for role, browser, headers in (
        ("staff", world.staff, world.staff_api),
        ("officer", world.officer, world.officer_api),
    ):
        for url in REGISTER_URLS:
            for param in ("since", "until"):
                for label, value in BAD_PERIODS.items():
                    world.expect(
                        f"{role} {url}?{param}={value} ({label})",
                        lambda u=url, p=param, v=value, b=browser, h=headers: b.get(
                            u, params={p: v}, headers=h if u.startswith("/api/") else None
                        ),
                        fields=(param,),
                    )
    world.done()


def test_a_reversed_period_is_refused_at_until_on_every_register_door(world: World) -> None:
    """Issue 13: since after until found nothing without a word; now every door says so
    at ``until``, and the page keeps both dates in their fields."""
    reversed_period = {"since": "2026-05-01", "until": "2026-04-01"}
    for role, browser, headers in (
        ("staff", world.staff, world.staff_api),
        ("officer", world.officer, world.officer_api),
    ):
        for url in REGISTER_URLS:
            world.expect(
                f"{role} {url} reversed period",
                lambda u=url, b=browser, h=headers: b.get(
                    u, params=reversed_period, headers=h if u.startswith("/api/") else None
                ),
                fields=("until",),
            )
    world.done()
    page = world.staff.get("/incidents", params=reversed_period)
    soup = check_page(page.text)
    assert soup.select_one("#since")["value"] == "2026-05-01"
    assert soup.select_one("#until")["value"] == "2026-04-01"
    assert "swap the two dates" in soup.select_one(".error-summary").get_text()


def test_numbers_with_thousands_of_digits(world: World) -> None:
    """Python refuses to convert more than 4,300 digits: the form's and the API's numbers."""
    huge = "9" * 5000
    for name, incident_id in (("submitted", world.submitted), ("draft", world.draft)):
        form = {
            "affected_min": huge,
            "affected_max": "-" + huge,
            "affected_group": "Staff",
            "vulnerable_subjects": "no",
            "action": "continue",
        }
        world.expect(
            f"step persons {name} 5,000 digits",
            lambda i=incident_id, f=form: world.staff.submit(f"/incidents/{i}/report/persons", f),
            fields=("affected_min", "affected_max"),
        )
        world.expect(
            f"PATCH {name} 5,000 digits",
            lambda i=incident_id: world.staff.patch(
                f"/api/v1/incidents/{i}",
                content=b'{"affected_max": ' + huge.encode() + b"}",
                headers={**world.staff_api, "content-type": "application/json"},
            ),
        )
    world.expect(
        "API list limit 5,000 digits",
        lambda: world.staff.get(
            "/api/v1/incidents", params={"limit": huge}, headers=world.staff_api
        ),
        fields=("limit",),
    )
    world.expect(
        "changes from 5,000 digits",
        lambda: world.staff.get(f"/incidents/{world.submitted}/changes", params={"from": huge}),
        allow=lambda r: r.status_code == 404,
    )
    world.done()


# Digits that are not 0-9: Python's str.isdigit() says yes to all of them, int() reads the
# Arabic-Indic and full-width ones and raises on the others. A number is typed with 0-9.
UNICODE_DIGITS = {
    "superscript two": "²",
    "Arabic-Indic three": "٣",
    "circled one": "①",
    "full-width one": "１",
}
WHEN_FORM = {
    "occurred_kind": "unknown",
    "discovered_at-day": "27",
    "discovered_at-month": "3",
    "discovered_at-year": "2026",
    "discovered_at-time": "10:00",
}
# Each date part with one of its digits replaced: (part, value before, value after).
DATE_PART_DIGITS = (("day", "2{}"), ("month", "{}"), ("year", "202{}"), ("time", "1{}:00"))


def test_unicode_digits_in_every_number(world: World) -> None:
    """Every number of the forms (persons, date parts, the version of a correction, an
    organisation's hours, the question answered) and of the queries (the API's limit, the
    versions compared), with a digit that is not 0-9: refused at its field, or the page
    not found, never a 500 and never read as a number."""
    staff, officer, admin = world.staff, world.officer, world.admin
    for label, digit in UNICODE_DIGITS.items():
        for name, incident_id in (("submitted", world.submitted), ("draft", world.draft)):
            for field in ("affected_min", "affected_max"):
                form = {
                    "affected_min": "120",
                    "affected_max": "450",
                    "affected_group": "Staff",
                    "vulnerable_subjects": "no",
                    field: f"1{digit}0",
                    "action": "continue",
                }
                world.expect(
                    f"step persons {name} {field} {label}",
                    lambda i=incident_id, f=form: staff.submit(f"/incidents/{i}/report/persons", f),
                    fields=(field,),
                )
            for part, pattern in DATE_PART_DIGITS:
                form = {
                    **WHEN_FORM,
                    f"discovered_at-{part}": pattern.format(digit),
                    "action": "continue",
                }
                world.expect(
                    f"step when {name} discovered_at-{part} {label}",
                    lambda i=incident_id, f=form: staff.submit(f"/incidents/{i}/report/when", f),
                    fields=("discovered_at",),
                )
        for number in (digit, f"1{digit}", f"{digit}1"):
            form = {**STEP_FORMS["persons"], "version": number, "action": "continue"}
            world.expect(
                f"correction form version {number!r}",
                lambda f=form: staff.submit(f"/incidents/{world.submitted}/report/persons", f),
            )
        for key, when in (("gdpr_authority", "notified_at"), ("gdpr_data_subjects", "informed_at")):
            text = "reference" if key == "gdpr_authority" else "channel"
            for part, pattern in DATE_PART_DIGITS:
                form = {
                    f"{key}-{when}-day": "28",
                    f"{key}-{when}-month": "3",
                    f"{key}-{when}-year": "2026",
                    f"{key}-{when}-time": "10:00",
                    f"{key}-{text}": "X-1",
                }
                form[f"{key}-{when}-{part}"] = pattern.format(digit)
                world.expect(
                    f"act {key} {part} {label}",
                    lambda k=key, f=form: officer.submit(
                        f"/incidents/{world.submitted}/notices/acme/acts/{k}", f
                    ),
                    fields=(f"{key}-{when}",),
                )
        organisation = {
            "name": "Digits B.V.",
            "language": "en",
            "emails": "privacy@digits.example",
            "contract_hours": f"3{digit}",
        }
        world.expect(
            f"new organisation contract_hours {label}",
            lambda o=organisation, d=digit: admin.submit(
                "/admin/organisations/new", {**o, "slug": f"digits-{ord(d)}"}
            ),
            fields=("contract_hours",),
        )
        world.expect(
            f"organisation contract_hours {label}",
            lambda o=organisation: admin.submit("/admin/organisations/acme", o),
            fields=("contract_hours",),
        )
        world.expect_answer_refused(label, digit)
        for value in (digit, f"1{digit}", f"{digit}0"):
            world.expect(
                f"API list limit {value!r}",
                lambda v=value: staff.get(
                    "/api/v1/incidents", params={"limit": v}, headers=world.staff_api
                ),
                fields=("limit",),
            )
            for param in ("from", "to"):
                world.expect(
                    f"changes {param}={value!r}",
                    lambda p=param, v=value: staff.get(
                        f"/incidents/{world.submitted}/changes", params={p: v}
                    ),
                    allow=lambda r: r.status_code == 404,
                )
        world.expect(
            f"If-Match {label}",
            lambda d=digit: staff.patch(
                f"/api/v1/incidents/{world.submitted}",
                json={"affected_max": 451},
                headers={**world.staff_api, "If-Match": f'"{d}"'.encode()},
            ),
            fields=("If-Match",),
        )
    # Numbers too long for a column: the hours of an organisation, the question answered.
    for huge in ("9" * 20, "9" * 5000):
        world.expect(
            f"organisation contract_hours of {len(huge)} digits",
            lambda h=huge: admin.submit(
                "/admin/organisations/acme",
                {
                    "name": "Acme",
                    "language": "en",
                    "emails": "privacy@acme.example",
                    "contract_hours": h,
                },
            ),
            fields=("contract_hours",),
        )
        world.expect_answer_refused(f"{len(huge)} digits", huge)
    world.done()


# --- page cursors -------------------------------------------------------------------------


def _cursor(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


ROW = str(uuid.uuid4())
ALWAYS_BAD = {
    "text": _cursor(["not a date", ROW]),
    "an object": _cursor([{"a": 1}, ROW]),
    "a list": _cursor([[1], ROW]),
    "a naive date-time": _cursor(["2026-03-27T10:00:00", ROW]),
    "a date-time, no id": _cursor(["2026-03-27T10:00:00+00:00"]),
    "three items": _cursor(["2026-03-27T10:00:00+00:00", ROW, 1]),
    "empty list": _cursor([]),
    "a string": _cursor("2026-03-27T10:00:00+00:00"),
    "an object cursor": _cursor({"value": 1, "id": ROW}),
    "null": _cursor(None),
    "a number": _cursor(5),
    "the id a number": _cursor(["2026-03-27T10:00:00+00:00", 5]),
    "the id an object": _cursor(["2026-03-27T10:00:00+00:00", {"id": ROW}]),
    "the id not a uuid": _cursor(["2026-03-27T10:00:00+00:00", "not-a-uuid"]),
    "the id null": _cursor(["2026-03-27T10:00:00+00:00", None]),
    "a huge number": _cursor([99999999999999999999999, ROW]),
    "a negative number": _cursor([-5, ROW]),
    "a fraction": _cursor([1.5, ROW]),
    "true": _cursor([True, ROW]),
    "not a number": _cursor(b'[NaN, "' + ROW.encode() + b'"]'),
    "infinity": _cursor(b'[1e400, "' + ROW.encode() + b'"]'),
    "year 9999 minus an offset": _cursor(["9999-12-31T23:59:59-01:00", ROW]),
    "year 0001 plus an offset": _cursor(["0001-01-01T00:00:00+01:00", ROW]),
    "base64 garbage": "!!!***",
    "not base64 of JSON": base64.urlsafe_b64encode(b"\xff\xfe\x00garbage").decode(),
    "long": "A" * 5000,
    "NUL": NUL,
}
# Values that are right for some sorts only: (cursor, the sorts it fits).
FITS = {
    "a date-time": (
        _cursor(["2026-03-27T10:00:00+00:00", ROW]),
        {"newest", "oldest", "discovered", "discovered_oldest"},
    ),
    "null (among the empty values)": (
        _cursor([None, ROW]),
        {"discovered", "discovered_oldest", "persons"},
    ),
    "a whole number": (_cursor([250, ROW]), {"persons"}),
    "a small number": (_cursor([5, ROW]), {"persons"}),
}


def test_tampered_cursors(world: World) -> None:
    for role, browser, headers in (
        ("staff", world.staff, world.staff_api),
        ("officer", world.officer, world.officer_api),
    ):
        for url in ("/incidents", "/api/v1/incidents"):
            h = headers if url.startswith("/api/") else None
            for sort in SORTS:
                cases = {label: (cursor, False) for label, cursor in ALWAYS_BAD.items()}
                cases |= {label: (cursor, sort in sorts) for label, (cursor, sorts) in FITS.items()}
                for label, (cursor, fits) in cases.items():
                    world.expect(
                        f"{role} {url} sort={sort} cursor {label}",
                        lambda u=url, s=sort, c=cursor, h=h, b=browser: b.get(
                            u, params={"sort": s, "cursor": c}, headers=h
                        ),
                        fields=("cursor",),
                        allow=(lambda r: r.status_code == 200) if fits else None,
                    )
    # A genuine cursor of every sort still leads to the next page.
    for sort in SORTS:
        first = world.staff.get(
            "/api/v1/incidents", params={"sort": sort, "limit": 1}, headers=world.staff_api
        ).json()
        assert first["next_cursor"], sort
        second = world.staff.get(
            "/api/v1/incidents",
            params={"sort": sort, "limit": 1, "cursor": first["next_cursor"]},
            headers=world.staff_api,
        )
        assert second.status_code == 200, (sort, second.text)
        assert second.json()["items"][0]["id"] != first["items"][0]["id"]
        page = world.staff.get("/incidents", params={"sort": sort, "cursor": first["next_cursor"]})
        assert page.status_code == 200, sort
    world.done()


# --- JSON nested deep ---------------------------------------------------------------------


def test_json_nested_a_thousand_deep(world: World) -> None:
    bodies = {
        "lists": b"[" * 1000 + b"]" * 1000,
        "objects": b'{"a":' * 1000 + b"1" + b"}" * 1000,
        "an answer": b'{"summary":' + b"[" * 1000 + b"]" * 1000 + b"}",
        "100,000 lists": b"[" * 100_000 + b"]" * 100_000,
    }
    routes = [
        (method, path)
        for method, path in app_routes(world.app)
        if path.startswith("/api/") and method in {"POST", "PATCH", "PUT"}
    ]
    assert len(routes) >= 6
    without_body = ("/send", "/acknowledge")  # they read no body: a 200 is theirs to give
    for method, pattern in routes:
        path = re.sub(r"\{incident_id:uuid\}", world.submitted, pattern)
        path = re.sub(r"\{controller:str\}", "acme", path)
        for label, body in bodies.items():
            for who, headers in (("staff", world.staff_api), ("officer", world.officer_api)):
                world.expect(
                    f"{who} {method} {path} {label}",
                    lambda m=method, p=path, b=body, h=headers: world.staff.request(
                        m, p, content=b, headers={**h, "content-type": "application/json"}
                    ),
                    fields=("body",),
                    allow=lambda r, p=pattern: (
                        r.status_code in {403, 404}
                        or (p.endswith(without_body) and r.status_code == 200)
                    ),
                )
    world.done()


# --- path integers beyond 64 bits ---------------------------------------------------------

HUGE = (
    "9223372036854775808",
    "99999999999999999999999",
    "-9223372036854775809",
    # Within 64 bits, beyond the 32-bit id columns (PostgreSQL refused one with a 500).
    "2147483648",
    "-347080064981",
)
PATH_VALUES = {
    "slug": "acme",
    "controller": "acme",
    "key": "gdpr_authority",
    "fmt": "pdf",
    "step_key": "incident",
}


def test_path_integers_beyond_64_bits_on_every_int_route(world: World) -> None:
    routes = [(m, p) for m, p in app_routes(world.app) if ":int}" in p]
    assert len(routes) >= 8, routes
    for method, pattern in routes:
        for huge in HUGE:

            def fill(match: re.Match[str], huge: str = huge) -> str:
                name, kind = match.group(1), match.group(2)
                if kind == "int":
                    return huge
                return world.submitted if name == "incident_id" else PATH_VALUES[name]

            url = re.sub(r"\{(\w+):(\w+)\}", fill, pattern)
            for who, browser in world.browsers():
                world.expect(
                    f"{who} {method} {url}",
                    lambda m=method, u=url, b=browser: (
                        b.get(u) if m == "GET" else b.submit(u, {"name": "x", "password": "x" * 20})
                    ),
                )
    world.done()


# --- NUL bytes ----------------------------------------------------------------------------


def _no_nul_stored(world: World) -> list[str]:
    """Columns that hold a NUL: as a character in text, or escaped in JSON. (SQLite keeps
    what it is given; PostgreSQL refuses NUL in text and JSONB, so there is nothing to find.)"""
    if world.engine.dialect.name != "sqlite":
        return []
    found = []
    with world.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for column in table.columns:
                kind = type(column.type).__name__
                if "JSON" in repr(column.type):
                    condition = func.instr(cast(column, Text), "\\u0000") > 0
                elif kind in {"String", "Text", "AutoString", "Enum"}:
                    condition = func.instr(column, func.char(0)) > 0
                else:
                    continue
                hits = connection.execute(
                    select(func.count()).select_from(table).where(condition)
                ).scalar_one()
                if hits:
                    found.append(f"{table.name}.{column.name}")
    return found


def _sender(method: str, url: str, browser: PageClient, headers: Any, *, api: bool) -> Callable:
    if api:
        return lambda: browser.request(method, url, headers=headers, json={})
    if method == "GET":
        return lambda: browser.get(url)
    return lambda: browser.submit(url, {"reason": "x", "body": "x"})


def test_nul_in_queries_and_path_segments(world: World) -> None:
    for role, browser, headers in (
        ("staff", world.staff, world.staff_api),
        ("officer", world.officer, world.officer_api),
    ):
        for url in REGISTER_URLS:
            h = headers if url.startswith("/api/") else None
            for param in (
                "q",
                "controller",
                "status",
                "sort",
                "since",
                "until",
                "cursor",
                "lang",
                "limit",
            ):
                for value in (NUL, f"ac{NUL}me"):
                    world.expect(
                        f"{role} {url}?{param}={value!r}",
                        lambda u=url, p=param, v=value, b=browser, h=h: b.get(
                            u, params={p: v}, headers=h
                        ),
                        fields=(param,),
                        # Text searched for or filtered by: the NUL is dropped.
                        allow=(lambda r: r.status_code == 200)
                        if param in {"q", "controller"}
                        else None,
                    )
    routes = [(m, p) for m, p in app_routes(world.app) if ":str}" in p]
    assert len(routes) >= 20
    for method, pattern in routes:
        names = re.findall(r"\{(\w+):str\}", pattern)
        for bad_name in names:
            for bad in (NUL, f"ac{NUL}me"):

                def fill(match: re.Match[str], bad_name: str = bad_name, bad: str = bad) -> str:
                    name = match.group(1)
                    if name == bad_name:
                        return bad.replace(NUL, "%00")
                    return world.submitted if name == "incident_id" else PATH_VALUES.get(name, "1")

                url = re.sub(r"\{(\w+):(\w+)\}", fill, pattern)
                for role, browser, headers in (
                    ("staff", world.staff, world.staff_api),
                    ("officer", world.officer, world.officer_api),
                    ("admin", world.admin, None),
                ):
                    if pattern.startswith("/api/") and headers is None:
                        continue
                    send = _sender(method, url, browser, headers, api=pattern.startswith("/api/"))
                    world.expect(f"{role} {method} {url}", send)
    world.done()


def test_nul_in_json_bodies(world: World) -> None:
    """Every text of the API bodies with a NUL: the NUL is dropped from text, or the value
    refused with its field named; never a 500, and no NUL is stored."""
    staff, headers = world.staff, world.staff_api
    answers = complete_answers(controllers=["acme", "northwind"])
    for key, value in answers.items():
        if isinstance(value, str):
            bad: Any = value[:5] + NUL + value[5:]
        elif isinstance(value, list) and value and isinstance(value[0], str):
            bad = [value[0] + NUL, *value[1:]]
        else:
            continue

        def text_dropped(response: Response, key: str = key) -> bool:
            return response.status_code in {200, 201} and NUL not in json.dumps(
                response.json()["answers"].get(key)
            ).replace("\\u0000", NUL)

        world.expect(
            f"POST {key} with NUL",
            lambda k=key, b=bad: staff.post(
                "/api/v1/incidents", json={**answers, k: b}, headers=headers
            ),
            fields=(key,),
            allow=text_dropped,
        )
        world.expect(
            f"PATCH {key} with NUL",
            lambda k=key, b=bad: staff.patch(
                f"/api/v1/incidents/{world.submitted}", json={k: b}, headers=headers
            ),
            fields=(key,),
            allow=text_dropped,
        )
    world.expect(
        "a key with NUL",
        lambda: staff.post(
            "/api/v1/incidents", json={**answers, f"sum{NUL}mary": "x"}, headers=headers
        ),
        fields=("sum",),
    )
    world.expect(
        "PATCH note with NUL",
        lambda: staff.patch(
            f"/api/v1/incidents/{world.submitted}",
            json={"affected_max": 451, "note": f"More{NUL} found"},
            headers=headers,
        ),
        fields=("note",),
        allow=lambda r: r.status_code == 200,
    )
    officer = world.officer_api
    base = f"/api/v1/incidents/{world.submitted}/notices/acme"
    officer_bodies = {
        "decision": {
            "is_breach": True,
            "notify_authority": True,
            "authority_reason": f"A{NUL}B",
            "inform_data_subjects": False,
            "data_subjects_reason": f"C{NUL}D",
        },
        "decision ground": {
            "is_breach": True,
            "notify_authority": True,
            "authority_reason": "A",
            "inform_data_subjects": False,
            "art34_ground": f"risk{NUL}_removed",
        },
        "assessment": {
            "level": f"low{NUL}",
            "notify_authority": True,
            "inform_data_subjects": False,
            "reason": "x",
        },
        "assessment reason": {
            "level": "low",
            "notify_authority": True,
            "inform_data_subjects": False,
            "reason": f"x{NUL}y",
        },
        "authority-notified": {"notified_at": f"2026-03-28T10:00:00+01:00{NUL}", "reference": "X"},
        "authority-notified reference": {
            "notified_at": "2026-03-28T10:00:00+01:00",
            "reference": f"X{NUL}1",
        },
        "data-subjects-informed": {
            "informed_at": "2026-03-28T10:00:00+01:00",
            "channel": f"mail{NUL}",
        },
    }
    for label, body in officer_bodies.items():
        path = label.split(" ")[0]
        world.expect(
            f"officer {label} with NUL",
            lambda p=path, b=body: world.officer.post(f"{base}/{p}", json=b, headers=officer),
            allow=lambda r: r.status_code == 200,
        )
    stored = _no_nul_stored(world)
    if stored:
        world.failures.append(f"NUL stored in {stored}")
    world.done()


FORM_FIELDS = (
    "body",
    "letter",
    "is_breach",
    "reason",
    "level",
    "summary",
    "note",
    "name",
    "email",
    "password",
    "current_password",
    "new_password",
    "role",
    "slug",
    "contact_email",
    "q",
    "action",
    "return",
    "question",
    "answer",
)


def test_nul_in_every_form(world: World) -> None:
    """Every form of the site, sent with a NUL in each field it might read, by each role:
    refused or the NUL dropped, never a 500, never stored."""
    posts = [p for m, p in app_routes(world.app) if m == "POST" and not p.startswith("/api/")]
    assert len(posts) >= 20
    skip = {"/logout", "/login"}
    for pattern in posts:
        if pattern in skip:
            continue
        url = re.sub(
            r"\{(\w+):(\w+)\}",
            lambda m: (
                world.submitted
                if m.group(1) == "incident_id"
                else {"int": "1"}.get(m.group(2), PATH_VALUES.get(m.group(1), "1"))
            ),
            pattern,
        )
        form = {name: f"x{NUL}y" for name in FORM_FIELDS}
        for role, browser in world.browsers():
            world.expect(
                f"{role} POST {url}",
                lambda u=url, b=browser, f=form: b.submit(u, f),
                allow=lambda r: r.status_code in {200, 303},
            )
    # The steps of the questionnaire, each field of each step with a NUL.
    for step in (
        "controllers",
        "incident",
        "persons",
        "when",
        "nature",
        "data",
        "protection",
        "consequences",
        "measures",
        "countries",
        "contact",
    ):
        page = world.staff.get(f"/incidents/{world.submitted}/report/{step}")
        soup = BeautifulSoup(page.text, "html5lib")
        names = {
            f["name"]
            for f in soup.select("form.question-form [name]")
            if f["name"] != "_csrf_token"
        }
        for name in sorted(names):
            for incident_id in (world.draft, world.submitted):
                world.expect(
                    f"step {step} {name} with NUL",
                    lambda s=step, n=name, i=incident_id: world.staff.submit(
                        f"/incidents/{i}/report/{s}", {n: f"a{NUL}b", "action": "save"}
                    ),
                    allow=lambda r: r.status_code in {200, 303},
                )
    stored = _no_nul_stored(world)
    if stored:
        world.failures.append(f"NUL stored in {stored}")
    world.done()
