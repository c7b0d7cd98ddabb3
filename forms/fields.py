"""Reading one step of the questionnaire from the strings of an HTML form, and showing
stored answers in it again: each question's kind knows its fields (forms/kinds.py), the
strings are read as forms/reading.py says."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from forms.kinds import kind_of
from forms.questionnaire import Step
from forms.reading import (
    MONTH_NAMES,
    FormValues,
    all_values,
    date_part_names,
    date_parts,
    first_value,
    read_date,
    read_integer,
)
from forms.values import FieldError

# The readers of form strings (forms/reading.py), where the rest of the project has found them.
__all__ = [
    "MONTH_NAMES",
    "FormValues",
    "all_values",
    "date_part_names",
    "date_parts",
    "first_value",
    "form_values",
    "read_date",
    "read_integer",
    "read_step",
]


def read_step(
    step: Step, values: FormValues, zone: ZoneInfo
) -> tuple[dict[str, Any], list[FieldError]]:
    """Raw answers of one step (ready for :func:`forms.answers.validate`) and the problems
    that are already visible in the strings (dates, numbers). Each question's kind reads
    its fields (forms/kinds.py)."""
    answers: dict[str, Any] = {}
    errors: list[FieldError] = []
    for question in step.questions:
        value, error = kind_of(question).read(question, values, zone)
        if error:
            errors.append(error)
        elif value is not None:
            answers[question.key] = value
    return answers, errors


def form_values(step: Step, answers: Mapping[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """Stored answers as the values of the step's form fields (what :func:`read_step`
    reads back): each question's kind says which fields show its answer."""
    values: dict[str, Any] = {}
    for question in step.questions:
        values.update(kind_of(question).form_values(question, answers.get(question.key), zone))
    return values
