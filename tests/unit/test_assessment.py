"""The ENISA severity assessment and its advice (rules.md section 4): each element, then
whole breaches of the kinds that happen, with the advice we can defend from the rules."""

from __future__ import annotations

from typing import Any

import pytest

from notify.assessment import assess, cb, dpc, ei, flags, level_of
from tests.factories import RESTORED_RANSOMWARE, complete_answers


def texts(reasons, language: str = "en") -> str:
    return "\n".join(r.get(language) for r in reasons)


def answers(**changes: Any) -> dict[str, Any]:
    """A plain breach to vary: simple data, nothing seen, nothing special."""
    base = complete_answers(
        nature=["read"],
        recipients="none_known",
        malicious="no",
        availability_loss=None,
        data_types=["name_address"],
        special_categories=None,
        identifiability="maximum",
        sensitive_context="no",
        extensive_volume="no",
        public_or_invalid="no",
        vulnerable_subjects="no",
        encrypted="no",
        encryption_details=None,
        key_compromised=None,
        consequences=["spam_phishing"],
        affected_min=1,
        affected_max=10,
    )
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


# --- elements -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (["name_address", "phone", "email", "sex_birthdate_age", "other"], 1),
        (["email", "financial"], 3),
        (["bsn"], 3),
        (["id_copy"], 3),
        (["credentials"], 3),
        (["special", "financial"], 4),
    ],
)
def test_dpc_is_the_highest_base_over_the_data(types: list[str], expected: int) -> None:
    score, reasons = dpc(answers(data_types=types, special_categories=["health"]))
    assert score == expected
    assert reasons[-1].get("en") == f"DPC = {expected}."


def test_dpc_names_the_answers_that_produced_it() -> None:
    _, reasons = dpc(
        answers(data_types=["email", "special"], special_categories=["health", "criminal"])
    )
    assert reasons[0].get("en") == (
        "DPC base 4 (sensitive data): special categories of personal data "
        "(health, criminal convictions and offences)."
    )
    assert "gezondheid, strafrechtelijke gegevens" in reasons[0].get("nl")


def test_dpc_context_adjustments_are_explained_and_kept_within_1_to_4() -> None:
    score, reasons = dpc(
        answers(data_types=["email"], extensive_volume="yes", sensitive_context="yes")
    )
    assert score == 3
    assert "DPC +1: a large volume of data per person" in texts(reasons)
    assert "DPC +1: the context reveals more than the data" in texts(reasons)
    score, reasons = dpc(
        answers(data_types=["special"], special_categories=["health"], vulnerable_subjects="yes")
    )
    assert score == 4 and "DPC kept within 1 to 4: 4." in texts(reasons)
    score, reasons = dpc(answers(data_types=["email"], public_or_invalid="yes"))
    assert score == 1 and "DPC -1: the data were already public" in texts(reasons)
    score, _ = dpc(answers(data_types=["financial"], public_or_invalid="yes"))
    assert score == 2


def test_dpc_assumes_the_highest_when_the_data_are_not_known() -> None:
    score, reasons = dpc(answers(data_types=None))
    assert score == 4 and "not known yet" in texts(reasons)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("negligible", 0.25), ("limited", 0.5), ("significant", 0.75), ("maximum", 1.0), (None, 1.0)],
)
def test_ei_from_identifiability(value: str | None, expected: float) -> None:
    score, reasons = ei(answers(identifiability=value))
    assert score == expected
    assert reasons[0].get("en").startswith(f"EI {expected:g}")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"recipients": "none_known"}, 0.0),
        ({"recipients": "trusted"}, 0.25),
        ({"recipients": "known"}, 0.25),
        ({"recipients": "unknown"}, 0.5),
        ({"recipients": "unknown", "malicious": "yes"}, 1.0),
        ({"malicious": "unknown"}, 0.0),
        ({"nature": ["altered"], "integrity_recoverable": "yes"}, 0.0),
        ({"nature": ["altered"], "integrity_recoverable": "yes", "malicious": "unknown"}, 0.25),
        ({"nature": ["altered"], "integrity_recoverable": "no"}, 0.5),
        ({"nature": ["deleted"], "availability_loss": "restored_easily"}, 0.0),
        ({"nature": ["deleted"], "availability_loss": "temporary"}, 0.25),
        (
            {
                "nature": ["stolen"],
                "availability_loss": "permanent",
                "recipients": "unknown",
                "malicious": "yes",
            },
            1.5,
        ),
        (
            {
                "nature": ["altered", "deleted"],
                "integrity_recoverable": "no",
                "availability_loss": "permanent",
                "recipients": "unknown",
                "malicious": "yes",
            },
            2.0,
        ),
    ],
)
def test_cb_adds_the_circumstances(changes: dict[str, Any], expected: float) -> None:
    score, reasons = cb(answers(**changes))
    assert score == expected
    assert reasons[-1].get("en") == f"CB = {expected:g}."


