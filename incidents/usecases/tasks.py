"""An incident's action plan, for the processor's staff (incidents.tasks)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Engine

from incidents import service, tasks
from incidents.db import session_scope
from incidents.errors import NotFound
from incidents.principal import CurrentUser


def listing(engine: Engine, user: CurrentUser, incident_id: uuid.UUID) -> list[tasks.TaskView]:
    with session_scope(engine) as session:
        incident = service.visible_incident(session, user, incident_id)
        return tasks.of_incident(session, incident.id)


def add(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID, raw: Mapping[str, Any]
) -> tasks.TaskView:
    with session_scope(engine, write=True) as session:
        incident = service.visible_incident(session, user, incident_id)
        task = tasks.add(session, user, incident, raw)
        return _view(session, incident.id, task.id)


def change(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID, task_id: int, raw: Mapping[str, Any]
) -> tasks.TaskView:
    with session_scope(engine, write=True) as session:
        incident = service.visible_incident(session, user, incident_id)
        tasks.change(session, user, incident, task_id, raw)
        return _view(session, incident.id, task_id)


def _view(session: Any, incident_id: uuid.UUID, task_id: int | None) -> tasks.TaskView:
    found = next((v for v in tasks.of_incident(session, incident_id) if v.task.id == task_id), None)
    if found is None:
        raise NotFound()
    return found
