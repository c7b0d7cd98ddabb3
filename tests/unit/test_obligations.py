"""The obligations engine: every regime, every status, and clocks across daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import tz
from hypothesis import given
from hypothesis import strategies as st

from forms.display import format_datetime
from notify.obligations import (
    REGIMES,
    ControllerFacts,
    Decision,
    IncidentFacts,
    due_after,
    evaluate,
    next_due,
    reminders_due,
)

AMS = ZoneInfo("Europe/Amsterdam")
DISCOVERED = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


def one(
    controller: ControllerFacts, key: str, now: datetime, discovered: datetime | None = DISCOVERED
):
    obligations = evaluate(IncidentFacts(discovered, [controller]), now)
    return next(o for o in obligations if o.key == key)


def test_regimes_are_data() -> None:
    assert list(dict.fromkeys(r.key for r in REGIMES)) == [
        "processor_notice",
        "gdpr_authority",
        "uk_gdpr_authority",
        "gdpr_data_subjects",
        "nis2_early_warning",
        "nis2_notification",
        "nis2_final_report",
        "dora_initial",
        "dora_intermediate",
        "dora_final",
    ]
    for regime in REGIMES:
        assert regime.party and regime.starts_at and regime.met_by and regime.applies
        assert regime.label_en and regime.label_nl


# --- clocks across daylight saving ------------------------------------------------------


def test_72_hours_across_the_spring_switch() -> None:
    # rules.md: 72 h after 27 March 2026 10:00 Amsterdam is 30 March 11:00 Amsterdam.
    due = due_after(local(2026, 3, 27, 10, 0), 72)
    assert due.astimezone(AMS) == local(2026, 3, 30, 11, 0)
    assert format_datetime(due, AMS, "en") == "30 March 2026, 11:00 CEST"


def test_72_hours_across_the_autumn_switch() -> None:
    due = due_after(local(2026, 10, 23, 10, 0), 72)
    assert due.astimezone(AMS) == local(2026, 10, 26, 9, 0)  # one local hour "earlier"
    assert due - local(2026, 10, 23, 10, 0) == timedelta(hours=72)


def test_deadline_in_the_skipped_hour() -> None:
    # 24 h after 28 March 02:30 CET: 29 March 02:30 does not exist; it is 03:30 CEST.
    start = local(2026, 3, 28, 2, 30)
    due = due_after(start, 24)
    assert due == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert format_datetime(due, AMS, "nl") == "29 maart 2026, 03:30 CEST"


def test_deadline_in_the_repeated_hour() -> None:
    # 02:30 happens twice on 25 October: first CEST (00:30 UTC), then CET (01:30 UTC).
    first = due_after(datetime(2026, 10, 24, 0, 30, tzinfo=UTC), 24)
    second = due_after(datetime(2026, 10, 24, 1, 30, tzinfo=UTC), 24)
    assert format_datetime(first, AMS, "en") == "25 October 2026, 02:30 CEST"
    assert format_datetime(second, AMS, "en") == "25 October 2026, 02:30 CET"
    assert second - first == timedelta(hours=1)
    # dateutil's zone rules agree on which 02:30 is which.
    ams = tz.gettz("Europe/Amsterdam")
    assert first.astimezone(ams).tzname() == "CEST" and second.astimezone(ams).tzname() == "CET"


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError):
        due_after(datetime(2026, 3, 27, 10, 0), 24)


@given(
    start=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from(
            [
                UTC,
                AMS,
                ZoneInfo("America/New_York"),
                ZoneInfo("Australia/Lord_Howe"),
                tz.gettz("Europe/London"),
            ]
        ),
    ),
    hours=st.integers(min_value=0, max_value=24 * 400),
)
def test_due_minus_start_is_exactly_the_hours(start: datetime, hours: int) -> None:
    due = due_after(start, hours)
    assert due.tzinfo == UTC
    assert due - start == timedelta(hours=hours)
    assert int(due.timestamp()) - int(start.timestamp()) == hours * 3600


@given(
    contract=st.one_of(st.none(), st.integers(min_value=1, max_value=744)),
    offset=st.integers(min_value=-2000, max_value=2000),
)
def test_processor_clock_property(contract: int | None, offset: int) -> None:
    now = DISCOVERED + timedelta(hours=offset)
    obligation = one(ControllerFacts("acme", contract_hours=contract), "processor_notice", now)
    if contract is None:
        assert obligation.due_at is None and obligation.status == "open"
    else:
        assert obligation.due_at - obligation.starts_at == timedelta(hours=contract)
        assert obligation.status == ("overdue" if now > obligation.due_at else "open")


# --- statuses ------------------------------------------------------------------------


def test_processor_notice_pending_open_overdue_met() -> None:
    acme = ControllerFacts("acme", contract_hours=24)
    assert one(acme, "processor_notice", DISCOVERED, discovered=None).status == "pending"
    assert one(acme, "processor_notice", DISCOVERED + timedelta(hours=23)).status == "open"
    overdue = one(acme, "processor_notice", DISCOVERED + timedelta(hours=25))
    assert overdue.status == "overdue" and overdue.late
    on_time = one(
        ControllerFacts("acme", 24, notice_delivered_at=DISCOVERED + timedelta(hours=3)),
        "processor_notice",
        DISCOVERED + timedelta(days=9),
    )
    assert (
        on_time.status == "met"
        and not on_time.late
        and on_time.met_at == DISCOVERED + timedelta(hours=3)
    )


def test_a_duty_met_late_stays_late_with_its_reason() -> None:
    facts = ControllerFacts(
        "acme",
        24,
        notice_delivered_at=DISCOVERED + timedelta(hours=30),
        late_reasons={"processor_notice": "Scope unclear until forensics finished"},
    )
    late = one(facts, "processor_notice", DISCOVERED + timedelta(days=3))
    assert (
        late.status == "met"
        and late.late
        and late.late_reason == "Scope unclear until forensics finished"
    )
    overdue_reason = one(
        ControllerFacts("acme", 24, late_reasons={"processor_notice": "Waiting for logs"}),
        "processor_notice",
        DISCOVERED + timedelta(hours=30),
    )
    assert overdue_reason.status == "overdue" and overdue_reason.late_reason == "Waiting for logs"
    on_time = one(
        ControllerFacts(
            "acme", 24, notice_delivered_at=DISCOVERED, late_reasons={"processor_notice": "x"}
        ),
        "processor_notice",
        DISCOVERED,
    )
    assert on_time.late_reason is None


def test_controller_without_contract_hours_has_no_due_time_and_is_never_late() -> None:
    obligation = one(
        ControllerFacts("northwind"), "processor_notice", DISCOVERED + timedelta(days=30)
    )
    assert obligation.status == "open" and obligation.due_at is None and not obligation.late
    assert obligation.remaining(DISCOVERED) is None


def test_authority_clock_starts_at_delivery_not_acknowledgement() -> None:
    delivered = DISCOVERED + timedelta(hours=5)
    facts = ControllerFacts("acme", 24, notice_delivered_at=delivered)
    authority = one(facts, "gdpr_authority", delivered + timedelta(hours=1))
    assert authority.starts_at == delivered and authority.due_at == delivered + timedelta(hours=72)
    assert authority.status == "open"
    assert one(facts, "gdpr_authority", delivered + timedelta(hours=73)).status == "overdue"
    met = ControllerFacts(
        "acme",
        24,
        notice_delivered_at=delivered,
        acts={"gdpr_authority": delivered + timedelta(hours=50)},
    )
    assert one(met, "gdpr_authority", delivered + timedelta(hours=80)).status == "met"


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (None, "open"),
        (Decision(is_breach=True, notify_authority=True), "open"),
        (Decision(is_breach=True, notify_authority=False), "not_applicable"),
        (Decision(is_breach=False), "not_applicable"),
    ],
)
def test_authority_duty_unless_no_risk(decision, expected) -> None:
    facts = ControllerFacts("acme", 24, notice_delivered_at=DISCOVERED, decision=decision)
    assert one(facts, "gdpr_authority", DISCOVERED + timedelta(hours=1)).status == expected


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (None, "pending"),
        (Decision(is_breach=True, notify_authority=True), "pending"),
        (Decision(is_breach=True, inform_data_subjects=True), "open"),
        (
            Decision(is_breach=True, inform_data_subjects=True, art34_ground="unintelligible"),
            "not_applicable",
        ),
        (Decision(is_breach=True, inform_data_subjects=False), "not_applicable"),
        (Decision(is_breach=False, inform_data_subjects=True), "not_applicable"),
    ],
)
def test_data_subjects_duty_only_for_high_risk(decision, expected) -> None:
    facts = ControllerFacts("acme", 24, notice_delivered_at=DISCOVERED, decision=decision)
    obligation = one(facts, "gdpr_data_subjects", DISCOVERED + timedelta(days=60))
    assert obligation.status == expected
    if expected == "open":
        assert (
            obligation.due_at is None and not obligation.late
        )  # without undue delay: never "late"


def test_data_subjects_informed_meets_it() -> None:
    facts = ControllerFacts(
        "acme",
        24,
        notice_delivered_at=DISCOVERED,
        decision=Decision(True, True, True),
        acts={"gdpr_data_subjects": DISCOVERED + timedelta(days=2)},
    )
    assert one(facts, "gdpr_data_subjects", DISCOVERED + timedelta(days=3)).status == "met"


def test_nis2_regimes() -> None:
    delivered = DISCOVERED + timedelta(hours=2)
    plain = ControllerFacts("acme", 24, notice_delivered_at=delivered, country="BE")
    assert not [
        o
        for o in evaluate(IncidentFacts(DISCOVERED, [plain]), delivered)
        if o.key.startswith("nis2")
    ], "not a NIS2 entity: no NIS2 duties"

    def zorg(**facts) -> ControllerFacts:
        """The Belgian NIS2 controller zorg, 36 hours, our notice delivered."""
        return ControllerFacts(
            "zorg",
            36,
            nis2=True,
            notice_delivered_at=delivered,
            country="BE",
            timezone="Europe/Brussels",
            **facts,
        )

    undecided = zorg()
    assert one(undecided, "nis2_early_warning", delivered).status == "pending"
    not_significant = zorg(decision=Decision(nis2_significant=False))
    assert one(not_significant, "nis2_notification", delivered).status == "not_applicable"
    significant = zorg(decision=Decision(nis2_significant=True))
    warning = one(significant, "nis2_early_warning", delivered + timedelta(hours=25))
    assert warning.due_at == delivered + timedelta(hours=24) and warning.status == "overdue"
    assert one(significant, "nis2_notification", delivered).due_at == delivered + timedelta(
        hours=72
    )
    assert (
        one(significant, "nis2_final_report", delivered).status == "pending"
    )  # starts at the notification
    notified_at = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    reported = zorg(
        decision=Decision(nis2_significant=True),
        acts={"nis2_notification": notified_at},
    )
    final = one(reported, "nis2_final_report", notified_at)
    assert final.starts_at == notified_at and final.due_at == datetime(
        2026, 2, 28, 12, 0, tzinfo=UTC
    )  # one month


def test_one_obligation_set_per_controller() -> None:
    facts = IncidentFacts(DISCOVERED, [ControllerFacts("acme", 24), ControllerFacts("northwind")])
    obligations = evaluate(facts, DISCOVERED)
    assert len(obligations) == 6, "processor notice, authority, persons: for each"
    assert {o.controller for o in obligations} == {"acme", "northwind"}


def test_next_due_puts_overdue_first() -> None:
    now = DISCOVERED + timedelta(hours=30)
    facts = IncidentFacts(
        DISCOVERED,
        [ControllerFacts("acme", 24), ControllerFacts("zorg", 36), ControllerFacts("northwind")],
    )
    first = next_due(evaluate(facts, now))
    assert first.controller == "acme" and first.status == "overdue"


def test_reminder_thresholds() -> None:
    obligation = one(ControllerFacts("acme", 10), "processor_notice", DISCOVERED)
    assert reminders_due(obligation, DISCOVERED + timedelta(hours=4)) == []
    assert reminders_due(obligation, DISCOVERED + timedelta(hours=5)) == ["half"]
    assert reminders_due(obligation, DISCOVERED + timedelta(hours=9)) == ["half", "ninety"]
    overdue = one(ControllerFacts("acme", 10), "processor_notice", DISCOVERED + timedelta(hours=11))
    assert reminders_due(overdue, DISCOVERED + timedelta(hours=11)) == ["half", "ninety", "overdue"]
    no_hours = one(ControllerFacts("northwind"), "processor_notice", DISCOVERED)
    assert reminders_due(no_hours, DISCOVERED + timedelta(days=5)) == []
    met = one(
        ControllerFacts("acme", 10, notice_delivered_at=DISCOVERED), "processor_notice", DISCOVERED
    )
    assert reminders_due(met, DISCOVERED + timedelta(hours=11)) == []


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError):
        evaluate(IncidentFacts(DISCOVERED, []), datetime(2026, 1, 1))


def test_a_withdrawn_notice_keeps_what_was_met_and_owes_nothing_more() -> None:
    """Issue 13: after investigation, not a breach. What was done stays done (the notice
    was delivered, the authority told); nothing still open is owed any more."""
    delivered = DISCOVERED + timedelta(hours=3)
    notified = delivered + timedelta(hours=20)
    later = DISCOVERED + timedelta(days=9)
    withdrawn = ControllerFacts(
        "acme",
        24,
        notice_delivered_at=delivered,
        acts={"gdpr_authority": notified},
        withdrawn=True,
    )
    statuses = {o.key: o.status for o in evaluate(IncidentFacts(DISCOVERED, [withdrawn]), later)}
    assert statuses["processor_notice"] == "met"
    assert statuses["gdpr_authority"] == "met"
    assert set(statuses.values()) <= {"met", "not_applicable"}
    not_delivered = ControllerFacts("acme", 24, withdrawn=True)
    assert one(not_delivered, "processor_notice", later).status == "not_applicable"
