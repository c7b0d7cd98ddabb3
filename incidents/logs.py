"""structlog JSON logging. Request lines carry method, path, status, duration and user id,
never a body, a query string, a header, a cookie or an answer."""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

import structlog


def configure_logging(level: int = logging.INFO, stream: Any = None) -> None:
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.JSONRenderer(sort_keys=True),
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=stream or sys.stdout),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "breachdesk") -> Any:
    return structlog.get_logger(name)


def safe_traceback(exc: BaseException) -> list[str]:
    """Where an exception came from, without its message: messages of database and
    validation errors can quote the values a user typed."""
    frames = traceback.extract_tb(exc.__traceback__)
    return [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in frames[-12:]]
