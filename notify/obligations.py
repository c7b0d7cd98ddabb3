"""Who owes what to whom by when: the obligations engine (../shared/spec/rules.md §2).

Regimes are data: each row says who owes the duty, which event starts its clock, how
long it runs (or "without undue delay"), which recorded act meets it, when it applies,
where (the controller's country and regimes) and the dates it is in force. An incident
uses, for each party, the rows in force when that party became aware: the processor at
discovery, a controller when the processor's notice reached it. The engine is pure: it
takes the facts of one incident and the current time and returns every obligation with
its start, due time and status.

Elapsed hours are real hours: clocks run on UTC instants, so a daylight-saving change
never adds or removes an hour. "One month" is the same day of the next month at the
same local time (or that month's last day), in the controller's zone. DORA's deadlines
that fall on a weekend or a public holiday of the controller's country move to 12:00
local time on the next working day (Delegated Regulation (EU) 2025/301 Art. 5(4)-(5)),
except the initial and intermediate reports of entities flagged
``dora_no_weekend_relief``; public holidays come from the ``holidays`` package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

Status = Literal["pending", "open", "met", "overdue", "not_applicable"]

# The member states of the EU and the EEA (ISO 3166-1 alpha-2).
EU: frozenset[str] = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
EEA: frozenset[str] = EU | {"IS", "LI", "NO"}
# The law in force for NIS2 in each member state that transposed it, when it took effect.
# The Netherlands: the Cyberbeveiligingswet, 15 August 2026 (rules.md §2).
NIS2_NL_FROM = date(2026, 8, 15)
NIS2_FROM = date(2024, 10, 18)  # the directive's own date of application (Art. 41)


# --- the facts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What the controller's privacy officer decided (rules.md §3)."""

    is_breach: bool | None = None
    notify_authority: bool | None = None
    inform_data_subjects: bool | None = None
    art34_ground: str | None = None
    nis2_significant: bool | None = None
    dora_major: bool | None = None  # DORA: a major ICT-related incident (when: act dora_classified)

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
            dora_major=data.get("dora_major"),
        )

    @property
    def notify_if_high_risk(self) -> bool | None:
        """Under the Omnibus, whether the controller notifies: its decision to notify (it
        judges a high risk likely), else whether it judged a high risk to the persons."""
        if self.is_breach is False:
            return False
        if self.notify_authority is not None:
            return self.notify_authority
        return self.high_risk

    @property
    def high_risk(self) -> bool | None:
        """Whether the controller judged a high risk to the persons likely: it informs them,
        or would but for an Art. 34(3) ground."""
        if self.is_breach is False:
            return False
        if self.inform_data_subjects or self.art34_ground:
            return True
        return None if self.inform_data_subjects is None else False


@dataclass(frozen=True)
class ControllerFacts:
    """One affected controller of one incident."""

    slug: str
    contract_hours: int | None = None
    nis2: bool = False
    notice_delivered_at: datetime | None = None
    decision: Decision | None = None
    acts: Mapping[str, datetime] = field(default_factory=dict)  # act key -> when it was done
    late_reasons: Mapping[str, str] = field(default_factory=dict)  # act key -> reason
    withdrawn: bool = False  # the processor withdrew its notice: not a breach after all
    country: str = "NL"
    timezone: str = "Europe/Amsterdam"
    dora: bool = False
    dora_no_weekend_relief: bool = False
    authority: str | None = None  # its lead supervisory authority (a key of incidents.authorities)
    # Under the GDPR, a controller with no establishment in the EU/EEA notifies the
    # authority of each state where the persons live: their keys (EDPB 9/2022 para. 73).
    gdpr_authorities: tuple[str, ...] = ()
    eu_persons: bool = False  # persons in EU/EEA states are concerned (the incident's answer)

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (KeyError, ValueError):
            return ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True)
class IncidentFacts:
    discovered_at: datetime | None
    controllers: Sequence[ControllerFacts]