def test_cb_explains_each_addition_in_both_languages() -> None:
    _, reasons = cb(answers(recipients="unknown", malicious="yes"))
    assert "CB confidentiality +0.5: an unknown number of recipients." in texts(reasons)
    assert "CB malicious intent +0.5" in texts(reasons)
    assert "CB vertrouwelijkheid +0,5: onbekend aantal ontvangers." in texts(reasons, "nl")


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0.25, "low"),
        (1.99, "low"),
        (2, "medium"),
        (2.99, "medium"),
        (3, "high"),
        (3.99, "high"),
        (4, "very_high"),
        (5.5, "very_high"),
    ],
)
def test_levels(score: float, level: str) -> None:
    assert level_of(score) == level


def test_flags_do_not_change_the_score() -> None:
    plain = assess(answers(affected_max=100))
    many = assess(
        answers(affected_max=101, encrypted="yes", encryption_details="AES", key_compromised="no")
    )
    assert plain.flags == () and many.flags == ("more_than_100_persons", "unintelligible")
    assert plain.score == many.score
    assert (
        flags(answers(encrypted="yes", encryption_details="AES", key_compromised="unknown")) == ()
    )
    assert flags(answers(encrypted="partly", encryption_details="AES", key_compromised="no")) == ()


def test_the_whole_sum_is_written_out() -> None:
    result = assess(
        answers(data_types=["financial"], identifiability="significant", recipients="known")
    )
    assert result.score == 2.5 and result.level == "medium"
    assert result.explanation[-1].get("en") == "SE = DPC × EI + CB = 3 × 0.75 + 0.25 = 2.5: medium."
    json = result.as_json("nl")
    assert json["level"] == "medium" and json["explanation"][-1].endswith("gemiddeld.")
    assert json["recommendation"]["reasons"][0].startswith("Leg dit datalek")


def test_every_advice_starts_with_documenting() -> None:
    assert "Art. 33(5)" in assess(answers()).recommendation.reasons[0].get("en")


# --- whole breaches -------------------------------------------------------------------


def scenario(**changes: Any):
    return assess(answers(**changes))


def test_ransomware_restored_from_backup_without_exfiltration_is_documented_only() -> None:
    result = scenario(**RESTORED_RANSOMWARE)
    assert (result.dpc, result.ei, result.cb, result.level) == (3, 1, 0.5, "high")
    advice = result.recommendation
    assert not advice.notify_authority and not advice.inform_data_subjects
    assert "restored without difficulty" in texts(advice.reasons)


def test_ransomware_without_backup_is_notified_and_told() -> None:
    result = scenario(
        nature=["deleted"],
        recipients="none_known",
        malicious="yes",
        availability_loss="permanent",
        data_types=["name_address", "financial"],
        extensive_volume="yes",
    )
    assert (result.dpc, result.cb, result.level) == (4, 1.0, "very_high")
    advice = result.recommendation
    assert advice.notify_authority and advice.inform_data_subjects
    assert "permanently lost" in texts(advice.reasons)


