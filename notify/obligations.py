"""Who owes what to whom by when: the obligations engine (../shared/spec/rules.md §2).

Regimes are data: each row says who owes the duty, which event starts its clock, how
long it runs (or "without undue delay"), which recorded act meets it and when it applies.
The engine is pure: it takes the facts of one incident and the current time and returns
every obligation with its start, due time and status.

Elapsed hours are real hours: clocks run on UTC instants, so a daylight-saving change
never adds or removes an hour. Local time (python-dateutil's zone rules) is only for
showing a due time to people.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from dateutil.relativedelta import relativedelta

Status = Literal["pending", "open", "met", "overdue", "not_applicable"]


# --- the facts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What the controller's privacy officer decided (rules.md §3)."""

    is_breach: bool | None = None
    notify_authority: bool | None = None
    inform_data_subjects: bool | None = None
    art34_ground: str | None = None
    nis2_significant: bool | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Decision | None:
        if not data:
            return None
        return cls(
            is_breach=data.get("is_breach"),
            notify_authority=data.get("notify_authority"),
            inform_data_subjects=data.get("inform_data_subjects"),
            art34_ground=data.get("art34_ground"),
            nis2_significant=data.get("nis2_significant"),
        )


@dataclass(frozen=True)
class ControllerFacts:
    """One affected controller of one incident."""

    slug: str
    contract_hours: int | None = None
    nis2: bool = False
    notice_delivered_at: datetime | None = None
    decision: Decision | None = None
    acts: Mapping[str, datetime] = field(default_factory=dict)  # obligation key -> when it was met
    late_reasons: Mapping[str, str] = field(default_factory=dict)  # obligation key -> reason
    withdrawn: bool = False  # the processor withdrew its notice: not a breach after all


@dataclass(frozen=True)
class IncidentFacts:
    discovered_at: datetime | None
    controllers: Sequence[ControllerFacts]


# --- the regimes ----------------------------------------------------------------------


@dataclass(frozen=True)
class Regime:
    key: str
    party: str  # who owes it -> to whom
    starts_at: str  # the event that starts the clock
    hours: int | Literal["contract", "one_month"] | None  # None: without undue delay
    met_by: str  # the recorded act that meets it
    applies: str  # when it applies (a name in APPLIES)
    label_en: str
    label_nl: str


REGIMES: tuple[Regime, ...] = (
    Regime(
        "processor_notice",
        "processor -> controller",
        "processor_aware",
        "contract",
        "notice_delivered",
        "always",
        "Processor notifies the controller",
        "Verwerker informeert de verwerkingsverantwoordelijke",
    ),
    Regime(
        "gdpr_authority",
        "controller -> authority",
        "notice_delivered",
        72,
        "authority_notified",
        "unless_no_risk",
        "Controller notifies the supervisory authority",
        "Verwerkingsverantwoordelijke meldt aan de toezichthouder",
    ),
    Regime(
        "gdpr_data_subjects",
        "controller -> data subjects",
        "notice_delivered",
        None,
        "data_subjects_informed",
        "if_high_risk",
        "Controller informs the persons",
        "Verwerkingsverantwoordelijke informeert de betrokkenen",
    ),
    Regime(
        "nis2_early_warning",
        "controller -> CSIRT",
        "notice_delivered",
        24,
        "nis2_early_warning",
        "nis2_significant",
        "NIS2 early warning to the CSIRT",
        "NIS2 vroegtijdige waarschuwing aan het CSIRT",
    ),
    Regime(
        "nis2_notification",
        "controller -> CSIRT",
        "notice_delivered",
        72,
        "nis2_notification",
        "nis2_significant",
        "NIS2 incident notification to the CSIRT",
        "NIS2 incidentmelding aan het CSIRT",
    ),
    Regime(
        "nis2_final_report",
        "controller -> CSIRT",
        "nis2_notification",
        "one_month",
        "nis2_final_report",
        "nis2_significant",
        "NIS2 final report to the CSIRT",
        "NIS2 eindrapport aan het CSIRT",
    ),
)
REGIME_BY_KEY = {regime.key: regime for regime in REGIMES}
# Where each duty is written (English, Dutch), cited beside it wherever it is shown.
LEGAL_BASIS: dict[str, tuple[str, str]] = {
    "processor_notice": ("Art. 33(2) GDPR", "art. 33 lid 2 AVG"),
    "gdpr_authority": ("Art. 33(1) GDPR", "art. 33 lid 1 AVG"),
    "gdpr_data_subjects": ("Art. 34(1) GDPR", "art. 34 lid 1 AVG"),
    "nis2_early_warning": ("Art. 23(4)(a) NIS2", "art. 23 lid 4 onder a NIS2"),
    "nis2_notification": ("Art. 23(4)(b) NIS2", "art. 23 lid 4 onder b NIS2"),
    "nis2_final_report": ("Art. 23(4)(d) NIS2", "art. 23 lid 4 onder d NIS2"),
}


