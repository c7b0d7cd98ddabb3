"""Answers in words, for pages and documents, in Dutch or English."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from forms.answers import ISO_DATE_RE, parse_instant
from forms.questionnaire import EU_EEA_COUNTRIES, QUESTIONS, STEPS, Question, Text

MONTHS = {
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
WHOLE_DAY = Text("whole day", "hele dag")
NOT_PROVIDED = Text("Not provided", "Niet ingevuld")


def format_date(day: date, language: str) -> str:
    return f"{day.day} {MONTHS.get(language, MONTHS['en'])[day.month - 1]} {day.year}"


def format_datetime(value: datetime, zone: ZoneInfo, language: str) -> str:
    local = value.astimezone(zone)
    return f"{format_date(local.date(), language)}, {local:%H:%M} {local.tzname()}"


def format_number(value: int, language: str) -> str:
    grouped = f"{value:,}"
    return grouped.replace(",", ".") if language == "nl" else grouped


def display_value(
    question: Question,
    value: Any,
    language: str,
    zone: ZoneInfo,
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """The answer as lines of text; an empty list when not answered."""
    if value is None or value in ("", [], ()):
        return []
    kind = question.kind
    if kind in {"single", "multi"}:
        items = value if isinstance(value, list | tuple) else [value]
        return [
            (question.option(v).label.get(language) if question.option(v) else str(v))
            for v in items
        ]
    if kind == "countries":
        return [
            f"{EU_EEA_COUNTRIES[c].get(language)} ({c})" if c in EU_EEA_COUNTRIES else c
            for c in value
        ]
    if kind == "controllers":
        return [(names or {}).get(slug, slug) for slug in value]
    if kind == "integer":
        return [format_number(int(value), language)]
    if kind == "datetime":
        if ISO_DATE_RE.match(str(value)):
            return [
                f"{format_date(date.fromisoformat(value), language)} ({WHOLE_DAY.get(language)})"
            ]
        instant = parse_instant(str(value))
        return [format_datetime(instant, zone, language)] if instant else [str(value)]
    return [str(value)]


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