def test_stolen_laptop_encrypted_with_a_safe_key_is_documented_under_art_34_3_a() -> None:
    result = scenario(
        cause="lost_stolen_device_or_paper",
        nature=["stolen"],
        recipients="none_known",
        malicious="yes",
        availability_loss="restored_easily",
        data_types=["name_address", "bsn", "financial"],
        encrypted="yes",
        encryption_details="Full-disk AES-256, TPM and PIN",
        key_compromised="no",
    )
    advice = result.recommendation
    assert "unintelligible" in result.flags
    assert not advice.notify_authority and not advice.inform_data_subjects
    assert advice.art34_ground == "unintelligible"
    assert "Art. 34(3)(a)" in texts(advice.reasons)
    assert "art. 34 lid 3 onder a" in texts(advice.reasons, "nl")


def test_stolen_laptop_without_encryption_is_notified_and_told() -> None:
    result = scenario(
        cause="lost_stolen_device_or_paper",
        nature=["stolen"],
        recipients="none_known",
        malicious="yes",
        availability_loss="restored_easily",
        data_types=["name_address", "bsn", "financial"],
    )
    advice = result.recommendation
    assert result.level == "high" and advice.notify_authority and advice.inform_data_subjects
    assert "in the wrong hands" in texts(advice.reasons) and advice.art34_ground is None


def test_stolen_laptop_whose_password_was_on_a_sticker_is_not_exempt() -> None:
    result = scenario(
        nature=["stolen"],
        malicious="yes",
        availability_loss="restored_easily",
        data_types=["name_address", "bsn"],
        encrypted="yes",
        encryption_details="BitLocker",
        key_compromised="yes",
    )
    advice = result.recommendation
    assert "unintelligible" not in result.flags
    assert advice.notify_authority and advice.inform_data_subjects and advice.art34_ground is None
    assert "the key may be compromised" in texts(advice.reasons)


def test_misdirected_email_to_one_trusted_recipient_is_documented_only() -> None:
    result = scenario(
        cause="misdirected_mail_or_email",
        nature=["read"],
        recipients="trusted",
        malicious="no",
        data_types=["name_address", "sex_birthdate_age", "financial"],
        affected_max=1,
    )
    advice = result.recommendation
    assert not advice.notify_authority and not advice.inform_data_subjects
    assert "trusted recipient" in texts(advice.reasons)


def test_misdirected_health_data_to_a_trusted_recipient_is_still_notified() -> None:
    result = scenario(
        nature=["read"],
        recipients="trusted",
        data_types=["name_address", "special"],
        special_categories=["health"],
    )
    assert result.recommendation.notify_authority
    assert not result.recommendation.inform_data_subjects


def test_misdirected_assessment_results_to_many_recipients_are_notified() -> None:
    result = scenario(
        cause="misdirected_mail_or_email",
        nature=["read"],
        recipients="known",
        malicious="no",
        data_types=["name_address", "email", "other"],
        data_types_other="Assessment reports",
        extensive_volume="yes",
        affected_max=40,
    )
    assert (result.dpc, result.score, result.level) == (2, 2.25, "medium")
    assert result.recommendation.notify_authority
    assert not result.recommendation.inform_data_subjects


def test_insider_copying_the_customer_list_is_notified_and_told() -> None:
    result = scenario(
        cause="unauthorised_access_by_staff",
        nature=["copied"],
        recipients="unknown",
        malicious="yes",
        data_types=["name_address", "phone", "email"],
        affected_max=12000,
    )
    assert (result.score, result.level) == (2.0, "medium")
    assert "more_than_100_persons" in result.flags
    advice = result.recommendation
    assert advice.notify_authority and advice.inform_data_subjects
    assert "taken deliberately (exfiltration)" in texts(advice.reasons)


def test_credential_stuffing_is_notified_and_told() -> None:
    result = scenario(
        cause="hacking_malware_phishing",
        nature=["read"],
        recipients="unknown",
        malicious="yes",
        data_types=["email", "credentials"],
        consequences=["spam_phishing", "other"],
        consequences_other="Account takeover",
        affected_max=300,
    )
    assert (result.dpc, result.score, result.level) == (3, 4.0, "very_high")
    advice = result.recommendation
    assert advice.notify_authority and advice.inform_data_subjects
    assert "change passwords" in texts(advice.reasons)


