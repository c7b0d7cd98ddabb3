"""Home (the deadlines dashboard), the organisations overview and the health check."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.exceptions import ClientException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Response, Stream, Template
from litestar.types import ControllerRouterHandler

from forms.values import clean_text, whole_number
from incidents import audit, register
from incidents.auth import staff_only
from incidents.clock import now
from incidents.controllers.common import Config, Db, Principal, date_field_value, in_thread
from incidents.i18n import current_language
from incidents.i18n import gettext as _
from incidents.templating import zone_of_reader
from incidents.timeline import alike, together
from incidents.usecases import audit as audit_cases
from incidents.usecases import dashboard, organisations
from incidents.usecases import statistics as statistics_cases


@get(
    "/healthz",
    name="healthz",
    opt={"exclude_from_auth": True},
    include_in_schema=False,
    sync_to_thread=False,
)
def healthz() -> dict[str, str]:
    """The app's own trivial endpoint: no database, no template."""
    return {"status": "ok"}


def _per_incident(rows: list[Any]) -> list[tuple[Any, list[Any], Any]]:
    """The open duties with the controllers they concern: one row per incident, duty and
    due minute, however many controllers share it (in the order of the most urgent)."""
    groups = together(rows, lambda row: (row[0].id, *alike(row[2])))
    return [(group[0][0], [org for _i, org, _o in group], group[0][2]) for group in groups]


class HomeController(Controller):
    path = "/"

    @get("/", name="home")
    @in_thread
    def home(
        self, engine: Db, user: Principal, controller: FromQuery[str | None] = None
    ) -> Template:
        """The deadlines dashboard: every open duty, overdue first, then soonest first."""
        at = now()
        board = dashboard.dashboard(engine, user, controller or None, at)
        context = {
            "rows": _per_incident(board.rows),
            "now": at,
            "organisation": board.organisation,
            "controllers": board.controllers,
            "controller": controller or None,
            "tasks": board.tasks,
        }
        return Template("home.html", context=context)


class OrganisationController(Controller):
    path = "/organisations"
    guards = [staff_only]

    @get("/", name="organisations")
    @in_thread
    def organisations(self, engine: Db) -> Template:
        rows = organisations.overview(engine)
        return Template("organisations/list.html", context={"rows": rows})

    @get("/{slug:str}", name="organisation")
    @in_thread
    def organisation(self, engine: Db, slug: FromPath[str]) -> Template:
        org, users = organisations.detail(engine, slug)
        return Template("organisations/detail.html", context={"org": org, "users": users})


def _trail_filter(incident: str, person: str, action: str) -> audit.TrailFilter:
    return audit.TrailFilter(clean_text(incident), clean_text(person), clean_text(action))


def _before(raw: str) -> int | None:
    """The cursor of an older page: an act's id; anything else is refused (400)."""
    if not raw:
        return None
    found = whole_number(raw)
    if found is None or found < 1 or found > 2**63 - 1:
        raise ClientException(_("The page link is damaged: start from the first page."))
    return found


Text200 = Annotated[str, QueryParameter(max_length=200)]


class AuditController(Controller):
    """The audit trail: every act of every person (and of the system), the latest first."""

    path = "/audit"
    guards = [staff_only]

    @get("/", name="audit_trail")
    @in_thread
    def trail(
        self,
        engine: Db,
        incident: Text200 = "",
        person: Text200 = "",
        action: Annotated[str, QueryParameter(max_length=64)] = "",
        before: Annotated[str, QueryParameter(max_length=20)] = "",
    ) -> Template:
        """Filtered by a part of an incident's reference, a part of a person's name or
        address, and one action; 100 to a page, older ones by the link at the end."""
        wanted = _trail_filter(incident, person, action)
        found = audit_cases.page(engine, wanted, _before(before))
        context = {"found": found, "wanted": wanted, "before": before}
        return Template("audit/trail.html", context=context)

    @get("/trail.csv", name="audit_trail_csv", sync_to_thread=False)
    def trail_csv(
        self,
        engine: Db,
        incident: Text200 = "",
        person: Text200 = "",
        action: Annotated[str, QueryParameter(max_length=64)] = "",
    ) -> Stream:
        """Every act matching the filters, as CSV (times in UTC)."""
        wanted = _trail_filter(incident, person, action)
        return Stream(
            audit_cases.csv_lines(engine, wanted),  # Litestar iterates it in a thread
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="audit-trail.csv"'},
        )


STATISTICS_FILTERS = ("since", "until", "controller")
AnyRequest = Request[Any, Any, Any]


def _statistics_params(request: AnyRequest) -> dict[str, str]:
    """The statistics' filters asked for (each at most 40 characters)."""
    return {k: str(v)[:40] for k, v in request.query_params.items() if k in STATISTICS_FILTERS}


def _statistics(
    engine: Db, user: Principal, settings: Config, params: dict[str, str]
) -> tuple[Any, list[Any], list[dict[str, str]]]:
    """The figures for the period and controller asked for; with a bad filter, the
    figures of everything and the problem at its field."""
    zone = zone_of_reader(settings.zone)
    try:
        chosen = register.make_filters(
            zone,
            since=params.get("since") or None,
            until=params.get("until") or None,
            controller=params.get("controller") or None,
        )
        errors: list[dict[str, str]] = []
    except register.FilterError as exc:
        chosen, errors = register.Filters(), [{"field": exc.field, "message": str(exc)}]
    found, controllers = statistics_cases.figures(
        engine, user, chosen, zone=zone, lang=current_language.get(), now=now()
    )
    return found, controllers, errors


class StatisticsController(Controller):
    """Insight: breaches per month, cause and kind of data; how fast controllers were told;
    their decisions; the duties open now. Staff see everything, an officer its controller."""

    path = "/statistics"

    @get("/", name="statistics")
    @in_thread
    def page(self, request: AnyRequest, engine: Db, user: Principal, settings: Config) -> Template:
        params = _statistics_params(request)
        found, controllers, errors = _statistics(engine, user, settings, params)
        context = {
            "found": found,
            "controllers": controllers,
            "values": params,
            "dates": {key: date_field_value(params.get(key, "")) for key in ("since", "until")},
            "errors": errors,
            "query": urlencode(params),
        }
        return Template("statistics.html", context=context, status_code=400 if errors else 200)

    @get("/statistics.csv", name="statistics_csv")
    @in_thread
    def csv_file(
        self, request: AnyRequest, engine: Db, user: Principal, settings: Config
    ) -> Response[str]:
        params = _statistics_params(request)
        found, _controllers, errors = _statistics(engine, user, settings, params)
        if errors:
            raise ClientException(errors[0]["message"])
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["figure", "key", "value"])
        writer.writerows(found.csv_rows())
        return Response(
            out.getvalue(),
            media_type="text/csv",
            headers={"content-disposition": 'attachment; filename="statistics.csv"'},
        )


handlers: list[ControllerRouterHandler] = [
    healthz,
    HomeController,
    OrganisationController,
    AuditController,
    StatisticsController,
]