# --- the regimes ----------------------------------------------------------------------

Hours = int | Literal["contract", "one_month"] | None


@dataclass(frozen=True)
class Regime:
    key: str
    party: str  # who owes it -> to whom
    starts_at: str  # the event that starts the clock
    hours: Hours  # None: without undue delay
    met_by: str  # the recorded act that meets it (one act can meet rows of several laws)
    applies: str  # when it applies, by the decision (a name in APPLIES)
    label_en: str
    label_nl: str
    law: str = "gdpr"  # the regime it belongs to: gdpr, uk_gdpr, gdpr_omnibus, nis2, dora, ...
    to: str | None = None  # the recipient: supervisory_authority, csirt, competent_authority
    where: str = "everywhere"  # which controllers (a name in WHERE)
    countries: frozenset[str] | None = None  # only controllers in these countries
    since: date | None = None  # in force from this date (local to the controller)
    until: date | None = None  # and before this one
    cap_hours: int | None = None  # and at most this many hours after the controller is aware
    weekend_relief: bool = False  # DORA: a due time on a weekend or holiday moves
    relief_always: bool = False  # ... even for entities flagged dora_no_weekend_relief

    def in_force(self, day: date) -> bool:
        return (self.since is None or day >= self.since) and (
            self.until is None or day < self.until
        )

    @property
    def aware_event(self) -> str:
        """When its party became aware: the rows in force then are the ones that apply."""
        return "processor_aware" if self.party.startswith("processor") else "notice_delivered"


_AUTHORITY_DUTY = ("controller -> authority", "notice_delivered")


def _nis2(country: frozenset[str], since: date, law: str, csirt: str) -> tuple[Regime, ...]:
    party = f"controller -> {csirt}"
    common: dict[str, Any] = {
        "law": law,
        "to": "csirt",
        "where": "nis2",
        "countries": country,
        "since": since,
    }
    return (
        Regime(
            "nis2_early_warning",
            party,
            "notice_delivered",
            24,
            "nis2_early_warning",
            "nis2_significant",
            "NIS2 early warning to the CSIRT",
            "NIS2 vroegtijdige waarschuwing aan het CSIRT",
            **common,
        ),
        Regime(
            "nis2_notification",
            party,
            "notice_delivered",
            72,
            "nis2_notification",
            "nis2_significant",
            "NIS2 incident notification to the CSIRT",
            "NIS2 incidentmelding aan het CSIRT",
            **common,
        ),
        Regime(
            "nis2_final_report",
            party,
            "nis2_notification",
            "one_month",
            "nis2_final_report",
            "nis2_significant",
            "NIS2 final report to the CSIRT",
            "NIS2 eindrapport aan het CSIRT",
            **common,
        ),
    )


_DORA: dict[str, Any] = {
    "law": "dora",
    "to": "competent_authority",
    "where": "dora",
    "countries": EU,
    "weekend_relief": True,
}
_DORA_PARTY = "financial entity -> competent authority"

