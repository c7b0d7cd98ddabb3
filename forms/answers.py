"""Validation: raw answers in, canonical answers (or every problem) out.

Canonical answers are plain JSON values, the form they are stored and sent in:
text as str, numbers as int, choices as str, several choices as a list in the order of
the options, date-times as UTC ISO 8601 with ``Z`` (``2026-03-27T09:00:00Z``), and for the
``occurred_*`` questions a date alone (``2026-03-27``) meaning the whole day.
Questions that do not apply are absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from forms.questionnaire import EU_EEA_COUNTRIES, QUESTIONS, Question, Step, Text

EMAIL_RE = re.compile(
    r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{6,40}$")
ISO_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_PERSONS = 10_000_000_000

MESSAGES: dict[str, Text] = {
    "unknown_key": Text("There is no question with this key", "Er is geen vraag met deze sleutel"),
    "required_text": Text("Fill in “{label}”", "Vul „{label}” in"),
    "required_choice": Text("Select an answer to “{label}”", "Kies een antwoord op „{label}”"),
    "required_multi": Text(
        "Select at least one option for “{label}”", "Kies ten minste één optie bij „{label}”"
    ),
    "required_number": Text("Enter a number for “{label}”", "Vul een getal in bij „{label}”"),
    "required_date": Text("Enter a date for “{label}”", "Vul een datum in bij „{label}”"),
    "not_applicable": Text(
        "Leave this out: it is only asked {condition}",
        "Laat dit weg: dit wordt alleen gevraagd {condition}",
    ),
    "invalid_option": Text(
        "“{value}” is not one of the options", "„{value}” is geen van de opties"
    ),
    "wrong_type": Text("Give {expected}", "Geef {expected}"),
    "too_long": Text("Use at most {max} characters", "Gebruik hoogstens {max} tekens"),
    "not_whole_number": Text("Enter a whole number, like 250", "Vul een heel getal in, zoals 250"),
    "negative": Text("Enter 0 or more", "Vul 0 of meer in"),
    "too_large": Text("Enter a number below 10 billion", "Vul een getal onder de 10 miljard in"),
    "max_below_min": Text(
        "The maximum must be at least the minimum ({min})",
        "Het maximum moet minstens het minimum ({min}) zijn",
    ),
    "exclusive": Text(
        "“Not known yet” cannot be combined with other options",
        "„Nog niet bekend” kan niet met andere opties worden gecombineerd",
    ),
    "datetime_no_offset": Text(
        "Give the time zone offset too, like 2026-03-27T10:00:00+01:00",
        "Geef ook de tijdzone, zoals 2026-03-27T10:00:00+01:00",
    ),
    "datetime_invalid": Text(
        "Give a date-time in ISO 8601 form, like 2026-03-27T10:00:00+01:00",
        "Geef een datum en tijd in ISO 8601-vorm, zoals 2026-03-27T10:00:00+01:00",
    ),
    "date_only_not_allowed": Text(
        "Give the time as well as the date", "Geef naast de datum ook de tijd"
    ),
    "in_future": Text("“{label}” must be in the past", "„{label}” moet in het verleden liggen"),
    "until_before_from": Text(
        "The end of the period must be the same as or after its start",
        "Het einde van de periode moet gelijk aan of na het begin liggen",
    ),
    "discovered_before_start": Text(
        "You cannot have become aware of the breach before it started",
        "U kunt het lek niet hebben ontdekt voordat het begon",
    ),
    "country_not_eu": Text(
        "“{value}” is not the code of an EU or EEA country",
        "„{value}” is geen code van een EU- of EER-land",
    ),
    "country_home": Text(
        "{value} is your own country; name only other countries",
        "{value} is uw eigen land; noem alleen andere landen",
    ),
    "email_invalid": Text(
        "Enter an e-mail address like name@example.com",
        "Vul een e-mailadres in zoals naam@voorbeeld.nl",
    ),
    "phone_invalid": Text(
        "Enter a phone number with digits, and + spaces dashes or brackets only",
        "Vul een telefoonnummer in met cijfers, en alleen + spaties streepjes of haakjes",
    ),
    "unknown_controller": Text(
        "There is no controller “{value}”", "Er is geen verwerkingsverantwoordelijke „{value}”"
    ),
    "date_missing": Text("Enter the date for “{label}”", "Vul de datum in bij „{label}”"),
    "date_incomplete": Text("The date must include a {part}", "De datum moet een {part} bevatten"),
    "date_not_real": Text("The date must be a real date", "De datum moet een bestaande datum zijn"),
    "time_missing": Text("Enter the time, like 14:30", "Vul de tijd in, zoals 14:30"),
    "time_invalid": Text(
        "Enter the time as hours and minutes, like 14:30",
        "Vul de tijd in als uren en minuten, zoals 14:30",
    ),
    "year_out_of_range": Text(
        "Give a year from 1900 to 2100", "Geef een jaar van 1900 tot en met 2100"
    ),
}


def register_messages(messages: Mapping[str, Text]) -> None:
    """Add the messages of another form (its codes for :class:`FieldError`).

    A code already known is refused, so no module can change another's wording."""
    taken = sorted(set(messages) & set(MESSAGES))
    if taken:
        raise ValueError(f"message codes already registered: {', '.join(taken)}")
    MESSAGES.update(messages)


