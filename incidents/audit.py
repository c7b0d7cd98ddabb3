"""The append-only audit log: who did what, when. Never answers or contact data."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from incidents.models import AuditEvent


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
