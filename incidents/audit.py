"""The append-only audit log: who did what, when. Never answers or contact data."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from incidents.models import AuditEvent
from incidents.principal import CurrentUser


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    incident_id: uuid.UUID | None = None,
    organisation_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        incident_id=incident_id,
        organisation_id=organisation_id,
        details=details,
    )
    session.add(event)
    return event


def on_incident(
    session: Session,
    user: CurrentUser,
    action: str,
    incident_id: uuid.UUID,
    organisation_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """An act of ``user`` on one incident (and, where given, one controller's notice)."""
    event = incident_event(user, action, incident_id, organisation_id, **details)
    session.add(event)
    return event


def incident_event(
    user: CurrentUser,
    action: str,
    incident_id: uuid.UUID,
    organisation_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """The event of an act of ``user`` on one incident, not yet in a session."""
    return AuditEvent(
        action=action,
        actor_id=user.id,
        incident_id=incident_id,
        organisation_id=organisation_id,
        details=details,
    )
