"""Input held across a login (issue 16). A questionnaire step posted after its login had
ended (idle, or past its lifetime) cannot be saved for nobody; it is held for the person
whose login it was, the login page carries a token to it, and once that same person has
logged in again it is saved as the draft of that step. Held input lasts a day and is used
once; another person logging in on that browser never gets it."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import select

from incidents.db import session_scope
from incidents.models import HeldInput
from incidents.security import digest

KEEP_FOR = timedelta(days=1)
MAX_FIELDS = 200
STEP_PATH = re.compile(r"^/incidents/(?P<incident>[0-9a-f-]{36})/report/(?P<step>[a-z_]{1,40})$")
_table = HeldInput.__table__  # type: ignore[attr-defined]


def holdable(method: str, path: str) -> bool:
    return method == "POST" and STEP_PATH.match(path) is not None


def hold(engine: Engine, user_id: int, path: str, data: dict[str, Any], now: datetime) -> str:
    """Hold a step's posted input for ``user_id``; the token for the login page."""
    token = secrets.token_urlsafe(24)
    kept = {str(k)[:100]: v for k, v in list(data.items())[:MAX_FIELDS] if k != "_csrf_token"}
    with session_scope(engine, write=True) as session:
        session.add(
            HeldInput(
                token_hash=digest(token),
                user_id=user_id,
                path=path,
                data=kept,
                created_at=now,
                expires_at=now + KEEP_FOR,
            )
        )
    return token


def take(
    engine: Engine, user_id: int, token: str, now: datetime
) -> tuple[uuid.UUID, str, dict[str, Any]] | None:
    """The held input of ``token`` if it is this user's, unused and not expired (it is
    used now: a second take finds nothing): the incident, the step and the form."""
    if not token or len(token) > 100:
        return None
    with session_scope(engine, write=True) as session:
        row = session.exec(select(HeldInput).where(HeldInput.token_hash == digest(token))).first()
        if row is None or row.user_id != user_id or row.expires_at <= now:
            return None
        used = session.connection().execute(
            update(_table)
            .where(_table.c.id == row.id, _table.c.used_at.is_(None))
            .values(used_at=now)
        )
        if not used.rowcount:
            return None
        found = STEP_PATH.match(row.path)
        if found is None:
            return None
        return uuid.UUID(found["incident"]), found["step"], dict(row.data)
