"""The incident register: filters, sorting, keyset pagination and export rows.

Keyset pagination ("after this row") stays fast however deep you page: every sort order
has an index on (sort column, id), and a page is one indexed range scan.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlalchemy import select as core_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from forms.values import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    MAX_PERSONS,
    InstantError,
    clean_text,
    read_datetime,
    read_instant,
)
from incidents import visibility
from incidents.db import contains
from incidents.errors import Invalid, Problem
from incidents.i18n import gettext as _
from incidents.models import Incident, IncidentStatus, Notice, Organisation, utcnow
from incidents.principal import CurrentUser
from incidents.service import controllers_by_slug, incident_facts, owed_by_viewer, records_of
from notify.obligations import Obligation, evaluate, next_due

STATUSES = tuple(s.value for s in IncidentStatus)
SORTS: dict[str, tuple[str, bool]] = {
    # name: (column, descending)
    "newest": ("created_at", True),
    "oldest": ("created_at", False),
    "discovered": ("discovered_at", True),
    "discovered_oldest": ("discovered_at", False),
    "persons": ("affected_max", True),
}
NULLABLE_SORTS = {"discovered_at", "affected_max"}
DEFAULT_LIMIT = 25
MAX_LIMIT = 200


class FilterError(Invalid, ValueError):
    """A filter of the register that cannot be read; ``str()`` is its message."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__([Problem(field, message)], message)


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    controller: str | None = None
    q: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    sort: str = "newest"
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT

    def query_args(self, **changes: Any) -> dict[str, str]:
        """The filters as URL query parameters (for links and exports)."""
        values = {
            "status": self.status,
            "controller": self.controller,
            "q": self.q,
            "since": self.since.date().isoformat() if self.since else None,
            "until": self.until_text,
            "sort": None if self.sort == "newest" else self.sort,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    until_text: str | None = field(default=None, compare=False)


PERIOD_MESSAGES = {
    "datetime_invalid": "Give a date like 2026-03-27 or a date-time with an offset",
    "datetime_no_offset": "Give the time zone offset too, like 2026-03-27T10:00:00+01:00",
    "year_out_of_range": f"Give a year from {EARLIEST_YEAR} to {LATEST_YEAR}",
}


def parse_period(value: str | None, zone: ZoneInfo, *, end: bool, name: str) -> datetime | None:
    """A date (whole day in the local zone) or an ISO date-time with offset, read by the
    questionnaire's own date reader (so within the same years)."""
    if not value:
        return None
    try:
        moment = read_instant(value, day_allowed=True)
    except InstantError as exc:
        raise FilterError(name, PERIOD_MESSAGES[exc.code]) from None
    if isinstance(moment, datetime):
        return moment.astimezone(UTC)
    day = moment + timedelta(days=1) if end else moment
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def make_filters(
    zone: ZoneInfo,
    *,
    status: str | None = None,
    controller: str | None = None,
    q: str | None = None,
    since: str | None = None,
    until: str | None = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Filters:
    """Filters from query parameters; raises FilterError naming the bad one."""
    if status and status not in STATUSES:
        raise FilterError("status", f"Use one of: {', '.join(STATUSES)}")
    if sort and sort not in SORTS:
        raise FilterError("sort", f"Use one of: {', '.join(SORTS)}")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise FilterError("limit", f"Use a number from 1 to {MAX_LIMIT}")
    if cursor:
        _decode_cursor(cursor, sort or "newest")
    since_at = parse_period(since, zone, end=False, name="since")
    until_at = parse_period(until, zone, end=True, name="until")
    if since_at is not None and until_at is not None and until_at <= since_at:
        raise FilterError(
            "until",
            _("The period ends (%(until)s) before it starts (%(since)s): swap the two dates.")
            % {"until": until, "since": since},
        )
    return Filters(
        status=status or None,
        controller=(controller or "").strip().lower() or None,
        q=clean_text(q or "")[:200] or None,
        since=since_at,
        until=until_at,
        sort=sort or "newest",
        cursor=cursor or None,
        limit=limit or DEFAULT_LIMIT,
        until_text=until or None,
    )


def _encode_cursor(value: Any, row_id: uuid.UUID) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(UTC).isoformat()
    raw = json.dumps([value, str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CURSOR_RE = re.compile(r"^[A-Za-z0-9_-]{1,400}$")  # unpadded URL-safe base64


def _decode_cursor(cursor: str, sort: str) -> tuple[Any, uuid.UUID]:
    """The (sort value, id) of the last row of the previous page, from a link made by
    :func:`_encode_cursor` for this sort, or FilterError. Anything else is refused: the
    cursor is exactly a JSON list of two, the value of the sort column (an aware
    date-time within the years of the questionnaire, or a whole number of persons; null
    only for a column that may be empty) and the row's id as a UUID."""
    column_name = SORTS[sort][0]
    try:
        if not CURSOR_RE.match(cursor):
            raise ValueError("not URL-safe base64")
        item = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], str)):
            raise ValueError("not a list of a value and an id")
        value, row_id = _cursor_value(item[0], column_name), uuid.UUID(item[1])
    except (ValueError, RecursionError):  # InstantError and bad base64, UTF-8, JSON too
        raise FilterError(
            "cursor", "This page link is not valid; start again from the first page"
        ) from None
    return value, row_id


def _cursor_value(value: Any, column_name: str) -> Any:
    if value is None:
        if column_name in NULLABLE_SORTS:
            return None
        raise ValueError("this column is never empty")
    if column_name == "affected_max":
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_PERSONS:
            return value
        raise ValueError("not a number of persons")
    if isinstance(value, str):
        return read_datetime(value).astimezone(UTC)
    raise ValueError("not a date-time")


def _keyset(column: Any, descending: bool, value: Any, row_id: uuid.UUID) -> ColumnElement[bool]:
    """Rows after (value, id) in the order (column desc|asc NULLS LAST, id same direction)."""
    ident = col(Incident.id)
    if value is None:  # already among the NULLs, which come last
        return and_(column.is_(None), ident < row_id if descending else ident > row_id)
    beyond = column < value if descending else column > value
    tie = and_(column == value, ident < row_id if descending else ident > row_id)
    return or_(beyond, tie, column.is_(None))


def _affects(controller_id: int) -> ColumnElement[bool]:
    """The incident has a (current) notice for this controller.
    A correlated EXISTS, so the database walks the incidents in the sort order and probes
    the notice index for each, stopping when the page is full."""
    return (
        select(Notice.id)
        .where(
            col(Notice.incident_id) == col(Incident.id),
            col(Notice.controller_id) == controller_id,
            col(Notice.removed_at).is_(None),
        )
        .exists()
    )


def filtered_query(user: CurrentUser, filters: Filters, controller_ids: dict[str, int]) -> Any:
    query = select(Incident).where(visibility.incident_clause(user))
    if filters.controller:
        controller_id = controller_ids.get(filters.controller)
        if controller_id is None or not visibility.may_see_controller(user, filters.controller):
            return query.where(False)  # an unknown or foreign controller: nothing, as for none
        query = query.where(_affects(controller_id))
    if filters.status:
        query = query.where(Incident.status == filters.status)
    if filters.q:
        query = query.where(
            or_(
                contains(col(Incident.reference), filters.q),
                contains(col(Incident.summary), filters.q),
            )
        )
    if filters.since:
        query = query.where(col(Incident.discovered_at) >= filters.since)
    if filters.until:
        query = query.where(col(Incident.discovered_at) < filters.until)
    return query


@dataclass
class RegisterRow:
    incident: Incident | Any  # a row of ROW_COLUMNS or PAGE_COLUMNS
    controllers: list[Organisation]
    next_due: datetime | None
    next_due_controller: str | None
    next_duty: Obligation | None = None
    # What the page and the API read besides: the notices (not removed) with their
    # controllers, every obligation for this viewer's controllers, the lower bound of persons.
    notices: list[tuple[Notice, Organisation]] = field(default_factory=list)
    obligations: list[Obligation] = field(default_factory=list)
    affected_min: int | None = None


@dataclass
class RegisterPage:
    rows: list[RegisterRow]
    next_cursor: str | None
    filters: Filters


def controller_ids(controllers: dict[str, Organisation]) -> dict[str, int]:
    return {slug: org.id for slug, org in controllers.items() if org.id is not None}


def _order(column: Any, descending: bool, *, nullable: bool) -> tuple[Any, Any]:
    """ORDER BY that walks the (column, id) index. NULLS LAST is spelled out only for the
    nullable columns: on a NOT NULL column it would stop PostgreSQL from using the index
    backwards for a descending sort."""
    if descending:
        first = column.desc().nulls_last() if nullable else column.desc()
        return first, col(Incident.id).desc()
    first = column.asc().nulls_last() if nullable else column.asc()
    return first, col(Incident.id).asc()


# What the register reads of an incident, as plain rows (no ORM objects to build): what
# the page shows (PAGE_COLUMNS: the lower bound of persons read in SQL, not the answers),
# and what the API and the exports show besides (ROW_COLUMNS: the answers).
AFFECTED_MIN = col(Incident.answers)["affected_min"].as_integer().label("affected_min")
# Persons in other EU/EEA states (a UK controller then owes the EU's authorities too).
OTHER_EU = col(Incident.answers)["other_eu_countries"].as_string().label("other_eu_countries")
PAGE_COLUMNS = (
    col(Incident.id),
    col(Incident.reference),
    col(Incident.status),
    col(Incident.version),
    col(Incident.summary),
    col(Incident.discovered_at),
    col(Incident.affected_max),
    col(Incident.created_at),
    col(Incident.updated_at),
    col(Incident.submitted_at),
    AFFECTED_MIN,
    OTHER_EU,
)
ROW_COLUMNS = (
    *PAGE_COLUMNS,
    col(Incident.answers),
    col(Incident.closed_at),
    col(Incident.closing_note),
    col(Incident.controller_groups),
)


def register_page(
    session: Session,
    user: CurrentUser,
    filters: Filters,
    *,
    controllers: dict[str, Organisation] | None = None,
    columns: tuple[Any, ...] = ROW_COLUMNS,
) -> RegisterPage:
    """One page of the register, for the page, the API and the exports alike.
    ``controllers``: the controllers by slug when the caller has them; ``columns``: what
    is read of each incident (PAGE_COLUMNS leaves the answers in the database)."""
    column_name, descending = SORTS[filters.sort]
    column = getattr(Incident, column_name)
    if controllers is None:
        controllers = controllers_by_slug(session)
    query = filtered_query(user, filters, controller_ids(controllers)).with_only_columns(*columns)
    if filters.cursor:
        value, row_id = _decode_cursor(filters.cursor, filters.sort)
        query = query.where(_keyset(column, descending, value, row_id))
    order = _order(column, descending, nullable=column_name in NULLABLE_SORTS)
    statement = query.order_by(*order).limit(filters.limit + 1)
    found = list(session.execute(statement).all())
    more = len(found) > filters.limit
    incidents = found[: filters.limit]
    orgs_by_id = {o.id: o for o in controllers.values() if o.id is not None}
    rows = _rows(session, user, incidents, orgs_by_id)
    next_cursor = None
    if more and incidents:
        last = incidents[-1]
        next_cursor = _encode_cursor(getattr(last, column_name), last.id)
    return RegisterPage(rows=rows, next_cursor=next_cursor, filters=filters)


# What the deadlines and the API read of a notice (not the letter, which can be long).
NOTICE_COLUMNS = (
    col(Notice.id),
    col(Notice.incident_id),
    col(Notice.controller_id),
    col(Notice.version),
    col(Notice.incident_version),
    col(Notice.sent_at),
    col(Notice.delivered_at),
    col(Notice.acknowledged_at),
    col(Notice.removed_at),
    col(Notice.decision),
    col(Notice.assessment_override),
    col(Notice.withdrawn_at),
    col(Notice.withdrawal_reason),
    col(Notice.scope),
    col(Notice.scope_version),
    col(Notice.sent_scope_version),
)


def _rows(
    session: Session,
    user: CurrentUser,
    incidents: Sequence[Any],
    orgs_by_id: dict[int, Organisation],
) -> list[RegisterRow]:
    """Register rows: controllers and deadlines of each incident, the notices read as
    plain rows of NOTICE_COLUMNS, their controllers from ``orgs_by_id``."""
    ids = [i.id for i in incidents]
    # Rows of NOTICE_COLUMNS standing in for notices (the answers and texts not loaded).
    per_incident: dict[uuid.UUID, list[tuple[Any, Organisation]]] = {i: [] for i in ids}
    if ids:
        light = core_select(*NOTICE_COLUMNS).where(
            col(Notice.incident_id).in_(ids),
            col(Notice.removed_at).is_(None),
            visibility.notice_clause(user),
        )
        found = [
            (n, orgs_by_id[n.controller_id])
            for n in session.execute(light).all()
            if n.controller_id in orgs_by_id
        ]
        for notice, org in sorted(found, key=lambda pair: pair[1].name):
            per_incident[notice.incident_id].append((notice, org))
    records = records_of(session, [n.id for pairs in per_incident.values() for n, _ in pairs])
    now = utcnow()
    rows = []
    for incident in incidents:
        pairs = per_incident[incident.id]
        facts = incident_facts(incident, [(n, o, records[n.id]) for n, o in pairs])
        obligations = evaluate(facts, now)
        duty = next_due([o for o in obligations if owed_by_viewer(user, o)])
        names = {org.slug: org.name for _, org in pairs}
        rows.append(
            RegisterRow(
                incident=incident,
                controllers=[org for _, org in pairs],
                next_due=duty.due_at if duty else None,
                next_due_controller=names.get(duty.controller) if duty else None,
                next_duty=duty,
                notices=pairs,
                obligations=obligations,
                affected_min=incident.affected_min,
            )
        )
    return rows


def export_rows(session: Session, user: CurrentUser, filters: Filters, *, batch: int = 500) -> Any:
    """Every incident matching the filters (all pages), as register rows, in batches."""
    cursor = None
    while True:
        page = register_page(
            session, user, Filters(**{**filters.__dict__, "cursor": cursor, "limit": batch})
        )
        yield from page.rows
        if not page.next_cursor:
            return
        cursor = page.next_cursor
