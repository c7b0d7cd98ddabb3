"""The kinds of question, one object each, in one registry (:data:`KINDS`).

A question names its kind by key (``Question.kind``: "text", "datetime" ...), and
:func:`kind_of` gives the object here. Each kind knows how to read its answer from the
strings of an HTML form, how to check and coerce an answer from the API (JSON), how to
show an answer in words, its JSON schema, and the form values that show a stored answer
again. Its widget on a step page is the macro named like it in
templates/components/widgets.html.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from forms.questionnaire import EU_EEA_COUNTRIES, Question
from forms.reading import FormValues, all_values, date_parts, first_value, read_date, read_integer
from forms.values import (
    EMAIL_RE,
    EXPECTED,
    ISO_DATE_RE,
    MAX_PERSONS,
    PHONE_RE,
    Context,
    FieldError,
    InstantError,
    clean_text,
    format_instant,
    parse_instant,
    read_instant,
)
from forms.words import WHOLE_DAY, format_date, format_datetime, format_number

Coerced = tuple[Any, list[FieldError]]  # a canonical answer (None if wrong), the problems
Read = tuple[Any, FieldError | None]  # a raw answer from a form (None: not given), a problem


@dataclass(frozen=True)
class Wording:
    """How answers are shown: the language, the time zone, the names of the controllers."""

    language: str
    zone: ZoneInfo
    names: Mapping[str, str]


class Kind:
    """A kind of question. Every method does what a one-line text answer needs; the kinds
    below change what differs."""

    name: str
    required = "required_text"  # the FieldError code of a required answer left out
    expected = "text"  # what a value of the wrong JSON type should have been (EXPECTED)
    many = False  # the answer is a list

    def read(self, question: Question, values: FormValues, zone: ZoneInfo) -> Read:
        """The raw answer in a submitted form (None: not given) or the problem seen in
        the strings already."""
        return first_value(values, question.key), None

    def coerce(self, question: Question, value: Any, ctx: Context) -> Coerced:
        """A raw answer (JSON, or what :meth:`read` found) to a canonical answer, or its
        problems."""
        if not isinstance(value, str):
            return None, [self.wrong_type(question)]
        text = clean_text(value)
        if len(text) > question.max_length:
            return None, [FieldError(question.key, "too_long", {"max": question.max_length})]
        problem = self.problem(text)
        return (None, [FieldError(question.key, problem)]) if problem else (text, [])

    def problem(self, text: str) -> str | None:
        """The code of what is wrong with a text answer of the right length, if anything."""
        return None

    def wrong_type(self, question: Question) -> FieldError:
        return FieldError(question.key, "wrong_type", {"expected": EXPECTED[self.expected]})

    def display(self, question: Question, value: Any, how: Wording) -> list[str]:
        """A canonical answer (not empty) as lines of text."""
        return [str(value)]

    def schema(self, question: Question) -> dict[str, Any]:
        """The JSON schema (OpenAPI 3.1) of an answer in the API."""
        return {
            "type": ["string", "null"],
            "maxLength": question.max_length,
            "description": question.label.en,
        }

    def form_values(self, question: Question, value: Any, zone: ZoneInfo) -> dict[str, Any]:
        """A stored answer as the values of the form fields that ask it."""
        return {} if value is None else {question.key: str(value)}


class TextKind(Kind):
    name = "text"


class TextareaKind(Kind):
    name = "textarea"


class EmailKind(Kind):
    name = "email"

    def problem(self, text: str) -> str | None:
        return None if EMAIL_RE.match(text) else "email_invalid"

    def schema(self, question: Question) -> dict[str, Any]:
        return {**super().schema(question), "format": "email"}


class PhoneKind(Kind):
    name = "phone"

    def problem(self, text: str) -> str | None:
        digits = sum(c.isdigit() for c in text)
        return None if PHONE_RE.match(text) and digits >= 6 else "phone_invalid"


class IntegerKind(Kind):
    name = "integer"
    required = "required_number"
    expected = "integer"

    def read(self, question: Question, values: FormValues, zone: ZoneInfo) -> Read:
        text = first_value(values, question.key)
        if not text:
            return None, None
        number = read_integer(text)
        if isinstance(number, int):
            return number, None
        return None, FieldError(question.key, "not_whole_number")

    def coerce(self, question: Question, value: Any, ctx: Context) -> Coerced:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, [self.wrong_type(question)]
        if value < 0:
            return None, [FieldError(question.key, "negative")]
        if value >= MAX_PERSONS:
            return None, [FieldError(question.key, "too_large")]
        return value, []

    def display(self, question: Question, value: Any, how: Wording) -> list[str]:
        return [format_number(int(value), how.language)]

    def schema(self, question: Question) -> dict[str, Any]:
        return {"type": ["integer", "null"], "minimum": 0, "description": question.label.en}


def _option_labels(question: Question, value: Any, language: str) -> list[str]:
    labels = []
    for item in value if isinstance(value, list | tuple) else [value]:
        option = question.option(item)
        labels.append(option.label.get(language) if option else str(item))
    return labels


class SingleKind(Kind):
    name = "single"
    required = "required_choice"
    expected = "string"

    def coerce(self, question: Question, value: Any, ctx: Context) -> Coerced:
        if not isinstance(value, str):
            return None, [self.wrong_type(question)]
        if value not in question.values:
            return None, [FieldError(question.key, "invalid_option", {"value": value[:80]})]
        return value, []

    def display(self, question: Question, value: Any, how: Wording) -> list[str]:
        return _option_labels(question, value, how.language)

    def schema(self, question: Question) -> dict[str, Any]:
        return {
            "type": ["string", "null"],
            "enum": [*question.values, None],
            "description": question.label.en,
        }


class ListKind(Kind):
    """Several choices: a list of strings, each at most once."""

    required = "required_multi"
    expected = "list"
    many = True
    items_schema: dict[str, Any] = {"type": "string"}

    def read(self, question: Question, values: FormValues, zone: ZoneInfo) -> Read:
        return all_values(values, question.key), None

    def coerce(self, question: Question, value: Any, ctx: Context) -> Coerced:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return None, [self.wrong_type(question)]
        unique = list(dict.fromkeys(item.strip() for item in value if item.strip()))
        return self.coerce_items(question, unique, ctx)

    def coerce_items(self, question: Question, items: list[str], ctx: Context) -> Coerced:
        """The distinct, non-empty items to the canonical list, or their problems."""
        raise NotImplementedError

    def schema(self, question: Question) -> dict[str, Any]:
        return {
            "type": ["array", "null"],
            "items": self.item_schema(question),
            "description": question.label.en,
        }

    def item_schema(self, question: Question) -> dict[str, Any]:
        return self.items_schema

    def form_values(self, question: Question, value: Any, zone: ZoneInfo) -> dict[str, Any]:
        return {question.key: list(value or [])}


class MultiKind(ListKind):
    """Options of the question; ``exclusive`` stands alone; kept in the options' order."""

    name = "multi"

    def coerce_items(self, question: Question, items: list[str], ctx: Context) -> Coerced:
        key = question.key
        errors = [
            FieldError(key, "invalid_option", {"value": v[:80]})
            for v in items
            if v not in question.values
        ]
        if not errors and question.exclusive in items and len(items) > 1:
            errors.append(FieldError(key, "exclusive"))
        ordered = [v for v in question.values if v in items]
        return (None, errors) if errors else (ordered, [])

    def display(self, question: Question, value: Any, how: Wording) -> list[str]:
        return _option_labels(question, value, how.language)

    def item_schema(self, question: Question) -> dict[str, Any]:
        return {"type": "string", "enum": list(question.values)}


