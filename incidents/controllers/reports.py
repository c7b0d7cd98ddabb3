"""The PDFs for the supervisory authority: one incident's report (the browser and the API)
and the register for a period. WeasyPrint is CPU-bound, so every handler runs in a worker
thread, never on the event loop."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery
from litestar.response import Response

from incidents import documents, register, report
from incidents.controllers.api_common import ERROR_RESPONSES, Errors, incident_out
from incidents.controllers.common import (
    Config,
    Db,
    IncidentId,
    Principal,
    in_thread,
    one_error,
    pdf_response,
)
from incidents.errors import Conflict
from incidents.i18n import LANGUAGES, current_language
from incidents.i18n import gettext as _
from incidents.templating import zone_of_reader
from incidents.usecases import register as register_uc
from incidents.usecases import reports

PDF_RESPONSE = ResponseSpec(
    None, description="A PDF/A-3u document", media_type="application/pdf", generate_examples=False
)

REPORT_RESPONSES = {
    200: PDF_RESPONSE,
    400: ERROR_RESPONSES[400],
    401: ERROR_RESPONSES[401],
    404: ERROR_RESPONSES[404],
    409: ResponseSpec(Errors, description="The incident is a draft"),
}
REGISTER_RESPONSES = {
    200: PDF_RESPONSE,
    400: ERROR_RESPONSES[400],
    401: ERROR_RESPONSES[401],
    422: ResponseSpec(Errors, description="Too many incidents: choose a shorter period"),
}


def _given(**params: str | None) -> dict[str, str]:
    """The query parameters the API request has, as the page handlers see theirs."""
    return {name: value for name, value in params.items() if value is not None}


class BadLanguage(Exception):
    """A ``lang`` that is neither nl nor en."""


def _language(value: str | None, default: str | None) -> str:
    if value is None or value == "":
        return default or current_language.get()
    if value not in LANGUAGES:
        raise BadLanguage()
    return value


def _incident_report(
    engine: Db, user: Principal, settings: Config, incident_id: uuid.UUID, params: Mapping[str, str]
) -> Response[Any]:
    """The report of one incident, for the page and the API alike; its problems as JSON."""
    try:
        found = reports.incident_report(
            engine,
            user,
            settings,
            incident_id,
            params.get("controller") or None,
            lambda default: _language(params.get("lang"), default),
        )
    except BadLanguage:
        return one_error(400, "lang", _("Use nl or en"))
    except reports.NoSuchController as exc:
        return one_error(404, "controller", exc.message)
    except Conflict as exc:
        return one_error(409, None, exc.message)
    data = found.data
    with documents.language(data.lang):
        incident_json = msgspec.json.encode(incident_out(found.view, embedded=None))
    body = report.regulator_pdf(data, incident_json)
    suffix = f"-{data.parts[0].org.slug}" if len(data.parts) == 1 else ""
    return pdf_response(body, f"{data.incident.reference}{suffix}-{data.lang}.pdf")


def _register_report(
    engine: Db, user: Principal, settings: Config, params: Mapping[str, str]
) -> Response[Any]:
    """The register for a period, for the page and the API alike; its problems as JSON."""
    try:
        lang = _language(params.get("lang"), None)
        chosen = register_uc.filters(
            zone_of_reader(settings.zone), {**params, "sort": "discovered_oldest", "cursor": None}
        )
        entries = register_uc.entries(
            engine, user, chosen, lang=lang, zone=zone_of_reader(settings.zone)
        )
    except BadLanguage:
        return one_error(400, "lang", _("Use nl or en"))
    except register.FilterError as exc:
        return one_error(400, exc.field, str(exc))
    except register_uc.TooMany as exc:
        message = _("More than %(max)s incidents: choose a shorter period.")
        return one_error(422, "since", message % {"max": exc.limit})
    with documents.language(lang):
        period = _period_words(params.get("since"), params.get("until"))
    html = report.register_html(
        entries,
        lang=lang,
        zone=zone_of_reader(settings.zone),
        period=period,
        organisation=user.organisation_name,
    )
    return pdf_response(report.register_pdf(html), f"register-{lang}.pdf")


def _period_words(since: str | None, until: str | None) -> str:
    if since and until:
        return _("%(since)s to %(until)s") % {"since": since, "until": until}
    if since:
        return _("from %(since)s") % {"since": since}
    if until:
        return _("until %(until)s") % {"until": until}
    return _("all periods")


class ReportController(Controller):
    """The PDFs from the browser."""

    path = "/incidents"

    @get("/{incident_id:uuid}/report.pdf", name="incident_report_pdf")
    @in_thread
    def incident_report_page(
        self,
        request: Request[Any, Any, Any],
        engine: Db,
        user: Principal,
        settings: Config,
        incident_id: IncidentId,
    ) -> Response[Any]:
        return _incident_report(engine, user, settings, incident_id, request.query_params)

    @get("/export.pdf", name="register_pdf")
    @in_thread
    def register_report_page(
        self, request: Request[Any, Any, Any], engine: Db, user: Principal, settings: Config
    ) -> Response[Any]:
        return _register_report(engine, user, settings, request.query_params)


class ReportApiController(Controller):
    """The PDFs through the API."""

    path = "/api/v1"
    tags = ["incidents"]

    @get(
        "/incidents/{incident_id:uuid}/report.pdf",
        name="api_incident_report",
        responses=REPORT_RESPONSES,
    )
    @in_thread
    def incident_report_api(
        self,
        engine: Db,
        user: Principal,
        settings: Config,
        incident_id: IncidentId,
        lang: FromQuery[str | None] = None,
        controller: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """The report for the supervisory authority, structured like the Dutch DPA's form, as a
        PDF/A-3u with the incident's JSON attached. ``lang``: nl or en (default: the controller's
        language). ``controller``: one controller's report (an officer always gets their own)."""
        chosen = _given(lang=lang, controller=controller)
        return _incident_report(engine, user, settings, incident_id, chosen)

    @get("/register.pdf", name="api_register_report", responses=REGISTER_RESPONSES)
    @in_thread
    def register_report_api(
        self,
        engine: Db,
        user: Principal,
        settings: Config,
        lang: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
        until: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        controller: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """The register of breaches for a period (Art. 33(5) documentation): every incident the
        token may see whose discovery falls in ``since``..``until`` (dates in the organisation's
        zone, or ISO 8601 instants), with facts, effects, measures and each decision's reasons."""
        chosen = _given(
            lang=lang, since=since, until=until, status=status, controller=controller, q=q
        )
        return _register_report(engine, user, settings, chosen)


page_handlers = [ReportController]
api_handlers = [ReportApiController]