def test_identity_theft_at_the_help_desk_is_notified_and_told() -> None:
    result = scenario(
        cause="other",
        cause_other="Impostor on the help-desk phone line",
        nature=["read", "copied"],
        recipients="known",
        malicious="yes",
        data_types=["name_address", "id_copy", "bsn"],
        consequences=["identity_fraud"],
        affected_max=1,
    )
    advice = result.recommendation
    assert advice.notify_authority and advice.inform_data_subjects
    assert "identity fraud" in texts(advice.reasons)


def test_hacked_mailbox_with_health_data_is_notified_and_told() -> None:
    result = scenario(
        cause="hacking_malware_phishing",
        nature=["read", "copied"],
        recipients="unknown",
        malicious="yes",
        data_types=["name_address", "email", "special"],
        special_categories=["health"],
        affected_max=60,
    )
    assert (result.dpc, result.cb, result.level) == (4, 1.0, "very_high")
    advice = result.recommendation
    assert advice.notify_authority and advice.inform_data_subjects
    assert "harm is presumed likely" in texts(advice.reasons)


def test_data_exposed_but_seen_by_nobody_with_simple_data_is_documented_only() -> None:
    result = scenario(
        nature=["read"], recipients="none_known", malicious="no", data_types=["email"]
    )
    assert result.level == "low"
    assert not result.recommendation.notify_authority


def test_when_in_doubt_notify() -> None:
    result = scenario(
        nature=["unknown"], recipients="none_known", malicious="unknown", data_types=["email"]
    )
    assert result.level == "low"
    assert result.recommendation.notify_authority
    assert "When in doubt, notify" in texts(result.recommendation.reasons)


def test_a_draft_without_answers_is_assessed_on_the_safe_side() -> None:
    result = assess({"summary": "Something happened"})
    assert result.dpc == 4 and result.ei == 1 and result.level == "very_high"
    assert set(result.missing) == {"data_types", "identifiability", "recipients", "malicious"}
    assert result.recommendation.notify_authority


def test_a_high_score_with_do_not_notify_names_what_lowers_the_risk() -> None:
    """Issue 13: the advice never contradicts its headline without saying why."""
    result = scenario(**RESTORED_RANSOMWARE)
    advice = result.recommendation
    assert result.level == "high" and not advice.notify_authority
    assert advice.lowered_by is not None
    assert "restored without difficulty" in advice.lowered_by.get("en")
    said = [r.get("en") for r in advice.reasons]
    assert said[1].startswith("By the score alone (high)")
    assert said[2] == (
        "The advice is lower than the score alone: the data were restored without difficulty "
        "and nobody is known to have seen them, which lowers the risk."
    ), "named right after the score"
    assert advice.reasons[2].get("nl").endswith("dat verlaagt het risico.")
    assert result.as_json("en")["recommendation"]["lowered_by"] == advice.lowered_by.get("en")


@pytest.mark.parametrize(
    ("changes", "factor"),
    [
        (
            dict(
                nature=["read"],
                recipients="trusted",
                malicious="no",
                data_types=["name_address", "special"],
                special_categories=["health"],
                affected_max=5000,
            ),
            "the recipient is trusted",
        ),
        (
            dict(
                nature=["stolen"],
                recipients="unknown",
                malicious="yes",
                encrypted="yes",
                encryption_details="AES-256, key in a vault",
                key_compromised="no",
                data_types=["name_address", "bsn"],
                affected_max=5000,
            ),
            "unintelligible",
        ),
    ],
)
def test_every_lowering_factor_is_named_when_it_lowers_the_advice(changes, factor) -> None:
    result = scenario(**changes)
    advice = result.recommendation
    by_score_notify = result.level != "low"
    by_score_inform = result.level in {"high", "very_high"}
    lowered = (by_score_notify and not advice.notify_authority) or (
        by_score_inform and not advice.inform_data_subjects
    )
    assert lowered, f"the case must lower the advice ({result.level})"
    assert advice.lowered_by is not None and factor in advice.lowered_by.get("en")


def test_advice_that_follows_the_score_names_no_lowering_factor() -> None:
    result = scenario(
        nature=["copied"],
        recipients="unknown",
        malicious="yes",
        data_types=["name_address", "bsn"],
        affected_max=12000,
    )
    assert result.recommendation.lowered_by is None
    assert "lower than the score" not in texts(result.recommendation.reasons)
