"""Claiming one row of a work queue for a lease, shared by the outbox (incidents/delivery.py)
and the send batches (incidents/batches.py). Several worker processes, on several machines
with PostgreSQL, each take a different row (``FOR UPDATE SKIP LOCKED``; SQLite has one
writer at a time); a worker that dies leaves its row to another once the lease has run out.
"""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.engine import Engine

from incidents.db import session_scope

_HOST = socket.gethostname()[:60]


def new_token() -> str:
    """Who holds a claim: host, process and a random part (at most 86 characters)."""
    return f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def claim_one(
    engine: Engine,
    table: Table,
    claimable: Any,
    order_by: tuple[Any, ...],
    values: dict[str, Any],
    returning: tuple[Any, ...],
) -> tuple[Any, ...] | None:
    """Set ``values`` on the first row of ``table`` that is ``claimable`` in the order
    ``order_by``, if another worker has not taken it meanwhile; the ``returning`` columns
    of the row claimed, or None."""
    candidate = (
        select(table.c.id)
        .where(claimable)
        .order_by(*order_by)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(table)
        .where(table.c.id == candidate, claimable)
        .values(**values)
        .returning(*returning)
    )
    with session_scope(engine, write=True) as session:
        row = session.connection().execute(statement).first()
    return tuple(row) if row is not None else None
