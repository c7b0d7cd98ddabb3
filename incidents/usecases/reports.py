"""The report of one incident for the supervisory authority (the browser and the API)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from incidents import audit, report, service
from incidents.db import session_scope
from incidents.errors import Conflict, NotFound
from incidents.i18n import gettext as _
from incidents.models import IncidentStatus
from incidents.principal import CurrentUser
from incidents.settings import Settings
from incidents.templating import zone_of_reader
from incidents.usecases.incidents import IncidentView, view_of


@dataclass
class Report:
    data: report.ReportData
    view: IncidentView  # what the PDF carries as JSON


class NoSuchController(NotFound):
    """The incident does not affect the controller asked for."""


def incident_report(
    engine: Engine,
    user: CurrentUser,
    settings: Settings,
    incident_id: uuid.UUID,
    controller: str | None,
    language: Callable[[str | None], str],
) -> Report:
    """The facts of one incident's report: an officer's covers their own controller only;
    staff choose one (``controller``) or get them all. ``language`` picks the report's
    language given the chosen controller's (None: several). Conflict for a draft."""
    with session_scope(engine, write=True) as session:
        incident = service.visible_incident(session, user, incident_id)
        if incident.status == IncidentStatus.draft:
            raise Conflict(_("A draft has no report yet: submit it first."))
        slug = controller if user.is_staff else user.organisation_slug
        view = view_of(session, user, incident)
        chosen = [o for n, o in view.notices if n.removed_at is None and slug in {None, o.slug}]
        if slug is not None and not chosen:
            raise NoSuchController(_("This incident does not affect that controller."))
        lang = language(chosen[0].language if len(chosen) == 1 else None)
        data = report.report_data(
            session, user, incident, lang=lang, zone=zone_of_reader(settings.zone), controller=slug
        )
        audit.on_incident(
            session,
            user,
            "incident.report_made",
            incident_id,
            user.organisation_id,
            language=data.lang,
            controllers=[p.org.slug for p in data.parts],
        )
    return Report(data, view)
