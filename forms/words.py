"""Dates, date-times and numbers in words, in Dutch or English."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from forms.questionnaire import Text

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


def format_decimal(value: float, language: str) -> str:
    """A score or a factor as people write it: 3.25 in English, 3,25 in Dutch; no trailing
    zeros (2, not 2.0)."""
    text = f"{value:g}"
    return text.replace(".", ",") if language == "nl" else text
