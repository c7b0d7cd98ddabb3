"""Deadlines. Elapsed hours are real hours: arithmetic is done on UTC instants, so a
daylight-saving change never adds or removes an hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


def due_after(start: datetime, hours: int | None) -> datetime | None:
    """The due time ``hours`` elapsed hours after ``start``; None for "without undue delay"."""
    if hours is None:
        return None
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    return (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(UTC)


@dataclass(frozen=True)
class Obligation:
    key: str
    controller: str
    starts_at: datetime | None
    due_at: datetime | None
    status: str  # pending, open, met, overdue, not_applicable
    met_at: datetime | None = None
    late: bool = False


def processor_notice(
    controller: str,
    discovered_at: datetime | None,
    contract_hours: int | None,
    delivered_at: datetime | None,
    now: datetime,
) -> Obligation:
    """The processor's duty to tell one controller (GDPR Art. 33(2) and the contract)."""
    if discovered_at is None:
        return Obligation("processor_notice", controller, None, None, "pending")
    due = due_after(discovered_at, contract_hours)
    if delivered_at is not None:
        late = due is not None and delivered_at > due
        return Obligation(
            "processor_notice", controller, discovered_at, due, "met", delivered_at, late
        )
    status = "overdue" if due is not None and now > due else "open"
    return Obligation("processor_notice", controller, discovered_at, due, status)
