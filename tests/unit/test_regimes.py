"""Each regime's due times, pinned across a weekend, a Dutch public holiday and both
daylight-saving changes (issue 17); the rows as in force when the party became aware."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from notify import obligations
from notify.obligations import (
    ControllerFacts,
    Decision,
    IncidentFacts,
    Obligation,
    evaluate,
    next_working_noon,
    one_month_after,
)

AMS = ZoneInfo("Europe/Amsterdam")
LON = ZoneInfo("Europe/London")


def ams(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


def duties(controller: ControllerFacts, now: datetime) -> dict[str, Obligation]:
    discovered = (controller.notice_delivered_at or now) - timedelta(hours=1)
    return {o.key: o for o in evaluate(IncidentFacts(discovered, [controller]), now)}


@pytest.fixture
def omnibus() -> Iterator[None]:
    """The Omnibus in force from 1 January 2027 in this test only."""
    obligations.configure(omnibus_from=date(2027, 1, 1))
    yield
    obligations.configure(omnibus_from=None)


# --- GDPR and UK GDPR: elapsed hours, nothing moves ----------------------------------------


def test_gdpr_72_hours_run_through_a_weekend() -> None:
    friday = ams(2026, 12, 4, 16, 0)
    found = duties(ControllerFacts("acme", notice_delivered_at=friday), friday)
    assert found["gdpr_authority"].due_at == ams(2026, 12, 7, 16, 0)  # Monday, same hour
    assert found["gdpr_authority"].law == "gdpr"


def test_gdpr_72_hours_run_through_dutch_christmas() -> None:
    eve = ams(2026, 12, 24, 10, 0)
    found = duties(ControllerFacts("acme", notice_delivered_at=eve), eve)
    assert found["gdpr_authority"].due_at == ams(2026, 12, 27, 10, 0)


@pytest.mark.parametrize(
    ("delivered", "due"),
    [
        (ams(2026, 3, 27, 10, 0), ams(2026, 3, 30, 11, 0)),  # clocks forward on 29 March
        (ams(2026, 10, 23, 10, 0), ams(2026, 10, 26, 9, 0)),  # clocks back on 25 October
    ],
)
def test_gdpr_72_hours_across_both_dst_changes(delivered: datetime, due: datetime) -> None:
    found = duties(ControllerFacts("acme", notice_delivered_at=delivered), delivered)
    assert found["gdpr_authority"].due_at == due
    assert due.astimezone(UTC) - delivered.astimezone(UTC) == timedelta(hours=72)


@pytest.mark.parametrize(
    ("delivered", "due_local"),
    [
        (datetime(2026, 3, 27, 10, 0, tzinfo=LON), datetime(2026, 3, 30, 11, 0, tzinfo=LON)),
        (datetime(2026, 10, 23, 10, 0, tzinfo=LON), datetime(2026, 10, 26, 9, 0, tzinfo=LON)),
        (datetime(2026, 12, 24, 10, 0, tzinfo=LON), datetime(2026, 12, 27, 10, 0, tzinfo=LON)),
    ],
)
def test_uk_gdpr_for_a_gb_controller(delivered: datetime, due_local: datetime) -> None:
    uk = ControllerFacts(
        "payroll",
        country="GB",
        timezone="Europe/London",
        authority="gb_ico",
        notice_delivered_at=delivered,
    )
    found = duties(uk, delivered)
    assert "gdpr_authority" not in found, "no EU persons: the EU GDPR's duty is not its own"
    ico = found["uk_gdpr_authority"]
    assert ico.due_at == due_local and ico.law == "uk_gdpr" and ico.authority == "gb_ico"
    assert ico.to_authority


def test_a_gb_controller_with_persons_in_the_eu_owes_both() -> None:
    delivered = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    uk = ControllerFacts(
        "payroll", country="GB", eu_persons=True, notice_delivered_at=delivered,
        authority="gb_ico", gdpr_authorities=("fr_cnil", "ie_dpc"),
    )  # fmt: skip
    found = duties(uk, delivered)
    assert found["uk_gdpr_authority"].due_at == found["gdpr_authority"].due_at
    assert found["uk_gdpr_authority"].authority == "gb_ico"
    assert found["gdpr_authority"].authority == "fr_cnil,ie_dpc", "each where persons live"


# --- the Omnibus: off unless a date is set; then by the day the controller became aware ---


def test_the_omnibus_is_never_in_force_when_unset() -> None:
    late = ams(2030, 1, 1, 10, 0)
    found = duties(ControllerFacts("acme", notice_delivered_at=late), late)
    assert "gdpr_omnibus_authority" not in found and found["gdpr_authority"].status == "open"


@pytest.mark.usefixtures("omnibus")
def test_the_omnibus_from_its_date() -> None:
    before = ams(2026, 12, 31, 23, 30)
    found = duties(ControllerFacts("acme", notice_delivered_at=before), before + timedelta(days=5))
    assert "gdpr_omnibus_authority" not in found, "aware before the date: the old rule"
    assert found["gdpr_authority"].due_at == before + timedelta(hours=72)

    after = ams(2027, 1, 1, 0, 30)
    undecided = duties(ControllerFacts("acme", notice_delivered_at=after), after)
    assert "gdpr_authority" not in undecided
    assert undecided["gdpr_omnibus_authority"].status == "pending", "owed only if high risk"

    high = ControllerFacts(
        "acme",
        notice_delivered_at=after,
        decision=Decision(is_breach=True, notify_authority=True, inform_data_subjects=True),
    )
    duty = duties(high, after)["gdpr_omnibus_authority"]
    assert duty.status == "open" and duty.due_at == after + timedelta(hours=96)
    assert duty.law == "gdpr_omnibus"
    exempt = ControllerFacts(
        "acme",
        notice_delivered_at=after,
        decision=Decision(
            is_breach=True, inform_data_subjects=False, art34_ground="unintelligible"
        ),
    )
    assert duties(exempt, after)["gdpr_omnibus_authority"].status == "open", "high risk still"
    low = ControllerFacts(
        "acme",
        notice_delivered_at=after,
        decision=Decision(is_breach=True, notify_authority=False, inform_data_subjects=False),
    )
    assert duties(low, after)["gdpr_omnibus_authority"].status == "not_applicable"
    # Its decision to notify is its judgement that a high risk is likely.
    notify = ControllerFacts(
        "acme",
        notice_delivered_at=after,
        decision=Decision(is_breach=True, notify_authority=True, inform_data_subjects=False),
    )
    assert duties(notify, after)["gdpr_omnibus_authority"].status == "open"


@pytest.mark.usefixtures("omnibus")
def test_the_omnibus_leaves_the_uk_alone() -> None:
    after = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    uk = ControllerFacts("payroll", country="GB", notice_delivered_at=after)
    found = duties(uk, after)
    assert found["uk_gdpr_authority"].due_at == after + timedelta(hours=72)
    assert "gdpr_omnibus_authority" not in found


# --- NIS2: the Cyberbeveiligingswet from 15 August 2026 -----------------------------------


def nis2(delivered: datetime, **facts: object) -> ControllerFacts:
    return ControllerFacts(
        "zorg",
        24,
        nis2=True,
        notice_delivered_at=delivered,
        decision=Decision(is_breach=True, nis2_significant=True),
        **facts,  # type: ignore[arg-type]
    )


def test_cyberbeveiligingswet_rows_from_their_date() -> None:
    before = ams(2026, 8, 14, 23, 0)
    assert not [k for k in duties(nis2(before), before) if k.startswith("nis2")]
    after = ams(2026, 8, 15, 0, 30)
    found = duties(nis2(after), after)
    assert found["nis2_early_warning"].law == "cyberbeveiligingswet"
    assert found["nis2_early_warning"].authority == "nl_ncsc"


def test_nis2_hours_run_through_a_weekend_and_a_holiday() -> None:
    saturday = ams(2026, 12, 5, 9, 0)
    found = duties(nis2(saturday), saturday)
    assert found["nis2_early_warning"].due_at == ams(2026, 12, 6, 9, 0)  # Sunday: no relief
    christmas = ams(2026, 12, 25, 9, 0)
    found = duties(nis2(christmas), christmas)
    assert found["nis2_notification"].due_at == ams(2026, 12, 28, 9, 0)


@pytest.mark.parametrize(
    ("notified", "final"),
    [
        (ams(2026, 10, 10, 12, 0), ams(2026, 11, 10, 12, 0)),  # CEST -> CET: same local hour
        (ams(2027, 3, 10, 12, 0), ams(2027, 4, 10, 12, 0)),  # CET -> CEST
        (ams(2027, 1, 31, 12, 0), ams(2027, 2, 28, 12, 0)),  # no 31 February: its last day
    ],
)
def test_nis2_final_report_one_month_in_local_time(notified: datetime, final: datetime) -> None:
    delivered = ams(2026, 9, 1, 9, 0)
    controller = nis2(delivered, acts={"nis2_notification": notified})
    found = duties(controller, notified)
    assert found["nis2_final_report"].due_at == final
    assert found["nis2_final_report"].starts_at == notified


# --- DORA: 4 hours from classification, at most 24 from awareness; weekend relief ---------


def dora(
    delivered: datetime, classified: datetime | None, *, relief: bool = True, **acts: datetime
) -> ControllerFacts:
    return ControllerFacts(
        "bank",
        24,
        dora=True,
        dora_no_weekend_relief=not relief,
        notice_delivered_at=delivered,
        decision=Decision(is_breach=True, dora_major=True),
        acts={**acts, **({"dora_classified": classified} if classified else {})},
    )


def test_dora_initial_four_hours_after_classification_on_a_working_day() -> None:
    tuesday = ams(2026, 12, 1, 8, 0)
    found = duties(dora(tuesday, tuesday + timedelta(hours=2)), tuesday)
    assert found["dora_initial"].due_at == ams(2026, 12, 1, 14, 0)
    assert found["dora_initial"].law == "dora"
    assert found["dora_intermediate"].status == "pending", "starts with the initial report"


def test_dora_initial_at_most_24_hours_after_awareness() -> None:
    tuesday = ams(2026, 12, 1, 8, 0)
    found = duties(dora(tuesday, tuesday + timedelta(hours=23)), tuesday)
    assert found["dora_initial"].due_at == ams(2026, 12, 2, 8, 0)


def test_dora_initial_on_a_weekend_moves_to_monday_noon_unless_excluded() -> None:
    friday = ams(2026, 12, 4, 18, 0)
    classified = ams(2026, 12, 4, 20, 0)  # 4 hours: Saturday 00:00
    assert duties(dora(friday, classified), friday)["dora_initial"].due_at == ams(
        2026, 12, 7, 12, 0
    )
    strict = duties(dora(friday, classified, relief=False), friday)
    assert strict["dora_initial"].due_at == ams(2026, 12, 5, 0, 0)


def test_dora_initial_over_christmas() -> None:
    eve = ams(2026, 12, 24, 21, 0)
    found = duties(dora(eve, ams(2026, 12, 24, 22, 0)), eve)
    # 25 December 02:00: Christmas, then Boxing Day, then a Sunday.
    assert found["dora_initial"].due_at == ams(2026, 12, 28, 12, 0)


def test_dora_intermediate_over_kings_day() -> None:
    delivered = ams(2026, 4, 23, 8, 0)
    initial = ams(2026, 4, 23, 12, 0)  # 72 hours: Sunday 26 April; Monday is King's Day
    found = duties(dora(delivered, delivered, dora_initial=initial), initial)
    assert found["dora_intermediate"].due_at == ams(2026, 4, 28, 12, 0)
    strict = duties(dora(delivered, delivered, relief=False, dora_initial=initial), initial)
    assert strict["dora_intermediate"].due_at == ams(2026, 4, 26, 12, 0)


@pytest.mark.parametrize(
    ("classified", "due"),
    [
        # Saturday 28 March 23:00 CET + 4 h is a Sunday (clocks forward): Monday 12:00 CEST.
        (ams(2026, 3, 28, 23, 0), datetime(2026, 3, 30, 10, 0, tzinfo=UTC)),
        # Saturday 24 October 23:00 CEST + 4 h is a Sunday (clocks back): Monday 12:00 CET.
        (ams(2026, 10, 24, 23, 0), datetime(2026, 10, 26, 11, 0, tzinfo=UTC)),
    ],
)
def test_dora_initial_across_both_dst_changes(classified: datetime, due: datetime) -> None:
    found = duties(dora(classified - timedelta(hours=1), classified), classified)
    assert found["dora_initial"].due_at == due


def test_dora_final_one_month_with_relief_even_for_excluded_entities() -> None:
    delivered = ams(2026, 10, 1, 8, 0)
    intermediate = ams(2026, 10, 7, 9, 0)  # a month: Saturday 7 November
    for relief in (True, False):
        found = duties(
            dora(
                delivered,
                delivered,
                relief=relief,
                dora_initial=delivered,
                dora_intermediate=intermediate,
            ),
            intermediate,
        )
        assert found["dora_final"].due_at == ams(2026, 11, 9, 12, 0)
    plain = ams(2026, 10, 10, 9, 0)  # CEST; a month on is Tuesday 10 November, CET
    found = duties(
        dora(delivered, delivered, dora_initial=delivered, dora_intermediate=plain), plain
    )
    assert found["dora_final"].due_at == ams(2026, 11, 10, 9, 0)


def test_dora_major_without_a_classification_time_still_has_its_outer_limit() -> None:
    tuesday = ams(2026, 12, 1, 8, 0)
    found = duties(dora(tuesday, None), tuesday)
    assert found["dora_initial"].status == "open"
    assert found["dora_initial"].due_at == ams(2026, 12, 2, 8, 0), "24 hours after awareness"


def test_a_later_no_outweighs_a_recorded_classification() -> None:
    tuesday = ams(2026, 12, 1, 8, 0)
    minor = ControllerFacts(
        "bank", dora=True, notice_delivered_at=tuesday,
        decision=Decision(is_breach=True, dora_major=False),
        acts={"dora_classified": tuesday + timedelta(hours=1)},
    )  # fmt: skip
    assert duties(minor, tuesday)["dora_initial"].status == "not_applicable"


def test_dora_not_major_and_not_flagged() -> None:
    tuesday = ams(2026, 12, 1, 8, 0)
    minor = ControllerFacts(
        "bank",
        dora=True,
        notice_delivered_at=tuesday,
        decision=Decision(is_breach=True, dora_major=False),
    )
    assert duties(minor, tuesday)["dora_initial"].status == "not_applicable"
    undecided = ControllerFacts("bank", dora=True, notice_delivered_at=tuesday)
    assert duties(undecided, tuesday)["dora_initial"].status == "pending"
    assert "dora_initial" not in duties(
        ControllerFacts("acme", notice_delivered_at=tuesday), tuesday
    )


def test_working_days_come_from_the_holidays_package() -> None:
    # King's Day, Monday 27 April 2026, in the Netherlands; not a holiday in the UK.
    sunday = ams(2026, 4, 26, 15, 0)
    assert next_working_noon(sunday, "NL", AMS) == ams(2026, 4, 28, 12, 0)
    assert next_working_noon(sunday, "GB", LON) == datetime(2026, 4, 27, 12, 0, tzinfo=LON)
    wednesday = ams(2026, 5, 27, 15, 0)
    assert next_working_noon(wednesday, "NL", AMS) == wednesday


def test_one_month_keeps_the_local_hour() -> None:
    start = ams(2026, 3, 15, 10, 0)
    assert one_month_after(start, AMS) == ams(2026, 4, 15, 10, 0)
    assert one_month_after(start, AMS) - start == timedelta(days=31, hours=-1)


@pytest.mark.usefixtures("omnibus")
@pytest.mark.parametrize(
    ("delivered", "due"),
    [
        (ams(2027, 3, 26, 10, 0), ams(2027, 3, 30, 11, 0)),  # clocks forward on 28 March
        (ams(2027, 10, 29, 10, 0), ams(2027, 11, 2, 9, 0)),  # clocks back on 31 October
        (ams(2027, 4, 23, 12, 0), ams(2027, 4, 27, 12, 0)),  # a weekend and King's Day
    ],
)
def test_the_omnibus_96_hours_are_elapsed_hours(delivered: datetime, due: datetime) -> None:
    high = ControllerFacts(
        "acme", notice_delivered_at=delivered,
        decision=Decision(is_breach=True, notify_authority=True, inform_data_subjects=True),
    )  # fmt: skip
    duty = duties(high, delivered)["gdpr_omnibus_authority"]
    assert duty.due_at == due
    assert due.astimezone(UTC) - delivered.astimezone(UTC) == timedelta(hours=96)
