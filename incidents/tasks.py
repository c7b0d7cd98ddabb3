"""An incident's action plan (issue 18): tasks with an owner, a due time and a state, for
the processor's staff. Each change is conditional on the version it was made on (two
people changing one task at once: one wins, the other gets 409 with its input kept), and
audited. Open tasks with an owner and a due time are reminded of like duties: a day before
and when overdue, each e-mail written once (its dedupe key names the task, the stage and
the due time)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from forms.display import format_datetime
from forms.questionnaire import Text
from forms.values import InstantError, clean_text, read_datetime
from incidents import audit
from incidents.db import insert_ignore, session_scope
from incidents.errors import Conflict, Invalid, NotFound, Problem
from incidents.i18n import gettext as _
from incidents.models import Incident, OutboxMessage, Role, Task, User, utcnow
from incidents.principal import CurrentUser
from incidents.settings import Settings

STATES = ("open", "done", "cancelled")
TITLE_MAX = 200
SOON = timedelta(hours=24)  # the first reminder: a day before the due time


@dataclass(frozen=True)
class TaskView:
    task: Task
    owner: str | None  # the owner's e-mail address
    owner_name: str | None

    def as_json(self) -> dict[str, Any]:
        t = self.task
        return {
            "id": t.id,
            "incident": str(t.incident_id),
            "title": t.title,
            "owner": self.owner,
            "due_at": _iso(t.due_at),
            "state": t.state,
            "version": t.version,
            "created_at": _iso(t.created_at),
            "updated_at": _iso(t.updated_at),
        }


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def owners(session: Session) -> list[User]:
    """Who can own a task: the processor's active staff and administrators, by name."""
    query = select(User).where(
        col(User.is_active), col(User.role).in_([Role.staff.value, Role.admin.value])
    )
    return sorted(session.exec(query).all(), key=lambda u: u.name.lower())


def of_incident(session: Session, incident_id: uuid.UUID) -> list[TaskView]:
    """The incident's tasks: open ones first by due time, then the rest."""
    rows = session.exec(
        select(Task, User)
        .outerjoin(User, col(User.id) == col(Task.owner_id))
        .where(col(Task.incident_id) == incident_id)
    ).all()
    views = [TaskView(t, u.email if u else None, u.name if u else None) for t, u in rows]
    far = datetime.max.replace(tzinfo=None)
    return sorted(
        views,
        key=lambda v: (
            v.task.state != "open",
            v.task.due_at is None,
            v.task.due_at.replace(tzinfo=None) if v.task.due_at else far,
            v.task.id or 0,
        ),
    )


def open_ones(session: Session, limit: int = 100) -> list[tuple[TaskView, Incident]]:
    """The open tasks of every incident that is not closed, those due first first (then
    those without a due time), for the deadlines dashboard."""
    rows = session.exec(
        select(Task, User, Incident)
        .outerjoin(User, col(User.id) == col(Task.owner_id))
        .join(Incident, col(Incident.id) == col(Task.incident_id))
        .where(col(Task.state) == "open", col(Incident.status) != "closed")
        .order_by(col(Task.due_at).is_(None), col(Task.due_at), col(Task.id))
        .limit(limit)
    ).all()
    return [(TaskView(t, u.email if u else None, u.name if u else None), i) for t, u, i in rows]


def _read(
    session: Session, raw: Mapping[str, Any], problems: list[Problem], *, partial: bool
) -> dict[str, Any]:
    """The fields given (``partial``: only those present), checked; problems at each."""
    found: dict[str, Any] = {}
    if not partial or "title" in raw:
        title = raw.get("title")
        title = clean_text(title) if isinstance(title, str) else ""
        if not title or len(title) > TITLE_MAX:
            problems.append(Problem("title", _("Describe the task in 1 to 200 characters.")))
        found["title"] = title
    if not partial or "owner" in raw:
        owner = raw.get("owner")
        found["owner_id"] = None
        if owner not in (None, ""):
            match = {u.email: u for u in owners(session)}.get(str(owner).strip().lower())
            if match is None:
                problems.append(
                    Problem("owner", _("Choose a member of staff by their e-mail address."))
                )
            else:
                found["owner_id"] = match.id
    if not partial or "due_at" in raw:
        due = raw.get("due_at")
        found["due_at"] = None
        if due not in (None, ""):
            try:
                found["due_at"] = read_datetime(str(due))
            except InstantError:
                problems.append(
                    Problem(
                        "due_at",
                        _("Give the due time as a date and time, like 2026-12-03T17:00:00+01:00."),
                    )
                )
    if "state" in raw:
        if raw.get("state") not in STATES:
            problems.append(Problem("state", _("The state is open, done or cancelled.")))
        else:
            found["state"] = raw["state"]
    return found


