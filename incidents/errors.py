"""The domain's errors: what a use case answers when it cannot do what was asked. They know
nothing of HTTP; incidents/app.py maps them to answers in one place (NotFound 404,
NotAllowed 403, Conflict 409, Invalid 422), and a handler that has something better to
show (the form again with what was typed) catches them first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from incidents.i18n import gettext as _


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


def read_fields(body: Mapping[str, Any], expected: Mapping[str, Any]) -> dict[str, Any]:
    """An API body's fields, each of the type of its default in ``expected`` (a missing one
    takes the default); Invalid names every field that is unknown or of another type."""
    problems = [
        Problem(str(k)[:80], _("There is no field with this name."))
        for k in body
        if k not in expected
    ]
    values = {key: body.get(key, default) for key, default in expected.items()}
    for key, value in values.items():
        if isinstance(expected[key], bool) and not isinstance(value, bool):
            problems.append(Problem(key, _("Use true or false.")))
        elif isinstance(expected[key], str) and not isinstance(value, str):
            problems.append(Problem(key, _("Write it as text.")))
    if problems:
        raise Invalid(problems)
    return values
