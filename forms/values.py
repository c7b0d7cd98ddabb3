"""Values from outside, checked: text, whole numbers and ISO 8601 instants, and the
problem with one answer (:class:`FieldError`) with its message in both languages.

The ground floor of forms/: the kinds of question (forms/kinds.py), validation
(forms/answers.py) and the other forms (forms/decision.py) build on it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from forms.questionnaire import Text

EMAIL_RE = re.compile(
    r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{6,40}$")
ISO_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_PERSONS = 10_000_000_000
# The limits of the free texts people type: reasons, notes, messages, and the letter to
# the persons. The forms say them (maxlength and a counter as one types).
TEXT_MAX = 4000
LETTER_MAX = 20_000
CORRECTION_NOTE_MAX = 2000  # what changed and why, kept with a version (its column's size)

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
    "answered_not_asked": Text(
        "This is only asked {condition}. Change your answer to “{depends}”, or clear this one",
        "Dit wordt alleen gevraagd {condition}. Pas uw antwoord op „{depends}” aan, "
        "of maak dit leeg",
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
    "unknown_group": Text(
        "There is no group of controllers “{value}”",
        "Er is geen groep verwerkingsverantwoordelijken „{value}”",
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
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

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
    zone: ZoneInfo = dataclasses.field(default_factory=lambda: ZoneInfo("Europe/Amsterdam"))
    home_country: str = "NL"
    controllers: frozenset[str] | None = None  # known controller slugs; None: not checked


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