REGIMES_ALL: tuple[Regime, ...] = (
    Regime(
        "processor_notice",
        "processor -> controller",
        "processor_aware",
        "contract",
        "notice_delivered",
        "always",
        "Processor notifies the controller",
        "Verwerker informeert de verwerkingsverantwoordelijke",
        to="controller",
    ),
    Regime(
        "gdpr_authority",
        *_AUTHORITY_DUTY,
        72,
        "gdpr_authority",
        "unless_no_risk",
        "Controller notifies the supervisory authority",
        "Verwerkingsverantwoordelijke meldt aan de toezichthouder",
        to="supervisory_authority",
        where="gdpr",
    ),
    # Proposed Art. 33(1) in COM(2025) 837 (the "Digital Omnibus"): only a likely high risk,
    # within 96 hours, in place of gdpr_authority. Not law as of November 2026: in force
    # only from the date BREACHDESK_GDPR_OMNIBUS_FROM gives (see configure), never unset.
    Regime(
        "gdpr_omnibus_authority",
        *_AUTHORITY_DUTY,
        96,
        "gdpr_authority",
        "if_high_risk_likely",
        "Controller notifies the supervisory authority (high risk)",
        "Verwerkingsverantwoordelijke meldt aan de toezichthouder (hoog risico)",
        law="gdpr_omnibus",
        to="supervisory_authority",
        where="gdpr",
        since=date.max,
    ),
    Regime(
        "uk_gdpr_authority",
        "controller -> ICO",
        "notice_delivered",
        72,
        "uk_gdpr_authority",
        "unless_no_risk",
        "Controller notifies the ICO (UK GDPR)",
        "Verwerkingsverantwoordelijke meldt aan de ICO (UK GDPR)",
        law="uk_gdpr",
        to="supervisory_authority",
        where="uk",
    ),
    Regime(
        "gdpr_data_subjects",
        "controller -> data subjects",
        "notice_delivered",
        None,
        "gdpr_data_subjects",
        "if_high_risk",
        "Controller informs the persons",
        "Verwerkingsverantwoordelijke informeert de betrokkenen",
        to="data_subjects",
    ),
    *_nis2(frozenset({"NL"}), NIS2_NL_FROM, "cyberbeveiligingswet", "NCSC"),
    *_nis2(EU - {"NL"}, NIS2_FROM, "nis2", "CSIRT"),
    Regime(
        "dora_initial",
        _DORA_PARTY,
        "dora_classified",
        4,
        "dora_initial",
        "dora_major",
        "DORA initial notification",
        "DORA eerste melding",
        cap_hours=24,
        **_DORA,
    ),
    Regime(
        "dora_intermediate",
        _DORA_PARTY,
        "dora_initial",
        72,
        "dora_intermediate",
        "dora_major",
        "DORA intermediate report",
        "DORA tussentijds rapport",
        **_DORA,
    ),
    Regime(
        "dora_final",
        _DORA_PARTY,
        "dora_intermediate",
        "one_month",
        "dora_final",
        "dora_major",
        "DORA final report",
        "DORA eindrapport",
        relief_always=True,
        **_DORA,
    ),
)
# One row per duty key for what does not depend on the date (labels, party, hours).
REGIME_BY_KEY: dict[str, Regime] = {}
for _row in REGIMES_ALL:
    REGIME_BY_KEY.setdefault(_row.key, _row)
DUTY_KEYS: tuple[str, ...] = tuple(REGIME_BY_KEY)
# The acts that meet a duty: the key the officer records them under (rows of several laws
# are met by one act: the notification to the authority).
ACT_KEYS: tuple[str, ...] = tuple(dict.fromkeys(r.met_by for r in REGIMES_ALL))

_omnibus_from: date | None = None


def configure(*, omnibus_from: date | None) -> None:
    """Set the process's rules from its settings (BREACHDESK_GDPR_OMNIBUS_FROM): called
    when the app or a worker starts."""
    global _omnibus_from
    _omnibus_from = omnibus_from


def omnibus_from() -> date | None:
    return _omnibus_from


@cache
def regimes(omnibus: date | None = None) -> tuple[Regime, ...]:
    """The rows with their dates: the Omnibus row replaces gdpr_authority from its date,
    and is left out when no date is set."""
    found = []
    for row in REGIMES_ALL:
        if row.key == "gdpr_omnibus_authority":
            if omnibus is None:
                continue
            row = replace(row, since=omnibus)
        elif row.key == "gdpr_authority" and omnibus is not None:
            row = replace(row, until=omnibus)
        found.append(row)
    return tuple(found)


