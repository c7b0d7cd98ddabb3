"""The action plan of an incident in the API (issue 18): staff add, list and change tasks;
a change names the version it was made on (409 when the task changed since)."""

from __future__ import annotations

from typing import Any

from litestar import get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from incidents.auth import staff_only
from incidents.controllers.api_common import Errors, error_responses
from incidents.controllers.common import Db, IncidentId, Principal, in_thread
from incidents.usecases import tasks as cases

TASKS = "/api/v1/incidents/{incident_id:uuid}/tasks"
CHANGED = ResponseSpec(Errors, description="The task changed since the version given")


@post(TASKS, name="api_task_add", tags=["tasks"], guards=[staff_only], status_code=201,
      responses=error_responses(401, 403, 404, 422))  # fmt: skip
@in_thread
def add_task(
    engine: Db, user: Principal, incident_id: IncidentId, data: JSONBody[dict[str, Any]]
) -> dict[str, Any]:
    """Add a task: ``{"title": "…", "owner": "e-mail of a member of staff" | null,
    "due_at": "2026-12-03T17:00:00+01:00" | null}``. 201 with the task and its version."""
    return cases.add(engine, user, incident_id, data).as_json()


@get(TASKS, name="api_tasks", tags=["tasks"], guards=[staff_only],
     responses=error_responses(401, 403, 404))  # fmt: skip
@in_thread
def list_tasks(engine: Db, user: Principal, incident_id: IncidentId) -> list[dict[str, Any]]:
    """The incident's tasks, open ones first by due time."""
    return [view.as_json() for view in cases.listing(engine, user, incident_id)]


@patch(TASKS + "/{task_id:int}", name="api_task_change", tags=["tasks"], guards=[staff_only],
       responses={**error_responses(401, 403, 404, 422), 409: CHANGED})  # fmt: skip
@in_thread
def change_task(
    engine: Db,
    user: Principal,
    incident_id: IncidentId,
    task_id: FromPath[int],
    data: JSONBody[dict[str, Any]],
) -> dict[str, Any]:
    """Change a task's ``title``, ``owner``, ``due_at`` or ``state`` (open, done,
    cancelled), giving the ``version`` you changed: 409 when it changed since."""
    return cases.change(engine, user, incident_id, task_id, data).as_json()


handlers = [add_task, list_tasks, change_task]
