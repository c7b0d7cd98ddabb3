"""Validation: raw answers in, canonical answers (or every problem) out.

Canonical answers are plain JSON values, the form they are stored and sent in:
text as str, numbers as int, choices as str, several choices as a list in the order of
the options, date-times as UTC ISO 8601 with ``Z`` (``2026-03-27T09:00:00Z``), and for the
``occurred_*`` questions a date alone (``2026-03-27``) meaning the whole day.
Questions that do not apply are absent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from forms.kinds import kind_of
from forms.questionnaire import QUESTIONS, Step
from forms.values import (
    Context,
    FieldError,
    instant_bounds,
    parse_instant,
)


@dataclass
class Result:
    answers: dict[str, Any]
    errors: list[FieldError]

    @property
    def ok(self) -> bool:
        return not self.errors


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], ())


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
                code = kind_of(question).required
                errors.append(FieldError(key, code, {"label": question.label}))
            continue
        coerced, problems = kind_of(question).coerce(question, value, ctx)
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
    cause_other: str | None
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
            elif value is None and kind_of(QUESTIONS[key]).many:
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