REGIMES = regimes(None)  # the rows without the Omnibus (the default)
# Where each duty is written (English, Dutch), cited beside it wherever it is shown.
LEGAL_BASIS: dict[str, tuple[str, str]] = {
    "processor_notice": ("Art. 33(2) GDPR", "art. 33 lid 2 AVG"),
    "gdpr_authority": ("Art. 33(1) GDPR", "art. 33 lid 1 AVG"),
    "gdpr_omnibus_authority": (
        "Art. 33(1) GDPR as proposed in COM(2025) 837",
        "art. 33 lid 1 AVG zoals voorgesteld in COM(2025) 837",
    ),
    "uk_gdpr_authority": ("Art. 33(1) UK GDPR", "art. 33 lid 1 UK GDPR"),
    "gdpr_data_subjects": ("Art. 34(1) GDPR", "art. 34 lid 1 AVG"),
    "nis2_early_warning": ("Art. 23(4)(a) NIS2", "art. 23 lid 4 onder a NIS2"),
    "nis2_notification": ("Art. 23(4)(b) NIS2", "art. 23 lid 4 onder b NIS2"),
    "nis2_final_report": ("Art. 23(4)(d) NIS2", "art. 23 lid 4 onder d NIS2"),
    "dora_initial": ("Art. 19(4)(a) DORA; Art. 5 Reg. 2025/301", "art. 19 lid 4 onder a DORA"),
    "dora_intermediate": ("Art. 19(4)(b) DORA; Art. 5 Reg. 2025/301", "art. 19 lid 4 onder b DORA"),
    "dora_final": ("Art. 19(4)(c) DORA; Art. 5 Reg. 2025/301", "art. 19 lid 4 onder c DORA"),
}
# The law each country's NIS2 rows cite (the Dutch transposition by name).
NIS2_LAW_NAMES = {"cyberbeveiligingswet": "Cyberbeveiligingswet (NIS2)", "nis2": "NIS2"}


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
    if name == "processor_aware":
        return incident.discovered_at
    if name == "notice_delivered":
        # Product rule: the controller is aware when the processor's notice is delivered.
        return controller.notice_delivered_at
    # An act: when it was made (classified as major, a report submitted).
    return controller.acts.get(name)


def _met_at(regime: Regime, controller: ControllerFacts) -> datetime | None:
    """When the act that meets the duty was recorded."""
    if regime.met_by == "notice_delivered":
        return controller.notice_delivered_at
    return controller.acts.get(regime.met_by)


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


def _if_high_risk_likely(controller: ControllerFacts) -> bool | None:
    decision = controller.decision
    return None if decision is None else decision.notify_if_high_risk


def _flagged(answer: Callable[[Decision], bool | None]) -> Applicability:
    def applies(controller: ControllerFacts) -> bool | None:
        decision = controller.decision
        if decision is None:
            return None
        if decision.is_breach is False:
            return False
        found = answer(decision)
        return None if found is None else bool(found)

    return applies


_major = _flagged(lambda d: d.dora_major)


def _classified(controller: ControllerFacts) -> bool | None:
    """A classification as major on record makes a DORA incident major, unless the
    decision says it is not (or not a breach at all)."""
    return True if "dora_classified" in controller.acts else None


APPLIES: dict[str, Applicability] = {
    "always": lambda controller: True,
    "unless_no_risk": _unless_no_risk,
    "if_high_risk": _if_high_risk,
    "if_high_risk_likely": _if_high_risk_likely,
    "nis2_significant": _flagged(lambda d: d.nis2_significant),
    "dora_major": lambda c: _major(c) if _major(c) is False else _major(c) or _classified(c),
}
# Which controllers a row concerns at all (rows that do not concern one are not its duties).
WHERE: dict[str, Callable[[ControllerFacts], bool]] = {
    "everywhere": lambda c: True,
    # The GDPR binds a controller in the EU/EEA or elsewhere (Art. 3(2)); a UK controller
    # only where persons in the EU/EEA are concerned (it has no establishment there).
    "gdpr": lambda c: c.country != "GB" or c.eu_persons,
    "uk": lambda c: c.country == "GB",
    "nis2": lambda c: c.nis2,
    "dora": lambda c: c.dora,
}


# --- clocks ---------------------------------------------------------------------------


