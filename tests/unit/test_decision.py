"""The officer's decision and recorded acts: the rules shared by the form and the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forms.decision import validate_act, validate_decision

BASE = {
    "is_breach": True,
    "notify_authority": True,
    "authority_reason": "Health data copied",
    "inform_data_subjects": False,
    "data_subjects_reason": "No high risk",
}


def fields(result) -> set[str]:
    return {e.field for e in result.errors}


def test_a_complete_decision_is_accepted_from_the_api_and_the_form() -> None:
    api = validate_decision(BASE, nis2=False, late=False, strict=True)
    form = validate_decision(
        {k: ("yes" if v is True else "no" if v is False else v) for k, v in BASE.items()},
        nis2=False,
        late=False,
    )
    assert api.errors == [] and form.errors == []
    assert api.decision == form.decision
    assert api.decision["nis2_significant"] is None and api.decision["art34_ground"] is None


def test_every_problem_is_listed() -> None:
    result = validate_decision({"is_breach": "perhaps", "x": 1}, nis2=True, late=False, strict=True)
    assert fields(result) == {
        "x",
        "is_breach",
        "notify_authority",
        "authority_reason",
        "inform_data_subjects",
        "data_subjects_reason",
        "nis2_significant",
    }
    assert "Kies ja of nee" in result.errors[1].message("nl")


def test_not_a_breach_needs_only_the_reasons() -> None:
    result = validate_decision(
        {"is_breach": False, "authority_reason": "A test file, no real data"}, nis2=True, late=True
    )
    assert result.errors == []
    assert result.decision["notify_authority"] is False
    assert result.decision["inform_data_subjects"] is False
    assert result.decision["nis2_significant"] is False


def test_a_ground_replaces_the_reasons_for_not_informing() -> None:
    decision = {**BASE, "data_subjects_reason": "", "art34_ground": "unintelligible"}
    result = validate_decision(decision, nis2=False, late=False)
    assert result.errors == [] and result.decision["art34_ground"] == "unintelligible"
    assert fields(validate_decision({**decision, "art34_ground": ""}, nis2=False, late=False)) == {
        "data_subjects_reason"
    }
    wrong = validate_decision(
        {**decision, "inform_data_subjects": True, "data_subjects_reason": "x"},
        nis2=False,
        late=False,
    )
    assert fields(wrong) == {"art34_ground"}
    assert fields(
        validate_decision({**decision, "art34_ground": "because"}, nis2=False, late=False)
    ) == {
        "art34_ground",
        "data_subjects_reason",
    }


def test_late_notification_needs_the_reason_for_the_delay() -> None:
    assert fields(validate_decision(BASE, nis2=False, late=True)) == {"late_reason"}
    assert validate_decision(
        {**BASE, "late_reason": "Shared mailbox"}, nis2=False, late=True
    ).late_reason
    assert (
        validate_decision({**BASE, "notify_authority": False}, nis2=False, late=True).errors == []
    )


def test_reasons_are_limited_and_typed() -> None:
    assert fields(
        validate_decision({**BASE, "authority_reason": "x" * 4001}, nis2=False, late=False)
    ) == {"authority_reason"}
    assert fields(validate_decision({**BASE, "authority_reason": 5}, nis2=False, late=False)) == {
        "authority_reason"
    }


NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "field_ok"),
    [
        ("2026-11-22T11:00:00+01:00", True),
        ("2026-11-22T11:00:00Z", True),
        ("2026-11-22T11:00:00", False),  # no offset
        ("2026-11-22T14:00:00+01:00", False),  # in the future
        ("2026-03-01T10:00:00+01:00", False),  # before the processor discovered it
        ("yesterday", False),
        (12, False),
        (None, False),
    ],
)
def test_the_time_of_an_act(value, field_ok: bool) -> None:
    result = validate_act(
        "gdpr_authority",
        {"notified_at": value, "reference": "M-1"},
        now=NOW,
        earliest=NOW - timedelta(days=3),
    )
    assert ("notified_at" not in fields(result)) is field_ok
    if field_ok:
        assert result.met_at is not None and result.text == "M-1"


def test_an_act_needs_its_reference_or_channel_and_knows_its_fields() -> None:
    result = validate_act(
        "gdpr_data_subjects",
        {"informed_at": "2026-11-22T10:00:00Z", "x": 1},
        now=NOW,
        earliest=None,
        strict=True,
    )
    assert fields(result) == {"channel", "x"}
    nis2 = validate_act(
        "nis2_early_warning", {"made_at": "2026-11-22T10:00:00Z"}, now=NOW, earliest=None
    )
    assert nis2.errors == [], "a CSIRT reference is optional"
