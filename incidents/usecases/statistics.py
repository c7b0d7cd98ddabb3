"""The statistics page, its CSV and the API's figures (incidents.statistics)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from incidents import register, service, statistics
from incidents.db import session_scope
from incidents.models import Organisation
from incidents.principal import CurrentUser


def figures(
    engine: Engine,
    user: CurrentUser,
    chosen: register.Filters,
    *,
    zone: ZoneInfo,
    lang: str,
    now: datetime,
) -> tuple[statistics.Statistics, list[Organisation]]:
    """The figures, and (staff) the controllers to filter by."""
    with session_scope(engine) as session:
        found = statistics.compute(session, user, chosen, zone=zone, lang=lang, now=now)
        controllers = service.controllers_by_slug(session) if user.is_staff else {}
    return found, sorted(controllers.values(), key=lambda o: o.name.lower())
