"""Deadlines. Elapsed hours are real hours: arithmetic is done on UTC instants, so a
daylight-saving change never adds or removes an hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def due_after(start: datetime, hours: int | None) -> datetime | None:
    """The due time ``hours`` elapsed hours after ``start``; None for "without undue delay"."""
    if hours is None:
        return None
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    return (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(UTC)
