"""The audit trail for the processor's staff: every act, filtered, a page at a time or as
CSV."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from incidents import audit
from incidents.db import session_scope


@dataclass(frozen=True)
class TrailPage:
    rows: list[audit.TrailRow]
    next_before: int | None  # the id to continue from (older acts); None: no more
    actions: list[str]


def page(engine: Engine, wanted: audit.TrailFilter, before: int | None) -> TrailPage:
    with session_scope(engine) as session:
        rows, more = audit.trail(session, wanted, before=before)
        return TrailPage(rows, more, audit.actions(session))


def csv_lines(engine: Engine, wanted: audit.TrailFilter) -> Iterator[str]:
    """Every matching act as CSV, read in batches in one read transaction."""
    with session_scope(engine) as session:
        yield from audit.trail_csv(session, wanted)