class CountriesKind(ListKind):
    """EU/EEA states other than the processor's own, as upper-case ISO codes, sorted."""

    name = "countries"
    items_schema = {
        "type": "string",
        "pattern": "^[A-Za-z]{2}$",
        "description": "ISO 3166-1 alpha-2 code of an EU/EEA state",
    }

    def coerce_items(self, question: Question, items: list[str], ctx: Context) -> Coerced:
        codes = [v.upper() for v in items]
        errors = []
        for code in codes:
            if code not in EU_EEA_COUNTRIES:
                errors.append(FieldError(question.key, "country_not_eu", {"value": code[:10]}))
            elif code == ctx.home_country.upper():
                errors.append(FieldError(question.key, "country_home", {"value": code}))
        return (None, errors) if errors else (sorted(codes), [])

    def display(self, question: Question, value: Any, how: Wording) -> list[str]:
        return [
            f"{EU_EEA_COUNTRIES[c].get(how.language)} ({c})" if c in EU_EEA_COUNTRIES else c
            for c in value
        ]


class ControllersKind(ListKind):
    """Controller slugs, lower case; checked against ``Context.controllers`` when known."""

    name = "controllers"
    items_schema = {"type": "string", "description": "Controller slug"}

    def coerce_items(self, question: Question, items: list[str], ctx: Context) -> Coerced:
        slugs = [v.lower() for v in items]
        errors = []
        if ctx.controllers is not None:
            errors = [
                FieldError(question.key, "unknown_controller", {"value": s[:80]})
                for s in slugs
                if s not in ctx.controllers
            ]
        return (None, errors) if errors else (slugs, [])

    def display(self, question: Question, value: Any, how: Wording) -> list[str]:
        return [how.names.get(slug, slug) for slug in value]