def add(session: Session, user: CurrentUser, incident: Incident, raw: Mapping[str, Any]) -> Task:
    problems: list[Problem] = []
    unknown = [k for k in raw if k not in {"title", "owner", "due_at"}]
    problems += [Problem(str(k)[:80], _("There is no field with this name")) for k in unknown]
    values = _read(session, raw, problems, partial=False)
    if problems:
        raise Invalid(problems)
    task = Task(incident_id=incident.id, created_by_id=user.id, **values)
    session.add(task)
    session.flush()
    audit.on_incident(session, user, "task.added", incident.id, task=task.id)
    return task


def change(
    session: Session,
    user: CurrentUser,
    incident: Incident,
    task_id: int,
    raw: Mapping[str, Any],
) -> Task:
    """A change of the task made on ``raw["version"]``; Conflict when it changed since."""
    task = session.get(Task, task_id)
    if task is None or task.incident_id != incident.id:
        raise NotFound()
    problems: list[Problem] = []
    allowed = {"title", "owner", "due_at", "state", "version"}
    problems += [
        Problem(str(k)[:80], _("There is no field with this name")) for k in raw if k not in allowed
    ]
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version < 2**31:
        problems.append(Problem("version", _("Give the version of the task you changed.")))
    values = _read(session, raw, problems, partial=True)
    if problems:
        raise Invalid(problems)
    done = session.execute(
        update(Task)
        .where(col(Task.id) == task_id, col(Task.version) == version)
        .values(**values, version=col(Task.version) + 1, updated_at=utcnow())
    )
    if not int(getattr(done, "rowcount", 0) or 0):
        raise Conflict(_("Someone changed this task meanwhile: look at it again."))
    session.expire(task)
    audit.on_incident(
        session, user, "task.changed", incident.id, task=task_id, fields=sorted(values)
    )
    return task


# --- reminders ---------------------------------------------------------------------------


def queue_reminders(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Write the reminders of open tasks that come due within a day or are overdue, to
    their owners; each at most once (INSERT ... ON CONFLICT DO NOTHING on its key)."""
    now = now or utcnow()
    written = 0
    with session_scope(engine, write=True) as session:
        rows = session.exec(
            select(Task, User, Incident)
            .join(User, col(User.id) == col(Task.owner_id))
            .join(Incident, col(Incident.id) == col(Task.incident_id))
            .where(
                col(Task.state) == "open",
                col(Task.due_at).is_not(None),
                col(Task.due_at) <= now + SOON,
                col(User.is_active),
            )
        ).all()
        for task, owner, incident in rows:
            assert task.due_at is not None
            stage = "overdue" if task.due_at <= now else "soon"
            values = _reminder(task, owner, incident, stage, settings)
            written += (
                insert_ignore(
                    session,
                    OutboxMessage,
                    ["dedupe_key"],
                    created_at=now,
                    next_attempt_at=now,
                    **values,
                )
                is not None
            )
    return written


TASK_STAGE = {
    "soon": Text("Due within a day", "Binnen een dag"),
    "overdue": Text("Overdue", "Te laat"),
}
TASK_REMINDER = Text(
    "{state}: the task \u201c{title}\u201d of {reference} was or is due {due}.\n\n"
    "Open the incident: {link}\n\nThis reminder is sent once a day before and once when "
    "overdue.",
    "{state}: de taak \u201c{title}\u201d bij {reference} moest of moet klaar zijn op {due}.\n\n"
    "Open het incident: {link}\n\nDeze herinnering komt één keer een dag ervoor en één keer "
    "als de taak te laat is.",
)


def _reminder(
    task: Task, owner: User, incident: Incident, stage: str, settings: Settings
) -> dict[str, Any]:
    """The owner's reminder, in the owner's language (as the duties' reminders are)."""
    lang = owner.language or settings.default_language
    assert task.due_at is not None
    state = TASK_STAGE[stage].get(lang)
    reference = incident.reference or ""
    body = TASK_REMINDER.get(lang).format(
        state=state,
        title=task.title,
        reference=reference,
        due=format_datetime(task.due_at, settings.zone, lang),
        link=f"{settings.base_url}/incidents/{incident.id}#tasks",
    )
    return {
        "dedupe_key": f"task:{task.id}:{stage}:{task.due_at.isoformat()}"[:200],
        "kind": "task_reminder",
        "recipients": [owner.email],
        "subject": f"[{reference}] {state}: {task.title}"[:500],
        "body_text": body,
        "incident_id": incident.id,
    }
