"""The append-only audit log: who did what, when. Never answers or contact data."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from incidents.csvfile import safe_cell
from incidents.db import contains
from incidents.models import AuditEvent, Incident, Organisation, User
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


# --- the trail: every act, for the processor's staff -------------------------------------

TRAIL_PAGE = 100


@dataclass(frozen=True)
class TrailRow:
    """One act with who did it, on which incident and organisation (names, not ids)."""

    id: int
    at: datetime
    action: str
    person: str | None  # None: the system (the worker, a command)
    email: str | None
    incident_id: uuid.UUID | None
    reference: str | None
    organisation: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class TrailFilter:
    incident: str = ""  # a part of the reference (INC-2026-0003, 0003)
    person: str = ""  # a part of the name or e-mail address
    action: str = ""  # one action, exactly

    def clauses(self) -> list[Any]:
        found: list[Any] = []
        if self.incident:
            found.append(contains(col(Incident.reference), self.incident))
        if self.person:
            found.append(
                contains(col(User.name), self.person) | contains(col(User.email), self.person)
            )
        if self.action:
            found.append(col(AuditEvent.action) == self.action)
        return found


def trail(
    session: Session, wanted: TrailFilter, *, before: int | None = None, limit: int = TRAIL_PAGE
) -> tuple[list[TrailRow], int | None]:
    """The acts matching ``wanted``, the latest first, ``limit`` of them older than the act
    ``before``; and the id to continue from (None: no more)."""
    query = (
        sa_select(
            AuditEvent,
            col(User.name),
            col(User.email),
            col(Incident.reference),
            col(Organisation.name),
        )
        .outerjoin(User, col(User.id) == col(AuditEvent.actor_id))
        .outerjoin(Incident, col(Incident.id) == col(AuditEvent.incident_id))
        .outerjoin(Organisation, col(Organisation.id) == col(AuditEvent.organisation_id))
        .where(*wanted.clauses())
    )
    if before is not None:
        query = query.where(col(AuditEvent.id) < before)
    found = session.execute(query.order_by(col(AuditEvent.id).desc()).limit(limit + 1)).all()
    rows = [
        TrailRow(
            id=event.id or 0,
            at=event.at,
            action=event.action,
            person=name,
            email=email,
            incident_id=event.incident_id,
            reference=reference,
            organisation=organisation,
            details=dict(event.details or {}),
        )
        for event, name, email, reference, organisation in found[:limit]
    ]
    return rows, (rows[-1].id if len(found) > limit else None)


def actions(session: Session) -> list[str]:
    """Every action on record, by name (the filter's choices)."""
    query = select(AuditEvent.action).distinct().order_by(col(AuditEvent.action))
    return [str(a) for a in session.exec(query).all()]


def trail_csv(session: Session, wanted: TrailFilter, *, batch: int = 1000) -> Iterator[str]:
    """The acts matching ``wanted`` as CSV lines (UTF-8 text; times in UTC), all of them,
    read in batches: a cell a spreadsheet would run is written with a ' before it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["at_utc", "action", "person", "email", "incident", "organisation", "details"])
    before = None
    while True:
        rows, before = trail(session, wanted, before=before, limit=batch)
        for row in rows:
            writer.writerow(
                [
                    row.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    row.action,
                    safe_cell(row.person or ""),
                    safe_cell(row.email or ""),
                    row.reference or (str(row.incident_id) if row.incident_id else ""),
                    safe_cell(row.organisation or ""),
                    safe_cell(json.dumps(row.details, sort_keys=True, default=str)),
                ]
            )
        yield out.getvalue()
        out.seek(0)
        out.truncate()
        if before is None:
            return
