"""The register: one page of it (the browser's page and the API's list), and its exports
(CSV, JSON, and the PDF for a period)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from forms.questionnaire import CONTACT_KEYS, QUESTIONS
from forms.values import whole_number
from incidents import audit, register, report, service
from incidents.db import session_scope
from incidents.errors import Invalid, Problem
from incidents.models import Organisation
from incidents.principal import CurrentUser
from incidents.usecases.incidents import IncidentView

FILTER_KEYS = ("status", "controller", "q", "since", "until", "sort", "cursor")


def filters(
    zone: ZoneInfo, params: Mapping[str, str | None], *, limit: str | None = None
) -> register.Filters:
    """The register's filters from query parameters (``limit``: the page size asked for,
    digits only); FilterError (Invalid) names the bad one."""
    size = None
    if limit:
        size = whole_number(limit)
        if size is None:
            raise register.FilterError("limit", f"Use a number from 1 to {register.MAX_LIMIT}")
    values = {key: params.get(key) for key in FILTER_KEYS}
    return register.make_filters(zone, **values, limit=size)


@dataclass
class Page:
    page: register.RegisterPage | None  # None: the filters could not be read
    controllers: list[Organisation]  # staff: every controller, to filter by; officers: none


def page(engine: Engine, user: CurrentUser, chosen: register.Filters | None) -> Page:
    """One page of the register as this principal may see it (``chosen`` None: only the
    controllers to filter by, for the filters again with their problems)."""
    with session_scope(engine) as session:
        by_slug = service.controllers_by_slug(session)
        found = (
            None
            if chosen is None
            else register.register_page(
                session, user, chosen, controllers=by_slug, columns=register.PAGE_COLUMNS
            )
        )
    controllers = sorted(by_slug.values(), key=lambda o: o.name.lower()) if user.is_staff else []
    return Page(found, controllers)


def listing(
    engine: Engine, user: CurrentUser, chosen: register.Filters
) -> tuple[list[IncidentView], str | None]:
    """One page of the register for the API: each incident with its notices and
    obligations, and the cursor of the next page."""
    with session_scope(engine) as session:
        found = register.register_page(session, user, chosen)
    views = [
        IncidentView(
            row.incident,
            service.answers_for(user, row.incident.answers),
            row.notices,
            row.obligations,
        )
        for row in found.rows
    ]
    return views, found.next_cursor


def _exported(session: Any, user: CurrentUser, chosen: register.Filters, **details: Any) -> None:
    audit.record(
        session,
        "register.exported",
        actor_id=user.id,
        organisation_id=user.organisation_id,
        filters=sorted(chosen.query_args()),
        **details,
    )


def export(
    engine: Engine, user: CurrentUser, chosen: register.Filters, fmt: str, *, contacts: bool
) -> list[dict[str, Any]]:
    """Every incident matching the filters as a record (CSV or JSON); the contact
    answers only when asked for. The export is audited."""
    with session_scope(engine, write=True) as session:
        records = [
            _record(row, user, contacts) for row in register.export_rows(session, user, chosen)
        ]
        _exported(session, user, chosen, format=fmt, rows=len(records), contacts=contacts)
    return records


def _record(row: register.RegisterRow, user: CurrentUser, contacts: bool) -> dict[str, Any]:
    incident = row.incident
    answers = service.answers_for(user, incident.answers)
    record: dict[str, Any] = {
        "id": str(incident.id),
        "reference": incident.reference,
        "status": incident.status,
        "version": incident.version,
        "created_at": _iso(incident.created_at),
        "submitted_at": _iso(incident.submitted_at),
        "discovered_at": _iso(incident.discovered_at),
        "controllers": [org.slug for org in row.controllers],
        "next_deadline": _iso(row.next_due),
    }
    for key in QUESTIONS:
        if key == "controllers" or (key in CONTACT_KEYS and not contacts):
            continue
        record[key] = answers.get(key)
    return record


def _iso(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def entries(
    engine: Engine, user: CurrentUser, chosen: register.Filters, *, lang: str, zone: ZoneInfo
) -> list[report.RegisterEntry]:
    """The register for a period (the PDF), oldest discovery first; Invalid (422) when
    it holds more than report.REGISTER_MAX incidents. The export is audited."""
    with session_scope(engine, write=True) as session:
        rows = []
        for row in register.export_rows(session, user, chosen, batch=200):
            rows.append(row.incident)
            if len(rows) > report.REGISTER_MAX:
                raise TooMany(report.REGISTER_MAX)
        found = report.register_entries(session, user, rows, lang=lang, zone=zone)
        _exported(session, user, chosen, format="pdf", rows=len(found), contacts=False)
    return found


class TooMany(Invalid):
    """More incidents than one register PDF holds."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__([Problem("since", f"more than {limit} incidents")])