def regime_hours(key: str) -> int:
    """The fixed elapsed hours of a regime (``gdpr_authority``: 72), for the notice, the
    report and the forms that name them; they are read here, never written again."""
    hours = REGIME_BY_KEY[key].hours
    if not isinstance(hours, int):
        raise ValueError(f"regime {key!r} has no fixed hours")
    return hours


def _start_event(
    name: str, incident: IncidentFacts, controller: ControllerFacts
) -> datetime | None:
    events: dict[str, datetime | None] = {
        "processor_aware": incident.discovered_at,
        # Product rule: the controller is aware when the processor's notice is delivered.
        "notice_delivered": controller.notice_delivered_at,
        "nis2_notification": controller.acts.get("nis2_notification"),  # when it was made
    }
    return events[name]


def _met_at(regime: Regime, controller: ControllerFacts) -> datetime | None:
    """When the act that meets the duty was recorded (acts are keyed by obligation key)."""
    if regime.met_by == "notice_delivered":
        return controller.notice_delivered_at
    return controller.acts.get(regime.key)


# An applicability rule answers True (applies), False (does not) or None (not known yet).
Applicability = Callable[[ControllerFacts], bool | None]


def _unless_no_risk(controller: ControllerFacts) -> bool | None:
    decision = controller.decision
    if decision is None:
        return True  # owed until the controller decides it is unlikely to result in a risk
    if decision.is_breach is False:
        return False
    return decision.notify_authority is not False


def _if_high_risk(controller: ControllerFacts) -> bool | None:
    decision = controller.decision
    if decision is None:
        return None
    if decision.is_breach is False:
        return False
    if decision.inform_data_subjects is None:
        return None
    return decision.inform_data_subjects and not decision.art34_ground


def _nis2_significant(controller: ControllerFacts) -> bool | None:
    if not controller.nis2:
        return False
    decision = controller.decision
    if decision is None or decision.nis2_significant is None:
        return None
    return bool(decision.nis2_significant)


APPLIES: dict[str, Applicability] = {
    "always": lambda controller: True,
    "unless_no_risk": _unless_no_risk,
    "if_high_risk": _if_high_risk,
    "nis2_significant": _nis2_significant,
}


# --- clocks ---------------------------------------------------------------------------


def due_after(start: datetime, hours: int | None) -> datetime | None:
    """The due time ``hours`` elapsed hours after ``start``; None for "without undue delay"."""
    if hours is None:
        return None
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    return start.astimezone(UTC) + timedelta(hours=hours)


def _due(regime: Regime, start: datetime, controller: ControllerFacts) -> datetime | None:
    if regime.hours == "contract":
        return due_after(start, controller.contract_hours)
    if regime.hours == "one_month":
        return start.astimezone(UTC) + relativedelta(months=1)
    return due_after(start, regime.hours)


# --- the result -----------------------------------------------------------------------