EXPECTED = {
    "text": Text("text", "tekst"),
    "list": Text("a list of options", "een lijst met opties"),
    "integer": Text("a whole number", "een heel getal"),
    "string": Text("one option as text", "één optie als tekst"),
    "datetime": Text("a date-time as text", "een datum en tijd als tekst"),
}
DATE_PARTS = {
    "day": Text("day", "dag"),
    "month": Text("month", "maand"),
    "year": Text("year", "jaar"),
}


@dataclass(frozen=True)
class FieldError:
    """A problem with one answer. ``field`` is the question key (or a date part's id)."""

    field: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, language: str = "en") -> str:
        template = MESSAGES[self.code].get(language)
        values = {}
        for name, value in self.params.items():
            values[name] = value.get(language) if isinstance(value, Text) else value
        return template.format(**values)

    def as_json(self, language: str = "en") -> dict[str, str]:
        return {"field": self.field, "message": self.message(language)}


@dataclass(frozen=True)
class Context:
    """What validation needs to know beyond the answers."""

    now: datetime
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Amsterdam"))
    home_country: str = "NL"
    controllers: frozenset[str] | None = None  # known controller slugs; None: not checked


@dataclass
class Result:
    answers: dict[str, Any]
    errors: list[FieldError]

    @property
    def ok(self) -> bool:
        return not self.errors


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], ())


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
WHOLE_NUMBER_RE = re.compile(r"[0-9]{1,9}")


def whole_number(text: str) -> int | None:
    """A number from a link or a form that is not a question (a version, a page size, the
    id of the message answered, an organisation's hours): at most nine digits 0-9, so it
    fits every integer column. None for anything else, including the digits ``int()``
    would read (Arabic-Indic, full-width) or refuse (superscript, circled) and that
    ``str.isdigit()`` accepts alike."""
    return int(text) if WHOLE_NUMBER_RE.fullmatch(text) else None


def clean_text(value: str) -> str:
    """Text as typed, without the control characters that are not text (NUL cannot be
    stored in PostgreSQL; a bell or an escape sequence has no place in a notice). Line
    ends become \\n; tabs and every printable character, right-to-left marks included,
    are kept."""
    return CONTROL_CHARACTERS.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


# The years a date may fall in, everywhere a date comes from outside (answers, acts,
# register filters, page links): a breach, its discovery and what was done about it lie
# in these years. A year outside them is a typing error, and refusing it keeps every
# conversion (to UTC, to the local zone, a day later) far from the ends of the calendar.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100


def year_in_range(year: int) -> bool:
    return EARLIEST_YEAR <= year <= LATEST_YEAR


class InstantError(ValueError):
    """A date or date-time that cannot be used; ``code`` is a key of MESSAGES."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def read_instant(text: str, *, day_allowed: bool) -> date | datetime:
    """An ISO 8601 value from outside (the API, a filter, a page link): a day
    (``2026-03-27``) when ``day_allowed``, or a date-time with an offset (``Z`` or
    ``+01:00``), aware. Its year, as written, lies from EARLIEST_YEAR to LATEST_YEAR.
    The one parser of such values; raises InstantError with the message code."""
    value = text.strip()
    if not (day_allowed and ISO_DATE_RE.match(value)):
        return read_datetime(value)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InstantError("datetime_invalid") from None
    if not year_in_range(day.year):
        raise InstantError("year_out_of_range")
    return day


def read_datetime(text: str) -> datetime:
    """A date-time with an offset, as :func:`read_instant` reads it (a day alone is refused)."""
    value = text.strip()
    if ISO_DATE_RE.match(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            raise InstantError("datetime_invalid") from None
        raise InstantError("date_only_not_allowed")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InstantError("datetime_invalid") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InstantError("datetime_no_offset")
    if not year_in_range(parsed.year):
        raise InstantError("year_out_of_range")
    return parsed


def format_instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(value: str) -> datetime | None:
    """A stored date-time (or a whole day) back to an aware UTC datetime (start of day)."""
    try:
        if ISO_DATE_RE.match(value):
            return None
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


def instant_bounds(value: str | None, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The earliest and latest instant an answer can mean (a whole day is 00:00-24:00 local)."""
    if not value:
        return None
    if ISO_DATE_RE.match(value):
        day = date.fromisoformat(value)
        start = datetime.combine(day, time(0), tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC) - timedelta(microseconds=1)
    instant = parse_instant(value)
    return (instant, instant) if instant else None


