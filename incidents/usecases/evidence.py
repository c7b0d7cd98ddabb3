"""Evidence files of an incident, for the pages and the API (incidents.evidence)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.engine import Engine

from incidents import evidence, service
from incidents.db import session_scope
from incidents.principal import CurrentUser
from incidents.settings import Settings


def listing(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID
) -> list[evidence.EvidenceView]:
    with session_scope(engine) as session:
        incident = service.visible_incident(session, user, incident_id)
        return evidence.visible(session, user, incident)


def add(
    engine: Engine,
    settings: Settings,
    user: CurrentUser,
    incident_id: uuid.UUID,
    *,
    filename: str,
    data: bytes,
    note: str,
    shared_with: Iterable[str],
) -> evidence.EvidenceView:
    with session_scope(engine, write=True) as session:
        incident = service.visible_incident(session, user, incident_id)
        stored = evidence.store(
            session, settings, user, incident, filename=filename, data=data, note=note,
            shared_with=shared_with,
        )  # fmt: skip
        return evidence.find(session, user, incident, stored.id)


def download(
    engine: Engine, settings: Settings, user: CurrentUser, incident_id: uuid.UUID,
    evidence_id: uuid.UUID,
) -> tuple[evidence.EvidenceView, bytes | None]:  # fmt: skip
    """The file and its bytes (None: purged); NotFound when not this principal's to see."""
    with session_scope(engine) as session:
        incident = service.visible_incident(session, user, incident_id)
        found = evidence.find(session, user, incident, evidence_id)
        return found, evidence.content(settings, found.evidence)


def remove(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID, evidence_id: uuid.UUID, reason: str
) -> None:
    with session_scope(engine, write=True) as session:
        incident = service.visible_incident(session, user, incident_id)
        evidence.remove(session, user, incident, evidence_id, reason)


def purge(
    engine: Engine, settings: Settings, user: CurrentUser, incident_id: uuid.UUID,
    evidence_id: uuid.UUID,
) -> None:  # fmt: skip
    with session_scope(engine, write=True) as session:
        incident = service.visible_incident(session, user, incident_id)
        evidence.purge(session, settings, user, incident, evidence_id)
