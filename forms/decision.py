"""The privacy officer's decision on a notice, and the acts they record (authority
notified, persons informed, NIS2 reports): one set of rules for the browser form and the
JSON API. The browser sends "yes"/"no" strings and date parts; the API booleans and ISO
8601 instants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from forms.fields import read_date
from forms.questionnaire import Question, Text
from forms.values import (
    EXPECTED,
    TEXT_MAX,
    FieldError,
    InstantError,
    clean_text,
    read_datetime,
    register_messages,
)
from notify.obligations import regime_hours

REASON_MAX = TEXT_MAX
REFERENCE_MAX = 200
ART34_GROUNDS: dict[str, Text] = {
    "unintelligible": Text(
        "Art. 34(3)(a): the data were unintelligible to anyone not authorised (e.g. encrypted, key safe)",
        "Art. 34(3)(a): de gegevens waren onbegrijpelijk voor onbevoegden (bijv. versleuteld, sleutel veilig)",
    ),
    "risk_removed": Text(
        "Art. 34(3)(b): later measures ensure the high risk is no longer likely",
        "Art. 34(3)(b): latere maatregelen zorgen dat het hoge risico zich waarschijnlijk niet meer voordoet",
    ),
    "disproportionate_effort": Text(
        "Art. 34(3)(c): it would take disproportionate effort; a public communication instead",
        "Art. 34(3)(c): het zou onevenredige inspanning vergen; in plaats daarvan een openbare mededeling",
    ),
}
LABELS: dict[str, Text] = {
    "is_breach": Text(
        "Is this a personal data breach?", "Is dit een inbreuk in verband met persoonsgegevens?"
    ),
    "notify_authority": Text("Notify the supervisory authority?", "Melden bij de toezichthouder?"),
    "authority_reason": Text("Reasons for this choice", "Redenen voor deze keuze"),
    "inform_data_subjects": Text("Inform the persons concerned?", "De betrokkenen informeren?"),
    "data_subjects_reason": Text(
        "Reasons for informing or not informing", "Redenen om wel of niet te informeren"
    ),
    "art34_ground": Text(
        "Ground for not informing (Art. 34(3))", "Grond om niet te informeren (art. 34 lid 3)"
    ),
    "nis2_significant": Text(
        "Is this a significant incident under NIS2?", "Is dit een significant incident onder NIS2?"
    ),
    "dora_major": Text(
        "Is this a major ICT-related incident under DORA?",
        "Is dit een ernstig ICT-gerelateerd incident onder DORA?",
    ),
    "classified_at": Text(
        "When it was classified as major", "Wanneer is het als ernstig geclassificeerd"
    ),
    "late_reason": Text("Reasons for the delay", "Redenen voor de vertraging"),
    "notified_at": Text(
        "When the authority was notified", "Wanneer is gemeld bij de toezichthouder"
    ),
    "reference": Text(
        "The authority's notification number", "Meldingsnummer van de toezichthouder"
    ),
    "informed_at": Text(
        "When the persons were informed", "Wanneer zijn de betrokkenen geïnformeerd"
    ),
    "channel": Text("How they were informed", "Hoe zijn ze geïnformeerd"),
    "made_at": Text("When it was made", "Wanneer is het gedaan"),
    "level": Text("Your estimate of the severity", "Uw inschatting van de ernst"),
    "reason": Text("Why you assess it differently", "Waarom u het anders inschat"),
}

register_messages(
    {
        "decision_yes_no": Text("Select yes or no for “{label}”", "Kies ja of nee bij „{label}”"),
        "decision_ground_with_yes": Text(
            "An Art. 34(3) ground is only for not informing the persons",
            "Een grond uit art. 34 lid 3 hoort alleen bij niet informeren",
        ),
        "decision_not_breach_yet_yes": Text(
            "You said it is not a personal data breach: then “{label}” is no. Choose no, or "
            "say it is a breach",
            "U zei dat het geen inbreuk in verband met persoonsgegevens is: dan is „{label}” "
            "nee. Kies nee, of zeg dat het een inbreuk is",
        ),
        "decision_not_breach_yet_ground": Text(
            "You said it is not a personal data breach: an Art. 34(3) ground is only for a "
            "breach. Leave it empty, or say it is a breach",
            "U zei dat het geen inbreuk in verband met persoonsgegevens is: een grond uit art. "
            "34 lid 3 hoort alleen bij een inbreuk. Laat hem leeg, of zeg dat het een inbreuk is",
        ),
        "decision_not_nis2": Text(
            "This controller is not an essential or important entity under NIS2: leave out "
            "whether the incident is significant",
            "Deze verwerkingsverantwoordelijke is geen essentiële of belangrijke entiteit onder "
            "NIS2: laat weg of het incident significant is",
        ),
        "decision_not_dora": Text(
            "This controller is not a financial entity under DORA: leave out whether the "
            "incident is major",
            "Deze verwerkingsverantwoordelijke is geen financiële entiteit onder DORA: laat weg "
            "of het incident ernstig is",
        ),
        "decision_ground_invalid": Text(
            "Choose one of the grounds of Art. 34(3)", "Kies een van de gronden van art. 34 lid 3"
        ),
        "late_reason_required": Text(
            "The {hours} hours have passed: give the reasons for the delay (Art. 33(1))",
            "De {hours} uur zijn voorbij: geef de redenen voor de vertraging (art. 33 lid 1)",
        ),
        "act_before_notice": Text(
            "“{label}” cannot be before the processor discovered the breach",
            "„{label}” kan niet vóór de ontdekking door de verwerker liggen",
        ),
        "unknown_field": Text("There is no field with this name", "Er is geen veld met deze naam"),
        "level_invalid": Text(
            "Choose low, medium, high or very high", "Kies laag, gemiddeld, hoog of zeer hoog"
        ),
    }
)


@dataclass(frozen=True)
class DecisionResult:
    decision: dict[str, Any]
    late_reason: str
    errors: list[FieldError]


def _yes_no(value: Any) -> bool | str | None:
    """True/False from a boolean or "yes"/"no"; None when absent; the value when neither."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"yes", "true", "ja"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"no", "false", "nee"}:
        return False
    return "invalid"


