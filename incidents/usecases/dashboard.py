"""The deadlines dashboard: every open duty the principal may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from incidents import service, tasks
from incidents.db import session_scope
from incidents.models import Organisation
from incidents.principal import CurrentUser


@dataclass(frozen=True)
class Dashboard:
    rows: list[Any]
    organisation: Organisation | None
    controllers: list[Organisation]  # staff: every controller, to filter by; officers: none
    tasks: list[Any] = field(default_factory=list)  # staff: open tasks (TaskView, Incident)


def dashboard(
    engine: Engine, user: CurrentUser, controller: str | None, now: datetime
) -> Dashboard:
    """Open duties, overdue first, then soonest first; ``controller`` (a slug) narrows the
    list for staff (an unknown one: nothing)."""
    with session_scope(engine) as session:
        organisation = session.get(Organisation, user.organisation_id)
        controllers = service.controllers_by_slug(session) if user.is_staff else {}
        chosen = controllers.get(controller) if controller else None
        rows = service.open_obligations(
            session,
            user,
            controller_id=chosen.id if chosen else (-1 if controller else None),
            now=now,
        )
        open_tasks = tasks.open_ones(session) if user.is_staff else []
    ordered = sorted(controllers.values(), key=lambda o: o.name.lower())
    return Dashboard(rows=rows, organisation=organisation, controllers=ordered, tasks=open_tasks)
