"""The PDFs for the supervisory authority: one incident's report (the browser and the API)
and the register for a period. WeasyPrint is CPU-bound, so every handler runs in a worker
thread, never on the event loop."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery
from litestar.response import Response
from sqlmodel import Session

from incidents import audit, documents, register, report, service
from incidents.controllers.api_common import ERROR_RESPONSES, Errors, incident_out
from incidents.controllers.common import engine_of, in_thread, pdf_response, settings_of, user_of
from incidents.db import session_scope
from incidents.i18n import LANGUAGES, current_language
from incidents.i18n import gettext as _
from incidents.models import IncidentStatus
from incidents.principal import CurrentUser
from incidents.settings import Settings

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


class ReportProblem(Exception):
    def __init__(self, status: int, field: str | None, message: str) -> None:
        self.status, self.field, self.message = status, field, message
        super().__init__(message)


def _problem(exc: ReportProblem) -> Response[Any]:
    return Response(
        {"errors": [{"field": exc.field, "message": exc.message}]},
        status_code=exc.status,
        media_type="application/json",
    )


def _language(request: Request[Any, Any, Any], default: str | None) -> str:
    value = request.query_params.get("lang")
    if value is None or value == "":
        return default or current_language.get()
    if value not in LANGUAGES:
        raise ReportProblem(400, "lang", _("Use nl or en"))
    return value


def _incident_report(request: Request[Any, Any, Any], incident_id: uuid.UUID) -> Response[Any]:
    user = user_of(request)
    settings = settings_of(request)
    try:
        with session_scope(engine_of(request), write=True) as session:
            data, incident_json = _gather(request, session, user, settings, incident_id)
            audit.record(
                session,
                "incident.report_made",
                actor_id=user.id,
                incident_id=incident_id,
                organisation_id=user.organisation_id,
                language=data.lang,
                controllers=[p.org.slug for p in data.parts],
            )
    except ReportProblem as exc:
        return _problem(exc)
    body = report.regulator_pdf(data, incident_json)
    suffix = f"-{data.parts[0].org.slug}" if len(data.parts) == 1 else ""
    return pdf_response(body, f"{data.incident.reference}{suffix}-{data.lang}.pdf")


def _gather(
    request: Request[Any, Any, Any],
    session: Session,
    user: CurrentUser,
    settings: Settings,
    incident_id: uuid.UUID,
) -> tuple[report.ReportData, bytes]:
    incident = service.visible_incident(session, user, incident_id)
    if incident.status == IncidentStatus.draft:
        raise ReportProblem(409, None, _("A draft has no report yet: submit it first."))
    slug = request.query_params.get("controller") or None
    if not user.is_staff:
        slug = user.organisation_slug  # an officer's report is about their controller only
    pairs = [
        (n, o) for n, o in service.notices_of(session, user, incident.id) if n.removed_at is None
    ]
    if slug is not None and slug not in {o.slug for _n, o in pairs}:
        raise ReportProblem(404, "controller", _("This incident does not affect that controller."))
    chosen = [o for _n, o in pairs if slug is None or o.slug == slug]
    default = chosen[0].language if len(chosen) == 1 else None
    lang = _language(request, default)
    data = report.report_data(
        session, user, incident, lang=lang, zone=settings.zone, controller=slug
    )
    with documents.language(lang):
        incident_json = msgspec.json.encode(incident_out(session, user, incident))
    return data, incident_json


@get("/incidents/{incident_id:uuid}/report.pdf", name="incident_report_pdf")
@in_thread
def incident_report_page(
    request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID]
) -> Response[Any]:
    return _incident_report(request, incident_id)


@get(
    "/api/v1/incidents/{incident_id:uuid}/report.pdf",
    name="api_incident_report",
    tags=["incidents"],
    responses=REPORT_RESPONSES,
)
@in_thread
def incident_report_api(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    lang: FromQuery[str | None] = None,
    controller: FromQuery[str | None] = None,
) -> Response[Any]:
    """The report for the supervisory authority, structured like the Dutch DPA's form, as a
    PDF/A-3u with the incident's JSON attached. ``lang``: nl or en (default: the controller's
    language). ``controller``: one controller's report (an officer always gets their own)."""
    return _incident_report(request, incident_id)


# --- the register for a period ----------------------------------------------------------


def _register_report(request: Request[Any, Any, Any]) -> Response[Any]:
    user = user_of(request)
    settings = settings_of(request)
    params = request.query_params
    try:
        lang = _language(request, None)
        try:
            filters = register.make_filters(
                settings.zone,
                status=params.get("status"),
                controller=params.get("controller"),
                q=params.get("q"),
                since=params.get("since"),
                until=params.get("until"),
                sort="discovered_oldest",
            )
        except register.FilterError as exc:
            raise ReportProblem(400, exc.field, str(exc)) from exc
        with session_scope(engine_of(request), write=True) as session:
            rows = []
            for row in register.export_rows(session, user, filters, batch=200):
                rows.append(row.incident)
                if len(rows) > report.REGISTER_MAX:
                    raise ReportProblem(
                        422,
                        "since",
                        _("More than %(max)s incidents: choose a shorter period.")
                        % {"max": report.REGISTER_MAX},
                    )
            entries = report.register_entries(session, user, rows, lang=lang, zone=settings.zone)
            organisation = user.organisation_name
            audit.record(
                session,
                "register.exported",
                actor_id=user.id,
                organisation_id=user.organisation_id,
                format="pdf",
                rows=len(entries),
                contacts=False,
                filters=sorted(filters.query_args()),
            )
    except ReportProblem as exc:
        return _problem(exc)
    with documents.language(lang):
        period = _period_words(params.get("since"), params.get("until"))
    html = report.register_html(
        entries, lang=lang, zone=settings.zone, period=period, organisation=organisation
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


@get("/incidents/export.pdf", name="register_pdf")
@in_thread
def register_report_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return _register_report(request)


@get(
    "/api/v1/register.pdf",
    name="api_register_report",
    tags=["incidents"],
    responses=REGISTER_RESPONSES,
)
@in_thread
def register_report_api(
    request: Request[Any, Any, Any],
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
    return _register_report(request)


page_handlers = [incident_report_page, register_report_page]
api_handlers = [incident_report_api, register_report_api]