@dataclass(frozen=True)
class Obligation:
    key: str
    controller: str
    starts_at: datetime | None
    due_at: datetime | None
    status: Status
    met_at: datetime | None = None
    late: bool = False  # met after its due time, or overdue now
    late_reason: str | None = None

    @property
    def regime(self) -> Regime:
        return REGIME_BY_KEY[self.key]

    def remaining(self, now: datetime) -> timedelta | None:
        return None if self.due_at is None else self.due_at - now

    def fraction_elapsed(self, now: datetime) -> float | None:
        """How much of the time has gone (0 at the start, 1 at the due time)."""
        if self.starts_at is None or self.due_at is None:
            return None
        total = (self.due_at - self.starts_at).total_seconds()
        return (now - self.starts_at).total_seconds() / total if total > 0 else 1.0


def evaluate(
    incident: IncidentFacts, now: datetime, regimes: Sequence[Regime] = REGIMES
) -> list[Obligation]:
    """Every obligation of the incident, per affected controller, in regime order."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    result = []
    for controller in incident.controllers:
        for regime in regimes:
            result.append(_evaluate_one(regime, incident, controller, now))
    return result


def _evaluate_one(
    regime: Regime, incident: IncidentFacts, controller: ControllerFacts, now: datetime
) -> Obligation:
    applies = APPLIES[regime.applies](controller)
    if controller.withdrawn and _met_at(regime, controller) is None:
        applies = False  # withdrawn (not a breach): what was not done is no longer owed
    reason = controller.late_reasons.get(regime.key)
    if applies is False:
        return Obligation(regime.key, controller.slug, None, None, "not_applicable")
    start = _start_event(regime.starts_at, incident, controller)
    if start is None or applies is None:
        return Obligation(regime.key, controller.slug, None, None, "pending")
    due = _due(regime, start, controller)
    met = _met_at(regime, controller)
    if met is not None:
        late = due is not None and met > due
        return Obligation(
            regime.key, controller.slug, start, due, "met", met, late, reason if late else None
        )
    if due is not None and now > due:
        return Obligation(regime.key, controller.slug, start, due, "overdue", None, True, reason)
    return Obligation(regime.key, controller.slug, start, due, "open")


_NEVER = datetime.max.replace(tzinfo=UTC)


def urgency(obligation: Obligation) -> tuple[bool, bool, datetime, datetime]:
    """Sort key, most urgent first: overdue, then by due time, then the duties without a
    due time (by when they started)."""
    o = obligation
    return (o.status != "overdue", o.due_at is None, o.due_at or _NEVER, o.starts_at or _NEVER)


UNMET: frozenset[str] = frozenset({"pending", "open", "overdue"})  # not met yet


def unmet(obligations: Sequence[Obligation]) -> list[Obligation]:
    """The duties not met yet (running, overdue, or not started), most urgent first."""
    return sorted((o for o in obligations if o.status in UNMET), key=urgency)


def owed(obligations: Sequence[Obligation]) -> list[Obligation]:
    """The open and overdue obligations, most urgent first."""
    return sorted((o for o in obligations if o.status in {"open", "overdue"}), key=urgency)


def next_due(obligations: Sequence[Obligation]) -> Obligation | None:
    """The owed obligation that is due first."""
    return next((o for o in owed(obligations) if o.due_at is not None), None)


# --- reminders ------------------------------------------------------------------------

REMINDER_THRESHOLDS: tuple[tuple[str, float], ...] = (
    ("half", 0.5),
    ("ninety", 0.9),
    ("overdue", 1.0),
)


def reminders_due(obligation: Obligation, now: datetime) -> list[str]:
    """The reminder thresholds this obligation has passed (50%, 90% of its time, overdue)."""
    if obligation.status not in {"open", "overdue"}:
        return []
    fraction = obligation.fraction_elapsed(now)
    if fraction is None:
        return []
    passed = [name for name, limit in REMINDER_THRESHOLDS[:2] if fraction >= limit]
    if obligation.status == "overdue":
        passed.append("overdue")
    return passed
