"""The domain's errors: what a use case answers when it cannot do what was asked. They know
nothing of HTTP; incidents/app.py maps them to answers in one place (NotFound 404,
NotAllowed 403, Conflict 409, Invalid 422), and a handler that has something better to
show (the form again with what was typed) catches them first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class DomainError(Exception):
    """A use case refused; ``message`` is for people (empty: the answer's own words)."""

    def __init__(self, message: str = "") -> None:
        self.message = message
        super().__init__(message)


class NotFound(DomainError):
    """There is no such thing, or the principal may not see it (the same answer)."""


class NotAllowed(DomainError):
    """The principal sees it but may not do this."""


class Conflict(DomainError):
    """The thing is not in a state that allows this (or changed in between)."""


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


class Invalid(DomainError):
    """Bad input; ``problems`` names every field that is wrong."""

    def __init__(self, problems: Iterable[Problem], message: str | None = None) -> None:
        self.problems = list(problems)
        if message is None:
            message = "; ".join(f"{p.field}: {p.message}" for p in self.problems)
        super().__init__(message)