def due_after(start: datetime, hours: int | None) -> datetime | None:
    """The due time ``hours`` elapsed hours after ``start``; None for "without undue delay"."""
    if hours is None:
        return None
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    return start.astimezone(UTC) + timedelta(hours=hours)


def one_month_after(start: datetime, zone: ZoneInfo) -> datetime:
    """The same day of the next month at the same local time (or that month's last day)."""
    local = start.astimezone(zone)
    wall = local.replace(tzinfo=None) + relativedelta(months=1)
    return wall.replace(tzinfo=zone).astimezone(UTC)


@cache
def _holidays(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:
        return frozenset()


def working_day(day: date, country: str) -> bool:
    """Neither a Saturday, a Sunday nor a public holiday of ``country``."""
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def next_working_noon(due: datetime, country: str, zone: ZoneInfo) -> datetime:
    """DORA's relief: a due time on a weekend or a public holiday of the competent
    authority's state moves to 12:00 local time on the next working day."""
    day = due.astimezone(zone).date()
    if working_day(day, country):
        return due
    day += timedelta(days=1)
    while not working_day(day, country):
        day += timedelta(days=1)
    return datetime.combine(day, time(12, 0), tzinfo=zone).astimezone(UTC)


def _due(
    regime: Regime, start: datetime, controller: ControllerFacts, incident: IncidentFacts
) -> datetime | None:
    if regime.hours == "contract":
        due = due_after(start, controller.contract_hours)
    elif regime.hours == "one_month":
        due = one_month_after(start, controller.zone)
    else:
        due = due_after(start, regime.hours)
    if due is not None and regime.cap_hours is not None:
        aware = _start_event(regime.aware_event, incident, controller)
        if aware is not None:
            due = min(due, aware.astimezone(UTC) + timedelta(hours=regime.cap_hours))
    return _relieved(regime, controller, due)


def _relieved(regime: Regime, controller: ControllerFacts, due: datetime | None) -> datetime | None:
    """DORA's weekend and holiday relief, where the row has it and the entity is not
    excluded from it (the final report always has it)."""
    relief = regime.weekend_relief and (
        regime.relief_always or not controller.dora_no_weekend_relief
    )
    if due is not None and relief:
        return next_working_noon(due, controller.country, controller.zone)
    return due


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
    row: Regime | None = None  # the regime row in force for it (None: the key's first row)
    authority: str | None = None  # to whom: an authority's key, or csirt, the persons...

    @property
    def regime(self) -> Regime:
        return self.row or REGIME_BY_KEY[self.key]

    @property
    def law(self) -> str:
        return self.regime.law

    @property
    def to_authority(self) -> bool:
        """A duty to notify the supervisory authority (GDPR, UK GDPR or the Omnibus)."""
        return self.regime.to == "supervisory_authority"

    def remaining(self, now: datetime) -> timedelta | None:
        return None if self.due_at is None else self.due_at - now

    def fraction_elapsed(self, now: datetime) -> float | None:
        """How much of the time has gone (0 at the start, 1 at the due time)."""
        if self.starts_at is None or self.due_at is None:
            return None
        total = (self.due_at - self.starts_at).total_seconds()
        return (now - self.starts_at).total_seconds() / total if total > 0 else 1.0


def rows_for(
    controller: ControllerFacts,
    incident: IncidentFacts,
    now: datetime,
    table: Sequence[Regime] | None = None,
) -> list[Regime]:
    """The rows that concern this controller, one per duty, each as in force when its
    party became aware (or now, when it is not aware yet)."""
    found: dict[str, Regime] = {}
    for row in regimes(_omnibus_from) if table is None else table:
        if row.key in found or not WHERE[row.where](controller):
            continue
        if row.countries is not None and controller.country not in row.countries:
            continue
        aware = _start_event(row.aware_event, incident, controller) or now
        if row.in_force(aware.astimezone(controller.zone).date()):
            found[row.key] = row
    return list(found.values())


def authority_rows(
    country: str, timezone: str, aware_at: datetime, eu_persons: bool = False
) -> list[Regime]:
    """The duties to notify a supervisory authority of a controller in ``country`` that
    became aware at ``aware_at`` (the GDPR's 72 hours, the ICO's, or the Omnibus's 96),
    for the texts that name their hours before there is a decision."""
    facts = ControllerFacts(
        "", country=country, timezone=timezone, eu_persons=eu_persons,
        notice_delivered_at=aware_at,
    )  # fmt: skip
    rows = rows_for(facts, IncidentFacts(None, [facts]), aware_at)
    return [row for row in rows if row.to == "supervisory_authority"]


def own_authority_hours(rows: Sequence[Regime], country: str) -> int:
    """The hours of the duty to notify the controller's own authority among ``rows``
    (those of :func:`authority_rows`): 72, or the Omnibus's 96."""
    act = own_authority_act(country)
    own = [r.hours for r in rows if r.met_by == act and isinstance(r.hours, int)]
    return own[0] if own else regime_hours("gdpr_authority")


def own_authority_act(country: str) -> str:
    """The act that notifies a controller's own authority: the ICO's under the UK GDPR for
    a controller in GB, otherwise the GDPR's (also under the Omnibus)."""
    return "uk_gdpr_authority" if country == "GB" else "gdpr_authority"


def evaluate(
    incident: IncidentFacts, now: datetime, regimes: Sequence[Regime] | None = None
) -> list[Obligation]:
    """Every obligation of the incident, per affected controller, in regime order; rows
    that do not concern a controller (another country, a regime it is not under, not in
    force when it became aware) are not its obligations."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    result = []
    for controller in incident.controllers:
        for regime in rows_for(controller, incident, now, regimes):
            result.append(_evaluate_one(regime, incident, controller, now))
    return result


def _recipient(regime: Regime, controller: ControllerFacts) -> str | None:
    if regime.to == "supervisory_authority":
        if regime.law in {"gdpr", "gdpr_omnibus"} and controller.gdpr_authorities:
            return ",".join(controller.gdpr_authorities)
        return controller.authority or regime.to
    if regime.to == "csirt" and controller.country == "NL":
        return "nl_ncsc"
    return regime.to


def _evaluate_one(
    regime: Regime, incident: IncidentFacts, controller: ControllerFacts, now: datetime
) -> Obligation:
    applies = APPLIES[regime.applies](controller)
    if controller.withdrawn and _met_at(regime, controller) is None:
        applies = False  # withdrawn (not a breach): what was not done is no longer owed
    reasons = controller.late_reasons
    reason = reasons.get(regime.key, reasons.get(regime.met_by))
    authority = _recipient(regime, controller)

    def made(
        start: datetime | None,
        due: datetime | None,
        status: Status,
        met: datetime | None = None,
        late: bool = False,
        late_reason: str | None = None,
    ) -> Obligation:
        return Obligation(
            regime.key,
            controller.slug,
            start,
            due,
            status,
            met,
            late,
            late_reason,
            regime,
            authority,
        )

    if applies is False:
        return made(None, None, "not_applicable")
    start = _start_event(regime.starts_at, incident, controller)
    aware = _start_event(regime.aware_event, incident, controller)
    outer = start is None and applies and regime.cap_hours is not None and aware is not None
    if outer and aware is not None and regime.cap_hours is not None:
        # Owed, its start not on record (DORA: major, the classification's time not
        # recorded): the outer limit after awareness still runs.
        start = aware
    if start is None or applies is None:
        return made(None, None, "pending")
    if outer and regime.cap_hours is not None:
        due = _relieved(regime, controller, due_after(start, regime.cap_hours))
    else:
        due = _due(regime, start, controller, incident)
    met = _met_at(regime, controller)
    if met is not None:
        late = due is not None and met > due
        return made(start, due, "met", met, late, reason if late else None)
    if due is not None and now > due:
        return made(start, due, "overdue", None, True, reason)
    return made(start, due, "open")


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