def _text(value: Any) -> str:
    if not isinstance(value, str):
        return "" if value is None else "\x00invalid"
    return clean_text(value)


def _text_field(
    raw: Mapping[str, Any], key: str, errors: list[FieldError], *, required: bool, limit: int
) -> str:
    text = _text(raw.get(key))
    if text == "\x00invalid":
        errors.append(FieldError(key, "wrong_type", {"expected": EXPECTED["text"]}))
        return ""
    if len(text) > limit:
        errors.append(FieldError(key, "too_long", {"max": limit}))
    elif required and not text:
        errors.append(FieldError(key, "required_text", {"label": LABELS[key]}))
    return text


def _bool_field(
    raw: Mapping[str, Any], key: str, errors: list[FieldError], *, required: bool
) -> bool | None:
    value = _yes_no(raw.get(key))
    if value == "invalid" or (value is None and required):
        errors.append(FieldError(key, "decision_yes_no", {"label": LABELS[key]}))
        return None
    return value if isinstance(value, bool) else None


# The decision's fields in the order the form shows them (its error summary follows it).
DECISION_ORDER = (
    "is_breach",
    "notify_authority",
    "authority_reason",
    "inform_data_subjects",
    "data_subjects_reason",
    "art34_ground",
    "nis2_significant",
    "dora_major",
    "late_reason",
)
DECISION_KEYS = set(DECISION_ORDER)