def _coerce(question: Question, value: Any, ctx: Context) -> tuple[Any, list[FieldError]]:
    key = question.key
    kind = question.kind
    if kind in {"text", "textarea", "email", "phone"}:
        if not isinstance(value, str):
            return None, [FieldError(key, "wrong_type", {"expected": EXPECTED["text"]})]
        text = clean_text(value)
        if len(text) > question.max_length:
            return None, [FieldError(key, "too_long", {"max": question.max_length})]
        if kind == "email" and not EMAIL_RE.match(text):
            return None, [FieldError(key, "email_invalid")]
        if kind == "phone" and not (PHONE_RE.match(text) and sum(c.isdigit() for c in text) >= 6):
            return None, [FieldError(key, "phone_invalid")]
        return text, []
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return None, [FieldError(key, "wrong_type", {"expected": EXPECTED["integer"]})]
        if value < 0:
            return None, [FieldError(key, "negative")]
        if value >= MAX_PERSONS:
            return None, [FieldError(key, "too_large")]
        return value, []
    if kind == "single":
        if not isinstance(value, str):
            return None, [FieldError(key, "wrong_type", {"expected": EXPECTED["string"]})]
        if value not in question.values:
            return None, [FieldError(key, "invalid_option", {"value": value[:80]})]
        return value, []
    if kind in {"multi", "countries", "controllers"}:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return None, [FieldError(key, "wrong_type", {"expected": EXPECTED["list"]})]
        return _coerce_list(question, list(value), ctx)
    if kind == "datetime":
        if not isinstance(value, str):
            return None, [FieldError(key, "wrong_type", {"expected": EXPECTED["datetime"]})]
        return _coerce_datetime(question, value.strip())
    raise AssertionError(f"unknown kind {kind}")


def _coerce_list(
    question: Question, items: list[str], ctx: Context
) -> tuple[Any, list[FieldError]]:
    key = question.key
    errors: list[FieldError] = []
    unique = list(dict.fromkeys(item.strip() for item in items if item.strip()))
    if question.kind == "multi":
        errors = [
            FieldError(key, "invalid_option", {"value": v[:80]})
            for v in unique
            if v not in question.values
        ]
        if not errors and question.exclusive in unique and len(unique) > 1:
            errors.append(FieldError(key, "exclusive"))
        ordered = [v for v in question.values if v in unique]
        return (None, errors) if errors else (ordered, [])
    if question.kind == "countries":
        codes = [v.upper() for v in unique]
        for code in codes:
            if code not in EU_EEA_COUNTRIES:
                errors.append(FieldError(key, "country_not_eu", {"value": code[:10]}))
            elif code == ctx.home_country.upper():
                errors.append(FieldError(key, "country_home", {"value": code}))
        return (None, errors) if errors else (sorted(codes), [])
    slugs = [v.lower() for v in unique]
    if ctx.controllers is not None:
        errors = [
            FieldError(key, "unknown_controller", {"value": s[:80]})
            for s in slugs
            if s not in ctx.controllers
        ]
    return (None, errors) if errors else (slugs, [])


def _coerce_datetime(question: Question, value: str) -> tuple[Any, list[FieldError]]:
    try:
        moment = read_instant(value, day_allowed=question.day_only_allowed)
    except InstantError as exc:
        return None, [FieldError(question.key, exc.code)]
    if isinstance(moment, datetime):
        return format_instant(moment), []
    return moment.isoformat(), []


def _required_code(question: Question) -> str:
    return {
        "single": "required_choice",
        "multi": "required_multi",
        "countries": "required_multi",
        "controllers": "required_multi",
        "integer": "required_number",
        "datetime": "required_date",
    }.get(question.kind, "required_text")


def validate(
    raw: Mapping[str, Any],
    ctx: Context,
    *,
    complete: bool,
    strict: bool = True,
    only: Iterable[str] | None = None,
) -> Result:
    """Check answers and turn them into canonical answers.

    ``complete``: every applicable required question must be answered (submitting);
    otherwise a draft, which may leave anything out. ``strict``: an unknown key or an
    answer to a question that does not apply is an error (the API); otherwise such
    answers are dropped (the browser, where hidden fields keep their old values).
    ``only``: report only problems with these keys (one step of the journey).
    """
    errors: list[FieldError] = []
    answers: dict[str, Any] = {}
    if strict:
        errors.extend(FieldError(str(k)[:80], "unknown_key") for k in raw if k not in QUESTIONS)
    for key, question in QUESTIONS.items():
        value = raw.get(key)
        if not question.applies(answers):
            if strict and not _missing(value):
                errors.append(FieldError(key, "not_applicable", {"condition": question.condition}))
            continue
        if _missing(value):
            if complete and question.required:
                errors.append(FieldError(key, _required_code(question), {"label": question.label}))
            continue
        coerced, problems = _coerce(question, value, ctx)
        errors.extend(problems)
        if not problems:
            answers[key] = coerced
    errors.extend(_cross_field_rules(answers, ctx))
    if only is not None:
        wanted = set(only)
        errors = [e for e in errors if e.field.split("-")[0] in wanted]
    return Result(answers=answers, errors=errors)


