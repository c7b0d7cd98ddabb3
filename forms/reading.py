"""Values from the strings of an HTML form: one or several values of a field, whole
numbers as typed, and dates typed as day, month, year and time.

Dates are typed in the organisation's time zone, following the GOV.UK date pattern: one
error per date, in the order missing, incomplete, not a real date; month names are
understood in Dutch and English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from forms.questionnaire import Question
from forms.values import DATE_PARTS, FieldError, format_instant, year_in_range

FormValues = Mapping[str, str | Sequence[str]]

MONTH_NAMES = {
    "jan": 1,
    "januari": 1,
    "january": 1,
    "feb": 2,
    "februari": 2,
    "february": 2,
    "mrt": 3,
    "mar": 3,
    "maart": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "mei": 5,
    "may": 5,
    "jun": 6,
    "juni": 6,
    "june": 6,
    "jul": 7,
    "juli": 7,
    "july": 7,
    "aug": 8,
    "augustus": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "okt": 10,
    "oct": 10,
    "oktober": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
# Numbers are typed with the digits 0-9 only: ``\d`` and ``str.isdigit()`` also accept
# Arabic-Indic, full-width and superscript digits, some of which ``int()`` then reads as
# another number and some of which it refuses with a ValueError.
TIME_RE = re.compile(r"([0-9]{1,2})[:.h]?([0-9]{2})")
GROUPED_NUMBER_RE = re.compile(r"[0-9]{1,3}(?:[.,\s][0-9]{3})+")
DATE_NUMBER_RE = re.compile(r"[0-9]{1,9}")  # a day, a month or a year as digits
DIGITS_READ = 30  # a longer number is read as one that is too large (or too small)


def first_value(values: FormValues, name: str) -> str:
    """The one value of a field, stripped ("" when not sent)."""
    value = values.get(name, "")
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value).strip()


def all_values(values: FormValues, name: str) -> list[str]:
    """The non-blank values of a field sent several times (checkboxes)."""
    value = values.get(name, [])
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(v) for v in value if str(v).strip()]


def date_part_names(key: str) -> dict[str, str]:
    return {part: f"{key}-{part}" for part in ("day", "month", "year", "time")}


def read_integer(text: str) -> int | str:
    """Digits, tolerating spaces and thousands separators ('1 000', '1.000', '1,000')."""
    compact = text.replace("\u00a0", " ").strip()
    if GROUPED_NUMBER_RE.fullmatch(compact):
        compact = re.sub(r"[.,\s]", "", compact)
    compact = compact.replace(" ", "")
    if re.fullmatch(r"-?[0-9]+", compact):
        digits = compact.lstrip("-").lstrip("0")
        if len(digits) > DIGITS_READ:  # Python will not convert thousands of digits
            return -(10**DIGITS_READ) if compact.startswith("-") else 10**DIGITS_READ
        return int(compact)
    return text  # left for validation to refuse as "not a whole number"


def read_date(
    question: Question, values: FormValues, zone: ZoneInfo
) -> tuple[str | None, FieldError | None]:
    """The date parts of one question to a canonical answer, or the first problem."""
    names = date_part_names(question.key)
    day, month, year, clock = (
        first_value(values, names[p]) for p in ("day", "month", "year", "time")
    )
    if not any((day, month, year, clock)):
        return None, None
    missing = [part for part, text in (("day", day), ("month", month), ("year", year)) if not text]
    if len(missing) == 3:
        return None, FieldError(names["day"], "date_missing", {"label": question.label})
    if missing:
        return None, FieldError(
            names[missing[0]], "date_incomplete", {"part": DATE_PARTS[missing[0]]}
        )
    month_number = MONTH_NAMES.get(month.lower().rstrip("."))
    numbers = [DATE_NUMBER_RE.fullmatch(text) for text in (day, year)]
    if not all(numbers) or not (month_number or DATE_NUMBER_RE.fullmatch(month)):
        return None, FieldError(names["day"], "date_not_real")
    try:
        parsed = date(int(year), month_number or int(month), int(day))
    except ValueError:
        return None, FieldError(names["day"], "date_not_real")
    if len(year) < 4:  # a year of two digits, like 26
        return None, FieldError(names["year"], "date_not_real")
    if not year_in_range(parsed.year):
        return None, FieldError(names["year"], "year_out_of_range")
    if not clock:
        if question.day_only_allowed:
            return parsed.isoformat(), None
        return None, FieldError(names["time"], "time_missing")
    match = TIME_RE.fullmatch(clock)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None, FieldError(names["time"], "time_invalid")
    local = datetime.combine(parsed, time(int(match.group(1)), int(match.group(2))), tzinfo=zone)
    return format_instant(local), None


def date_parts(value: str | None, zone: ZoneInfo) -> dict[str, str]:
    """A stored date answer split for the form's day, month, year and time fields."""
    if not value:
        return {}
    if len(value) == 10:
        day = date.fromisoformat(value)
        return {"day": str(day.day), "month": str(day.month), "year": str(day.year), "time": ""}
    local = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone)
    return {
        "day": str(local.day),
        "month": str(local.month),
        "year": str(local.year),
        "time": f"{local:%H:%M}",
    }