def validate_decision(
    raw: Mapping[str, Any],
    *,
    nis2: bool,
    late: bool,
    strict: bool = False,
    dora: bool = False,
    authority_hours: int | None = None,
) -> DecisionResult:
    """The decision as stored on the notice, or every problem.

    - is it a breach: yes/no; when no, nothing is notified or told, but the reasons are
      still required (Art. 33(5): the reasoning of each decision is documented);
    - notify the authority: yes/no, reasons either way;
    - inform the persons: yes/no; "no" needs reasons or an Art. 34(3) ground, "yes" reasons;
    - NIS2 entities: is it significant (starts the CSIRT duties);
    - DORA entities: is it a major ICT-related incident (its reports are owed once the
      officer records when it was classified as major);
    - made after the 72 hours (``late``) while the authority is to be notified: the reasons
      for the delay."""
    errors: list[FieldError] = []
    if strict:
        errors += [FieldError(str(k)[:80], "unknown_field") for k in raw if k not in DECISION_KEYS]
    is_breach = _bool_field(raw, "is_breach", errors, required=True)
    breach = is_breach is not False
    notify = _bool_field(raw, "notify_authority", errors, required=breach)
    authority_reason = _text_field(raw, "authority_reason", errors, required=True, limit=REASON_MAX)
    inform = _bool_field(raw, "inform_data_subjects", errors, required=breach)
    ground = _text(raw.get("art34_ground")) or None
    if ground is not None and ground not in ART34_GROUNDS:
        errors.append(FieldError("art34_ground", "decision_ground_invalid"))
        ground = None
    if ground and inform is True and breach:
        errors.append(FieldError("art34_ground", "decision_ground_with_yes"))
    subjects_reason = _text_field(
        raw, "data_subjects_reason", errors, required=breach and not ground, limit=REASON_MAX
    )
    significant = _bool_field(raw, "nis2_significant", errors, required=nis2 and breach)
    if significant is True and not nis2:
        errors.append(FieldError("nis2_significant", "decision_not_nis2"))
    major = _bool_field(raw, "dora_major", errors, required=dora and breach)
    if major is True and not dora:
        errors.append(FieldError("dora_major", "decision_not_dora"))
    if not breach:
        # Nothing the officer chose is changed behind their back: a "yes" beside "not a
        # breach" is a contradiction to resolve, not a choice to drop.
        errors += _contradictions(
            {
                "notify_authority": notify,
                "inform_data_subjects": inform,
                "nis2_significant": significant,
                "dora_major": major,
            },
            ground,
        )
        notify, inform, ground, significant = False, False, None, False if nis2 else None
        major = False if dora else None
    late_reason = _text_field(raw, "late_reason", errors, required=False, limit=REASON_MAX)
    if late and notify and not late_reason:
        hours = authority_hours or regime_hours("gdpr_authority")
        errors.append(FieldError("late_reason", "late_reason_required", {"hours": hours}))
    decision = {
        "is_breach": is_breach,
        "notify_authority": notify,
        "authority_reason": authority_reason,
        "inform_data_subjects": inform,
        "data_subjects_reason": subjects_reason,
        "art34_ground": ground if inform is False else None,
        "nis2_significant": significant if nis2 else None,
        "dora_major": major if dora else None,
    }
    return DecisionResult(decision, late_reason, _in_page_order(errors))


def _in_page_order(errors: list[FieldError]) -> list[FieldError]:
    """One message per field (the first found), in the order of the form; unknown fields
    (the API's) last."""
    first: dict[str, FieldError] = {}
    for error in errors:
        first.setdefault(error.field, error)
    rank = {key: i for i, key in enumerate(DECISION_ORDER)}
    return sorted(first.values(), key=lambda e: rank.get(e.field, len(rank)))


def _contradictions(answers: Mapping[str, bool | None], ground: str | None) -> list[FieldError]:
    """What a "not a breach" decision says yes to anyway, each at its field."""
    errors = [
        FieldError(key, "decision_not_breach_yet_yes", {"label": LABELS[key]})
        for key, value in answers.items()
        if value is True
    ]
    if ground:
        errors.append(FieldError("art34_ground", "decision_not_breach_yet_ground"))
    return errors


ACT_FIELDS = {
    # obligation key: (time field, text field, text required)
    "gdpr_authority": ("notified_at", "reference", True),
    "uk_gdpr_authority": ("notified_at", "reference", True),  # the ICO
    "gdpr_data_subjects": ("informed_at", "channel", True),
    "nis2_early_warning": ("made_at", "reference", False),
    "nis2_notification": ("made_at", "reference", False),
    "nis2_final_report": ("made_at", "reference", False),
    # DORA: when the incident was classified as major (starts the initial report's 4
    # hours), then each report submitted to the competent authority.
    "dora_classified": ("classified_at", "reference", False),
    "dora_initial": ("made_at", "reference", False),
    "dora_intermediate": ("made_at", "reference", False),
    "dora_final": ("made_at", "reference", False),
}


@dataclass(frozen=True)
class ActResult:
    met_at: datetime | None
    text: str
    late_reason: str
    errors: list[FieldError]