def _cross_field_rules(answers: Mapping[str, Any], ctx: Context) -> list[FieldError]:
    errors: list[FieldError] = []
    low, high = answers.get("affected_min"), answers.get("affected_max")
    if low is not None and high is not None and high < low:
        errors.append(FieldError("affected_max", "max_below_min", {"min": low}))

    bounds = {
        k: instant_bounds(answers.get(k), ctx.zone)
        for k in ("occurred_on", "occurred_from", "occurred_until", "discovered_at")
    }
    for key, span in bounds.items():
        if span and span[0] > ctx.now:
            errors.append(FieldError(key, "in_future", {"label": QUESTIONS[key].label}))
    start, until = bounds["occurred_from"], bounds["occurred_until"]
    if start and until and until[1] < start[0]:
        errors.append(FieldError("occurred_until", "until_before_from"))
    breach_start = bounds["occurred_on"] or bounds["occurred_from"]
    discovered = bounds["discovered_at"]
    if breach_start and discovered and discovered[0] < breach_start[0]:
        errors.append(FieldError("discovered_at", "discovered_before_start"))
    return errors


# --- the journey: step status ----------------------------------------------------------


def step_state(step: Step, answers: Mapping[str, Any], ctx: Context) -> str:
    """``completed`` when the step has every required answer and no problem,
    ``in_progress`` when some of it is answered, else ``not_started``."""
    result = validate(answers, ctx, complete=True, strict=False, only=step.keys)
    if not result.errors:
        return "completed"
    if any(not _missing(answers.get(key)) for key in step.keys):
        return "in_progress"
    return "not_started"


def merge_step(answers: Mapping[str, Any], step: Step, values: Mapping[str, Any]) -> dict[str, Any]:
    """The answers with one step's answers replaced; unanswered keys of the step removed."""
    merged = {k: v for k, v in answers.items() if k not in step.keys}
    merged.update({k: v for k, v in values.items() if k in step.keys and not _missing(v)})
    return merged


def changed_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The questions whose answers differ, in questionnaire order."""
    return [key for key in QUESTIONS if old.get(key) != new.get(key)]


# --- the typed answers object ---------------------------------------------------------


@dataclass(frozen=True)
class IncidentAnswers:
    """A complete, valid set of answers with Python types (what the documents and the
    assessment read). Built only by :func:`parse`."""

    controllers: tuple[str, ...]
    summary: str
    cause: str
    ongoing: str
    affected_min: int
    affected_max: int
    affected_group: str
    records_approx: int | None
    vulnerable_subjects: str
    occurred_kind: str
    occurred_on: str | None
    occurred_from: str | None
    occurred_until: str | None
    discovered_at: datetime
    nature: tuple[str, ...]
    recipients: str
    malicious: str
    integrity_recoverable: str | None
    availability_loss: str | None
    data_types: tuple[str, ...]
    special_categories: tuple[str, ...]
    data_types_other: str | None
    identifiability: str
    sensitive_context: str
    extensive_volume: str
    public_or_invalid: str
    encrypted: str
    encryption_details: str | None
    key_compromised: str | None
    consequences: tuple[str, ...]
    consequences_other: str | None
    measures: str
    other_eu_countries: str
    countries: tuple[str, ...]
    contact_name: str
    contact_role: str
    contact_email: str
    contact_phone: str

    @classmethod
    def from_canonical(cls, answers: Mapping[str, Any]) -> IncidentAnswers:
        values: dict[str, Any] = {}
        for key in cls.__dataclass_fields__:
            value = answers.get(key)
            if isinstance(value, list):
                value = tuple(value)
            elif value is None and QUESTIONS[key].kind in {"multi", "countries", "controllers"}:
                value = ()
            values[key] = value
        discovered = parse_instant(answers["discovered_at"])
        assert discovered is not None
        values["discovered_at"] = discovered
        return cls(**values)


def parse(raw: Mapping[str, Any], ctx: Context) -> IncidentAnswers | list[FieldError]:
    """Complete answers to a typed object, or every problem with them."""
    result = validate(raw, ctx, complete=True)
    if result.errors:
        return result.errors
    return IncidentAnswers.from_canonical(result.answers)