class DatetimeKind(Kind):
    """A moment in UTC (``2026-03-27T09:00:00Z``), or a whole day when the question allows
    it; typed on the page as day, month, year and time in the organisation's zone."""

    name = "datetime"
    required = "required_date"
    expected = "datetime"

    def read(self, question: Question, values: FormValues, zone: ZoneInfo) -> Read:
        return read_date(question, values, zone)

    def coerce(self, question: Question, value: Any, ctx: Context) -> Coerced:
        if not isinstance(value, str):
            return None, [self.wrong_type(question)]
        try:
            moment = read_instant(value.strip(), day_allowed=question.day_only_allowed)
        except InstantError as exc:
            return None, [FieldError(question.key, exc.code)]
        if isinstance(moment, datetime):
            return format_instant(moment), []
        return moment.isoformat(), []

    def display(self, question: Question, value: Any, how: Wording) -> list[str]:
        if ISO_DATE_RE.match(str(value)):
            day = format_date(date.fromisoformat(value), how.language)
            return [f"{day} ({WHOLE_DAY.get(how.language)})"]
        instant = parse_instant(str(value))
        return [format_datetime(instant, how.zone, how.language)] if instant else [str(value)]

    def schema(self, question: Question) -> dict[str, Any]:
        form = (
            ". ISO 8601 with an offset; a date alone (YYYY-MM-DD) means the whole day."
            if question.day_only_allowed
            else ". ISO 8601 with an offset, e.g. 2026-03-27T10:00:00+01:00."
        )
        return {"type": ["string", "null"], "description": question.label.en + form}

    def form_values(self, question: Question, value: Any, zone: ZoneInfo) -> dict[str, Any]:
        parts = date_parts(value, zone)
        return {f"{question.key}-{part}": text for part, text in parts.items()}


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        TextKind(),
        TextareaKind(),
        EmailKind(),
        PhoneKind(),
        IntegerKind(),
        SingleKind(),
        MultiKind(),
        CountriesKind(),
        ControllersKind(),
        DatetimeKind(),
    )
}


def kind_of(question: Question) -> Kind:
    """The kind of a question (every key of ``questionnaire.Kind`` is registered)."""
    return KINDS[question.kind]
