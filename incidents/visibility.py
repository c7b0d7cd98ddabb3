"""Who may see what: the one rule, used by every page, API call, export, dashboard and
document (through service.visible_incident, notices.notice_for, the register's query and
the notice inbox).

- Processor staff (and admins) see every incident and every notice, but for a deleted
  draft: for everyone it is as if it never was.
- A controller's privacy officer sees a notice of their own controller once the processor
  has sent it and as long as it is not removed, and an incident only through such a notice
  (never a draft). Anything else is answered exactly as a missing id (404)."""

from __future__ import annotations

from sqlalchemy import and_, exists, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from incidents.models import Incident, IncidentStatus, Notice
from incidents.principal import CurrentUser


def notice_clause(user: CurrentUser) -> ColumnElement[bool]:
    """The notices this principal may see, as a WHERE condition on ``Notice``."""
    if user.is_staff:
        return true()
    return and_(
        col(Notice.controller_id) == user.organisation_id,
        col(Notice.sent_at).is_not(None),
        col(Notice.removed_at).is_(None),
    )


def incident_clause(user: CurrentUser) -> ColumnElement[bool]:
    """The incidents this principal may see, as a WHERE condition on ``Incident``: for an
    officer a correlated EXISTS on a visible notice of the incident."""
    if user.is_staff:
        return col(Incident.deleted_at).is_(None)
    return and_(
        col(Incident.status) != IncidentStatus.draft,
        exists(
            select(col(Notice.id)).where(
                col(Notice.incident_id) == col(Incident.id), notice_clause(user)
            )
        ),
    )


def may_see_notice(user: CurrentUser, notice: Notice) -> bool:
    """The same rule as ``notice_clause`` for a notice already loaded."""
    return user.is_staff or (
        notice.controller_id == user.organisation_id
        and notice.sent_at is not None
        and notice.removed_at is None
    )


def may_see_controller(user: CurrentUser, slug: str) -> bool:
    """Whether a controller's data (its notice, its answers) is this principal's to see."""
    return user.is_staff or slug == user.organisation_slug


def may_see_incident(session: Session, user: CurrentUser, incident: Incident) -> bool:
    """The same rule as ``incident_clause`` for an incident already loaded."""
    if incident.deleted_at is not None:
        return False
    if user.is_staff:
        return True
    if incident.status == IncidentStatus.draft:
        return False
    visible = select(col(Notice.id)).where(
        col(Notice.incident_id) == incident.id, notice_clause(user)
    )
    return session.exec(visible.limit(1)).first() is not None
