"""The one clock of the app. Everything that depends on time reads ``now()``; tests move it
(``travel``/``freeze``) to walk sessions, deadlines, reminders and retries through minutes,
hours, days and daylight-saving changes without waiting.

A served process can be started with ``BREACHDESK_CLOCK_OFFSET_SECONDS`` in the test
environment only (see ``Settings``), so browser tests can put a live server in the future.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """The current instant, aware, in UTC."""
    frozen = _frozen
    if frozen is not None:
        return frozen
    return datetime.now(UTC) + _offset


def travel(delta: timedelta) -> datetime:
    """Move the clock by ``delta`` (forward or back); a frozen clock stays frozen."""
    global _offset, _frozen
    with _lock:
        if _frozen is not None:
            _frozen = _frozen + delta
        else:
            _offset = _offset + delta
    return now()


def freeze(at: datetime) -> None:
    """Stop the clock at ``at`` (aware)."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    with _lock:
        _frozen = at.astimezone(UTC)


def set_offset(delta: timedelta) -> None:
    global _offset
    with _lock:
        _offset = delta


def reset() -> None:
    """Back to real time."""
    global _offset, _frozen
    with _lock:
        _offset = timedelta(0)
        _frozen = None