def validate_act(
    key: str,
    raw: Mapping[str, Any],
    *,
    now: datetime,
    earliest: datetime | None,
    strict: bool = False,
) -> ActResult:
    """An act that meets a duty: when (an aware instant, not in the future, not before the
    processor discovered the breach) and its reference or channel. ``raw[time field]`` is an
    ISO 8601 instant with an offset (the browser's date parts are read into one first)."""
    time_field, text_field, text_required = ACT_FIELDS[key]
    errors: list[FieldError] = []
    if strict:
        allowed = {time_field, text_field, "late_reason"}
        errors += [FieldError(str(k)[:80], "unknown_field") for k in raw if k not in allowed]
    met_at = None
    value = raw.get(time_field)
    if value in (None, ""):
        errors.append(FieldError(time_field, "required_date", {"label": LABELS[time_field]}))
    elif not isinstance(value, str):
        errors.append(FieldError(time_field, "wrong_type", {"expected": EXPECTED["datetime"]}))
    else:
        try:
            parsed = read_datetime(value)
        except InstantError as exc:
            errors.append(FieldError(time_field, exc.code, {"label": LABELS[time_field]}))
        else:
            if parsed > now:
                errors.append(FieldError(time_field, "in_future", {"label": LABELS[time_field]}))
            elif earliest and parsed < earliest:
                errors.append(
                    FieldError(time_field, "act_before_notice", {"label": LABELS[time_field]})
                )
            else:
                met_at = parsed
    text = _text_field(raw, text_field, errors, required=False, limit=REFERENCE_MAX)
    if text_required and not text and not any(e.field == text_field for e in errors):
        errors.append(FieldError(text_field, "required_text", {"label": LABELS[text_field]}))
    late_reason = _text_field(raw, "late_reason", errors, required=False, limit=REASON_MAX)
    return ActResult(met_at, text, late_reason, errors)


OVERRIDE_KEYS = {"level", "notify_authority", "inform_data_subjects", "reason"}


@dataclass(frozen=True)
class OverrideResult:
    override: dict[str, Any]
    errors: list[FieldError]


def validate_override(
    raw: Mapping[str, Any], *, levels: tuple[str, ...], strict: bool = False
) -> OverrideResult:
    """The officer's own estimate of the severity and advice, beside the computed one: a
    level, notify yes/no, inform yes/no, and always the reason."""
    errors: list[FieldError] = []
    if strict:
        errors += [FieldError(str(k)[:80], "unknown_field") for k in raw if k not in OVERRIDE_KEYS]
    level = _text(raw.get("level"))
    if level not in levels:
        errors.append(FieldError("level", "level_invalid"))
    notify = _bool_field(raw, "notify_authority", errors, required=True)
    inform = _bool_field(raw, "inform_data_subjects", errors, required=True)
    reason = _text_field(raw, "reason", errors, required=True, limit=REASON_MAX)
    override = {
        "level": level,
        "notify_authority": notify,
        "inform_data_subjects": inform,
        "reason": reason,
    }
    return OverrideResult(override, errors)


def form_values(stored: Mapping[str, Any]) -> dict[str, str]:
    """A stored decision or estimate as the values of its browser form ("yes"/"no")."""
    values = {}
    for key, value in stored.items():
        if isinstance(value, bool):
            values[key] = "yes" if value else "no"
        elif isinstance(value, str):
            values[key] = value
    return values


def act_from_form(
    key: str, values: Mapping[str, Any], zone: ZoneInfo
) -> tuple[dict[str, Any], FieldError | None]:
    """The browser's form of act ``key`` (fields named "<key>-<field>", the instant as
    date parts) as the input of :func:`validate_act`, with the date parts' problem if any."""
    if key not in ACT_FIELDS:
        return {}, None
    time_field, text_field, _required = ACT_FIELDS[key]
    question = Question(f"{key}-{time_field}", "datetime", LABELS[time_field])
    when, date_error = read_date(question, values, zone)
    raw = {
        time_field: when,
        text_field: values.get(f"{key}-{text_field}", ""),
        "late_reason": values.get(f"{key}-late_reason", ""),
    }
    return raw, date_error


def act_form_errors(
    key: str, errors: list[FieldError], date_error: FieldError | None
) -> list[FieldError]:
    """:func:`validate_act`'s problems named as the fields of the browser's form, the date
    parts' own problem first (it replaces the instant's)."""
    time_field = ACT_FIELDS[key][0]
    named = [
        FieldError(
            f"{key}-{e.field}" if e.field != time_field else f"{key}-{time_field}-day",
            e.code,
            e.params,
        )
        for e in errors
        if not (date_error and e.field == time_field)
    ]
    return ([date_error] if date_error else []) + named
