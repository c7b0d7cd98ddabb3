"""The questionnaire definition and its validation: every rule and every condition."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from forms.answers import IncidentAnswers, changed_keys, merge_step, parse, step_state, validate
from forms.display import display_value
from forms.fields import date_parts, read_date, read_integer, read_step
from forms.questionnaire import QUESTIONS, STEP_BY_KEY, STEPS
from forms.values import Context, InstantError, instant_bounds, read_instant, whole_number
from tests.factories import complete_answers

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CTX = Context(now=NOW, controllers=frozenset({"acme", "northwind"}))
AMS = ZoneInfo("Europe/Amsterdam")


def errors_of(raw, *, complete=True, strict=True, ctx=CTX) -> dict[str, str]:
    return {e.field: e.code for e in validate(raw, ctx, complete=complete, strict=strict).errors}


def test_the_definition_matches_the_contract() -> None:
    assert [s.number for s in STEPS] == list(range(11))
    assert len(QUESTIONS) == 39
    assert QUESTIONS["cause"].values == (
        "hacking_malware_phishing",
        "lost_stolen_device_or_paper",
        "misdirected_mail_or_email",
        "published_by_mistake",
        "unauthorised_access_by_staff",
        "system_or_software_error",
        "other",
        "unknown",
    )
    assert QUESTIONS["nature"].values == (
        "read",
        "copied",
        "altered",
        "deleted",
        "stolen",
        "unknown",
    )
    assert QUESTIONS["data_types"].values == (
        "name_address",
        "phone",
        "email",
        "credentials",
        "financial",
        "bsn",
        "id_copy",
        "sex_birthdate_age",
        "special",
        "other",
    )
    assert QUESTIONS["recipients"].values == ("none_known", "trusted", "known", "unknown")
    assert QUESTIONS["availability_loss"].values == ("restored_easily", "temporary", "permanent")
    assert QUESTIONS["identifiability"].values == (
        "negligible",
        "limited",
        "significant",
        "maximum",
    )
    assert QUESTIONS["encrypted"].values == ("yes", "no", "partly")
    assert QUESTIONS["consequences"].values == (
        "stigmatisation",
        "health",
        "identity_fraud",
        "spam_phishing",
        "other",
    )
    for question in QUESTIONS.values():
        assert question.label.en and question.label.nl
        for option in question.options:
            assert option.label.en and option.label.nl
        if question.show_if is not None:
            assert question.condition is not None, question.key


def test_complete_answers_are_valid_and_canonical() -> None:
    result = validate(complete_answers(), CTX, complete=True)
    assert result.errors == []
    assert result.answers["discovered_at"] == "2026-03-27T09:00:00Z"
    assert result.answers["occurred_from"] == "2026-03-20"
    assert result.answers["occurred_until"] == "2026-03-27T07:30:00Z"
    assert result.answers["nature"] == ["copied", "deleted"]
    assert result.answers["countries"] == ["BE", "DE"]


def test_parse_gives_a_typed_object() -> None:
    answers = parse(complete_answers(), CTX)
    assert isinstance(answers, IncidentAnswers)
    assert answers.discovered_at == datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
    assert answers.data_types == ("name_address", "email", "bsn", "special")
    assert answers.integrity_recoverable is None and answers.records_approx == 3000
    problems = parse(complete_answers(summary=None), CTX)
    assert [p.field for p in problems] == ["summary"]


@pytest.mark.parametrize(
    "key", [q.key for q in QUESTIONS.values() if q.required and q.show_if is None]
)
def test_every_required_question_is_required(key: str) -> None:
    assert errors_of(complete_answers(**{key: None}))[key].startswith("required")
    assert key not in errors_of(complete_answers(**{key: None}), complete=False)


def test_records_approx_is_optional() -> None:
    assert errors_of(complete_answers(records_approx=None)) == {}


def test_a_draft_may_be_empty() -> None:
    assert validate({}, CTX, complete=False).ok


@pytest.mark.parametrize(
    ("controller", "value", "dependent", "dependent_value"),
    [
        ("occurred_kind", "on", "occurred_on", "2026-03-27"),
        ("occurred_kind", "between", "occurred_from", "2026-03-20"),
        ("occurred_kind", "between", "occurred_until", "2026-03-21"),
        ("nature", ["altered"], "integrity_recoverable", "yes"),
        ("nature", ["deleted"], "availability_loss", "permanent"),
        ("nature", ["stolen"], "availability_loss", "temporary"),
        ("data_types", ["special"], "special_categories", ["health"]),
        ("data_types", ["other"], "data_types_other", "Salary slips"),
        ("encrypted", "yes", "encryption_details", "AES-256"),
        ("encrypted", "partly", "key_compromised", "no"),
        ("encrypted", "yes", "key_compromised", "unknown"),
        ("consequences", ["other"], "consequences_other", "Loss of trust"),
        ("other_eu_countries", "yes", "countries", ["DE"]),
    ],
)
def test_every_show_if_condition(controller, value, dependent, dependent_value) -> None:
    base = complete_answers(**{controller: value})
    base.pop(dependent, None)
    if controller == "occurred_kind":
        for key in ("occurred_on", "occurred_from", "occurred_until"):
            base.pop(key, None)
        base.update({k: "2026-03-20" for k in ("occurred_on",) if value == "on"})
        base.update(
            {"occurred_from": "2026-03-20", "occurred_until": "2026-03-21"}
            if value == "between"
            else {}
        )
        base.pop(dependent)
    # When the condition holds, the question is required ...
    assert errors_of(base)[dependent].startswith("required")
    base[dependent] = dependent_value
    assert dependent not in errors_of(base)
    assert dependent in validate(base, CTX, complete=True).answers


@pytest.mark.parametrize(
    ("changes", "dependent"),
    [
        (
            {
                "occurred_kind": "unknown",
                "occurred_from": None,
                "occurred_until": None,
                "occurred_on": "2026-03-27",
            },
            "occurred_on",
        ),
        (
            {
                "occurred_kind": "on",
                "occurred_from": None,
                "occurred_until": None,
                "occurred_on": "2026-03-27",
                "discovered_at": "2026-03-28T10:00:00+01:00",
            },
            "occurred_until",
        ),
        (
            {"nature": ["read"], "availability_loss": None, "integrity_recoverable": "yes"},
            "integrity_recoverable",
        ),
        ({"nature": ["read"], "availability_loss": "temporary"}, "availability_loss"),
        ({"data_types": ["email"], "special_categories": ["health"]}, "special_categories"),
        (
            {"data_types": ["email"], "special_categories": None, "data_types_other": "x"},
            "data_types_other",
        ),
        ({"encrypted": "no", "key_compromised": None}, "encryption_details"),
        ({"encrypted": "no", "encryption_details": None}, "key_compromised"),
        ({"consequences": ["health"], "consequences_other": "x"}, "consequences_other"),
        ({"other_eu_countries": "no"}, "countries"),
        ({"other_eu_countries": "unknown"}, "countries"),
    ],
)
def test_an_answer_to_a_question_that_does_not_apply(changes, dependent) -> None:
    raw = complete_answers(**changes)
    if dependent == "occurred_until":
        raw["occurred_until"] = "2026-03-27"
    # ... the API refuses it, naming the condition,
    assert errors_of(raw)[dependent] == "not_applicable"
    message = next(
        e for e in validate(raw, CTX, complete=True).errors if e.field == dependent
    ).message("en")
    assert message.startswith("Leave this out: it is only asked when")
    # ... the browser drops it, and it is never required.
    result = validate(raw, CTX, complete=True, strict=False)
    assert result.errors == [] and dependent not in result.answers


def test_min_equal_to_max_is_fine_and_max_below_min_is_not() -> None:
    assert errors_of(complete_answers(affected_min=10, affected_max=10)) == {}
    assert errors_of(complete_answers(affected_min=0, affected_max=0)) == {}
    assert errors_of(complete_answers(affected_min=11, affected_max=10)) == {
        "affected_max": "max_below_min"
    }
    assert errors_of({"affected_min": 11, "affected_max": 10}, complete=False) == {
        "affected_max": "max_below_min"
    }


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (-1, "negative"),
        ("12", "wrong_type"),
        (1.5, "wrong_type"),
        (True, "wrong_type"),
        (10**11, "too_large"),
    ],
)
def test_numbers(value, code) -> None:
    assert errors_of(complete_answers(affected_min=value))["affected_min"] == code


def test_unknown_stands_alone() -> None:
    assert errors_of(complete_answers(nature=["unknown"], availability_loss=None)) == {}
    assert errors_of(complete_answers(nature=["unknown", "read"], availability_loss=None)) == {
        "nature": "exclusive"
    }


def test_options_are_checked() -> None:
    assert errors_of(complete_answers(cause="aliens")) == {"cause": "invalid_option"}
    assert errors_of(
        complete_answers(data_types=["name_address", "shoe_size"], special_categories=None)
    ) == {"data_types": "invalid_option"}
    assert errors_of(complete_answers(nature="read")) == {
        "nature": "wrong_type",
        "availability_loss": "not_applicable",
    }


def test_lists_are_deduplicated_and_ordered_as_the_options() -> None:
    answers = validate(
        complete_answers(nature=["deleted", "copied", "copied"]), CTX, complete=True
    ).answers
    assert answers["nature"] == ["copied", "deleted"]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2026-03-27T10:00:00", "datetime_no_offset"),
        ("2026-03-27 10:00", "datetime_no_offset"),
        ("27-03-2026", "datetime_invalid"),
        ("2026-02-30T10:00:00+01:00", "datetime_invalid"),
        ("yesterday", "datetime_invalid"),
        ("2026-03-27", "date_only_not_allowed"),
        (20260327, "wrong_type"),
    ],
)
def test_discovered_at_needs_a_date_time_with_offset(value, code) -> None:
    assert errors_of(complete_answers(discovered_at=value))["discovered_at"] == code


def test_z_and_offsets_are_the_same_instant() -> None:
    for value in ("2026-03-27T09:00:00Z", "2026-03-27T10:00:00+01:00", "2026-03-27T04:00:00-05:00"):
        answers = validate(complete_answers(discovered_at=value), CTX, complete=True).answers
        assert answers["discovered_at"] == "2026-03-27T09:00:00Z"


def test_dates_in_the_future_are_refused() -> None:
    assert errors_of(complete_answers(discovered_at="2026-11-22T13:00:01+00:00")) == {
        "discovered_at": "in_future"
    }
    assert errors_of(complete_answers(discovered_at="2026-11-22T12:00:00+00:00")) == {}
    future = complete_answers(occurred_from="2026-11-23", occurred_until="2026-11-24")
    assert errors_of(future) == {
        "occurred_from": "in_future",
        "occurred_until": "in_future",
        "discovered_at": "discovered_before_start",
    }


def test_today_as_a_whole_day_is_not_the_future() -> None:
    raw = complete_answers(
        occurred_kind="on",
        occurred_from=None,
        occurred_until=None,
        occurred_on="2026-11-22",
        discovered_at="2026-11-22T11:00:00+00:00",
    )
    assert errors_of(raw) == {}


def test_until_before_from() -> None:
    assert errors_of(complete_answers(occurred_from="2026-03-21", occurred_until="2026-03-20")) == {
        "occurred_until": "until_before_from"
    }
    assert (
        errors_of(complete_answers(occurred_from="2026-03-21", occurred_until="2026-03-21")) == {}
    )
    # A time on the same day as a whole-day start is fine; a time before it is not.
    assert (
        errors_of(
            complete_answers(occurred_from="2026-03-21", occurred_until="2026-03-21T00:30:00+01:00")
        )
        == {}
    )
    assert errors_of(
        complete_answers(
            occurred_from="2026-03-21T12:00:00+01:00", occurred_until="2026-03-21T11:00:00+01:00"
        )
    ) == {"occurred_until": "until_before_from"}


def test_discovered_before_the_breach_started() -> None:
    raw = complete_answers(occurred_from="2026-03-20", discovered_at="2026-03-19T23:00:00+01:00")
    assert errors_of(raw) == {"discovered_at": "discovered_before_start"}
    same_day = complete_answers(
        occurred_from="2026-03-20", discovered_at="2026-03-20T00:00:00+01:00"
    )
    assert errors_of(same_day) == {}


def test_countries() -> None:
    assert errors_of(complete_answers(countries=["de", "be"])) == {}
    assert validate(complete_answers(countries=["de"]), CTX, complete=True).answers[
        "countries"
    ] == ["DE"]
    assert errors_of(complete_answers(countries=["US"])) == {"countries": "country_not_eu"}
    assert errors_of(complete_answers(countries=["GB"])) == {"countries": "country_not_eu"}
    assert errors_of(complete_answers(countries=["NO", "IS", "LI"])) == {}
    assert errors_of(complete_answers(countries=["NL"])) == {"countries": "country_home"}
    assert (
        errors_of(complete_answers(countries=["NL"]), ctx=Context(now=NOW, home_country="BE")) == {}
    )
    assert errors_of(complete_answers(countries=[])) == {"countries": "required_multi"}


def test_controllers_must_be_known() -> None:
    assert errors_of(complete_answers(controllers=["acme", "ghost"])) == {
        "controllers": "unknown_controller"
    }
    assert errors_of(complete_answers(controllers=["ACME", "northwind"])) == {}
    assert errors_of(complete_answers(controllers=[])) == {"controllers": "required_multi"}


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("contact_email", "not an address", "email_invalid"),
        ("contact_email", "a@b", "email_invalid"),
        ("contact_phone", "call me", "phone_invalid"),
        ("contact_phone", "12", "phone_invalid"),
        ("summary", "x" * 10_001, "too_long"),
        ("summary", 42, "wrong_type"),
    ],
)
def test_text_rules(key, value, code) -> None:
    assert errors_of(complete_answers(**{key: value}))[key] == code


def test_phone_formats_allowed() -> None:
    for phone in ("+31 (0)20-123 4567", "020 1234567", "+44 20 7946 0958"):
        assert errors_of(complete_answers(contact_phone=phone)) == {}


def test_text_is_kept_as_typed_except_nul() -> None:
    text = "<script>alert(1)</script> \u202eevil\u202c line\nbreak\x00"
    answers = validate(complete_answers(summary=text), CTX, complete=True).answers
    assert answers["summary"] == text.replace("\x00", "").strip()


def test_unknown_keys() -> None:
    assert errors_of(complete_answers(shoe_size=42)) == {"shoe_size": "unknown_key"}
    assert errors_of(complete_answers(shoe_size=42), strict=False) == {}


def test_every_problem_is_reported_at_once() -> None:
    raw = {
        "summary": "",
        "affected_min": -1,
        "affected_max": "x",
        "cause": "aliens",
        "countries": ["US"],
    }
    fields = set(errors_of(raw))
    assert {
        "summary",
        "affected_min",
        "affected_max",
        "cause",
        "countries",
        "contact_email",
    } <= fields


def test_messages_exist_in_both_languages() -> None:
    result = validate(
        {"affected_min": 5, "affected_max": 1, "nature": ["unknown", "read"]}, CTX, complete=True
    )
    for error in result.errors:
        assert error.message("en") != error.message("nl")


def test_step_state_and_merge() -> None:
    step = STEP_BY_KEY["persons"]
    assert step_state(step, {}, CTX) == "not_started"
    assert step_state(step, {"affected_min": 1}, CTX) == "in_progress"
    full = complete_answers()
    assert all(step_state(s, full, CTX) == "completed" for s in STEPS)
    merged = merge_step(
        full,
        step,
        {"affected_min": 2, "affected_max": 3, "affected_group": "x", "vulnerable_subjects": "no"},
    )
    assert (
        "records_approx" not in merged
        and merged["affected_min"] == 2
        and merged["summary"] == full["summary"]
    )


def test_changed_keys() -> None:
    old = complete_answers()
    new = complete_answers(affected_max=500, measures="More measures")
    assert changed_keys(old, new) == ["affected_max", "measures"]


# --- reading the HTML form -------------------------------------------------------------


def _date_form(key, day="", month="", year="", time=""):
    return {f"{key}-day": day, f"{key}-month": month, f"{key}-year": year, f"{key}-time": time}


def test_read_date_in_local_time() -> None:
    question = QUESTIONS["discovered_at"]
    value, error = read_date(question, _date_form("discovered_at", "27", "3", "2026", "10:00"), AMS)
    assert (value, error) == ("2026-03-27T09:00:00Z", None)
    value, _ = read_date(question, _date_form("discovered_at", "30", "mrt", "2026", "11.00"), AMS)
    assert value == "2026-03-30T09:00:00Z"  # summer time: UTC+2
    value, _ = read_date(question, _date_form("discovered_at", "1", "January", "2026", "0930"), AMS)
    assert value == "2026-01-01T08:30:00Z"


@pytest.mark.parametrize(
    ("parts", "field", "code"),
    [
        (("", "", "", "10:00"), "discovered_at-day", "date_missing"),
        (("27", "", "2026", "10:00"), "discovered_at-month", "date_incomplete"),
        (("27", "3", "", "10:00"), "discovered_at-year", "date_incomplete"),
        (("31", "2", "2026", "10:00"), "discovered_at-day", "date_not_real"),
        (("27", "13", "2026", "10:00"), "discovered_at-day", "date_not_real"),
        (("27", "3", "26", "10:00"), "discovered_at-year", "date_not_real"),
        (("27", "3", "2026", ""), "discovered_at-time", "time_missing"),
        (("27", "3", "2026", "25:00"), "discovered_at-time", "time_invalid"),
        (("27", "3", "2026", "noon"), "discovered_at-time", "time_invalid"),
        (("31", "12", "9999", "23:59"), "discovered_at-year", "year_out_of_range"),
        (("1", "1", "0001", "00:00"), "discovered_at-year", "year_out_of_range"),
        (("31", "12", "1899", "12:00"), "discovered_at-year", "year_out_of_range"),
        (("1", "1", "2101", "12:00"), "discovered_at-year", "year_out_of_range"),
        (("1", "1", "9" * 5000, "12:00"), "discovered_at-day", "date_not_real"),
    ],
)
def test_read_date_errors(parts, field, code) -> None:
    _, error = read_date(QUESTIONS["discovered_at"], _date_form("discovered_at", *parts), AMS)
    assert (error.field, error.code) == (field, code)


@pytest.mark.parametrize(
    ("text", "day_allowed", "expected"),
    [
        ("2026-03-27T10:00:00+01:00", False, datetime(2026, 3, 27, 9, 0, tzinfo=UTC)),
        ("2026-03-27T09:00:00Z", False, datetime(2026, 3, 27, 9, 0, tzinfo=UTC)),
        ("1900-01-01T00:00:00+14:00", False, datetime(1899, 12, 31, 10, 0, tzinfo=UTC)),
        ("2100-12-31T23:59:59-12:00", False, datetime(2101, 1, 1, 11, 59, 59, tzinfo=UTC)),
        (" 2026-03-27 ", True, date(2026, 3, 27)),
        ("2100-12-31", True, date(2100, 12, 31)),
    ],
)
def test_read_instant_reads(text: str, day_allowed: bool, expected) -> None:
    """The one reader of dates from outside; the ends of its years convert without harm."""
    assert read_instant(text, day_allowed=day_allowed) == expected


@pytest.mark.parametrize(
    ("text", "day_allowed", "code"),
    [
        ("2026-03-27", False, "date_only_not_allowed"),
        ("2026-02-30", True, "datetime_invalid"),
        ("2026-03-27T10:00:00", False, "datetime_no_offset"),
        ("yesterday", True, "datetime_invalid"),
        ("9999-12-31T23:59:00-01:00", False, "year_out_of_range"),
        ("0001-01-01T00:00:00+01:00", False, "year_out_of_range"),
        ("9999-12-31", True, "year_out_of_range"),
        ("0001-01-01", True, "year_out_of_range"),
        ("1899-12-31T23:59:59Z", False, "year_out_of_range"),
        ("2101-01-01T00:00:00Z", False, "year_out_of_range"),
    ],
)
def test_read_instant_refuses(text: str, day_allowed: bool, code: str) -> None:
    with pytest.raises(InstantError) as refused:
        read_instant(text, day_allowed=day_allowed)
    assert refused.value.code == code


def test_numbers_of_thousands_of_digits_are_too_large() -> None:
    def code(text: str) -> str:
        return validate({"affected_min": read_integer(text)}, CTX, complete=False).errors[0].code

    assert code("9" * 5000) == "too_large" and code("-" + "9" * 5000) == "negative"
    assert read_integer("0" * 40 + "42") == 42


OTHER_DIGITS = ("²", "٣", "①", "１")  # superscript, Arabic-Indic, circled, full-width


@pytest.mark.parametrize("digit", OTHER_DIGITS)
def test_numbers_are_typed_with_the_digits_0_to_9(digit: str) -> None:
    """str.isdigit() is true for all four and int() reads two of them as 3 and 1: a
    number, a date part and a time with one of them are refused, never read or raised."""
    assert digit.isdigit()
    for text in (digit, f"1{digit}0", f"1.{digit}00"):
        assert read_integer(text) == text  # left for validation: "not a whole number"
    assert validate({"affected_min": read_integer(f"1{digit}")}, CTX, complete=False).errors
    for parts in ((f"2{digit}", "3", "2026"), ("27", digit, "2026"), ("27", "3", f"202{digit}")):
        _, error = read_date(
            QUESTIONS["discovered_at"], _date_form("discovered_at", *parts, "10:00"), AMS
        )
        assert (error.field, error.code) == ("discovered_at-day", "date_not_real"), parts
    _, error = read_date(
        QUESTIONS["discovered_at"],
        _date_form("discovered_at", "27", "3", "2026", f"1{digit}:00"),
        AMS,
    )
    assert (error.field, error.code) == ("discovered_at-time", "time_invalid")
    for text in (digit, f"1{digit}", f"{digit}1"):
        assert whole_number(text) is None
    with pytest.raises(InstantError):
        read_instant(f"202{digit}-03-27", day_allowed=True)


def test_whole_numbers_of_links_and_forms() -> None:
    assert [whole_number(t) for t in ("0", "7", "007", "999999999")] == [0, 7, 7, 999_999_999]
    for text in ("", " 7", "7 ", "+7", "-7", "1_000", "1.0", "1000000000", "9" * 5000):
        assert whole_number(text) is None, text


def test_a_date_without_time_is_the_whole_day_for_occurred() -> None:
    value, error = read_date(
        QUESTIONS["occurred_on"], _date_form("occurred_on", "27", "3", "2026"), AMS
    )
    assert (value, error) == ("2026-03-27", None)
    bounds = instant_bounds(value, AMS)
    assert bounds[0] == datetime(2026, 3, 26, 23, 0, tzinfo=UTC)
    assert bounds[1].isoformat().startswith("2026-03-27T22:59:59")


def test_read_step_and_numbers() -> None:
    step = STEP_BY_KEY["persons"]
    answers, errors = read_step(
        step,
        {
            "affected_min": "1.000",
            "affected_max": "2 500",
            "affected_group": " staff ",
            "records_approx": "lots",
            "vulnerable_subjects": "no",
        },
        AMS,
    )
    assert answers == {
        "affected_min": 1000,
        "affected_max": 2500,
        "affected_group": "staff",
        "vulnerable_subjects": "no",
    }
    assert [(e.field, e.code) for e in errors] == [("records_approx", "not_whole_number")]
    assert read_integer("1,5") == "1,5" and read_integer("-3") == -3


def test_date_parts_round_trip() -> None:
    assert date_parts("2026-03-27T09:00:00Z", AMS) == {
        "day": "27",
        "month": "3",
        "year": "2026",
        "time": "10:00",
    }
    assert date_parts("2026-03-27", AMS) == {"day": "27", "month": "3", "year": "2026", "time": ""}


def test_display_values() -> None:
    assert display_value(QUESTIONS["nature"], ["copied", "deleted"], "nl", AMS) == [
        "Gekopieerd",
        "Verwijderd of vernietigd",
    ]
    assert display_value(QUESTIONS["discovered_at"], "2026-03-27T09:00:00Z", "en", AMS) == [
        "27 March 2026, 10:00 CET"
    ]
    assert display_value(QUESTIONS["occurred_on"], "2026-03-30", "nl", AMS) == [
        "30 maart 2026 (hele dag)"
    ]
    assert display_value(QUESTIONS["affected_max"], 12500, "nl", AMS) == ["12.500"]
    assert display_value(QUESTIONS["countries"], ["DE"], "nl", AMS) == ["Duitsland (DE)"]
    assert display_value(QUESTIONS["controllers"], ["acme"], "en", AMS, {"acme": "Acme B.V."}) == [
        "Acme B.V."
    ]
    assert display_value(QUESTIONS["records_approx"], None, "en", AMS) == []
