"""Answers in words, for pages and documents, in Dutch or English."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from forms.kinds import Wording, kind_of
from forms.questionnaire import QUESTIONS, STEPS, Question
from forms.words import (
    MONTHS,
    NOT_PROVIDED,
    WHOLE_DAY,
    format_date,
    format_datetime,
    format_number,
)

# Dates and numbers in words (forms/words.py), where the rest of the project has found them.
__all__ = [
    "MONTHS",
    "NOT_PROVIDED",
    "WHOLE_DAY",
    "answer_changes",
    "answer_sections",
    "display_value",
    "format_date",
    "format_datetime",
    "format_number",
]


def display_value(
    question: Question,
    value: Any,
    language: str,
    zone: ZoneInfo,
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """The answer as lines of text (its kind's words, forms/kinds.py); an empty list
    when not answered."""
    if value is None or value in ("", [], ()):
        return []
    return kind_of(question).display(question, value, Wording(language, zone, names or {}))


def answer_sections(
    answers: Mapping[str, Any],
    language: str,
    zone: ZoneInfo,
    names: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every step with its applicable questions and the answers in words."""
    sections = []
    for step in STEPS:
        rows = []
        for question in step.questions:
            if not question.applies(answers):
                continue
            lines = display_value(question, answers.get(question.key), language, zone, names)
            rows.append(
                {
                    "question": question,
                    "lines": lines or [NOT_PROVIDED.get(language)],
                    "empty": not lines,
                }
            )
        sections.append({"step": step, "rows": rows})
    return sections


def answer_changes(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    language: str,
    zone: ZoneInfo,
    names: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The questions whose answer differs, with the old and the new answer in words."""
    return [
        {
            "question": question,
            "old": display_value(question, old.get(key), language, zone, names),
            "new": display_value(question, new.get(key), language, zone, names),
        }
        for key, question in QUESTIONS.items()
        if old.get(key) != new.get(key)
    ]
