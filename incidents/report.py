"""The report for the supervisory authority, and the register for a period (Art. 33(5)).

A report for the Dutch DPA (every controller it covers has the AP as its lead authority)
follows the AP's notification form (``rules.md`` section 5); a report for any other
authority, or for several, follows the EDPB's common structure for breach notifications.
Which answer or fact goes in which field of each is written down once, in :data:`AP_FORM`
and :data:`EDPB_FORM`; when the EDPB's common EU template is final, the mapping changes
here and nowhere else. Each field is a questionnaire key (its answer in words) or a
function of the report's facts; a field marked per controller is given for each
controller the report covers.

A controller that decided not to notify the authority (or that it is not a breach at all)
gets its record under Art. 33(5) in the same structure, not a notification.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session

from forms.decision import ART34_GROUNDS
from forms.display import NOT_PROVIDED, display_value, format_datetime
from forms.questionnaire import QUESTIONS, Text
from forms.words import format_number
from incidents import authorities, documents, evidence, notices, scope, service
from incidents.authorities import Authority
from incidents.jurisdiction import country_name
from incidents.models import (
    Incident,
    IncidentStatus,
    IncidentVersion,
    Notice,
    NoticeSend,
    ObligationRecord,
    Organisation,
    utcnow,
)
from incidents.principal import CurrentUser
from notify import pdf
from notify.assessment import Assessment, Reason, assess, assessment_of
from notify.obligations import LEGAL_BASIS, Obligation, own_authority_act, regime_hours

REGISTER_MAX = 500  # incidents in one register PDF; narrow the period for more
# A report covering more controllers than this (staff's processor-wide report of an
# incident with many) gives each per-controller field as a summary (how many controllers
# have each value) and one table row per controller, not every field repeated for each
# one; each controller's own report still has every field. A field with more different
# values than SUMMARY_VALUES refers to that table.
SUMMARY_FROM = 10
SUMMARY_VALUES = 8


@dataclass
class ControllerPart:
    """One controller the report covers: its notice, what it decided and recorded."""

    org: Organisation
    notice: Notice
    sends: list[NoticeSend]
    records: dict[str, ObligationRecord]
    obligations: list[Obligation]

    def record(self, key: str) -> ObligationRecord | None:
        return self.records.get(key)

    def obligation(self, key: str) -> Obligation | None:
        return next((o for o in self.obligations if o.key == key), None)

    @property
    def authority_duties(self) -> list[Obligation]:
        """Its own duties to notify the supervisory authority (the GDPR's, the UK GDPR's or
        the Omnibus's; a UK controller with persons in the EU/EEA has two: the ICO's, met by
        the act ``uk_gdpr_authority``, and the EU's, met by ``gdpr_authority``)."""
        found = [o for o in self.obligations if o.to_authority]
        return sorted(found, key=lambda o: o.law != "uk_gdpr")  # the ICO's first

    @property
    def authority_record(self) -> ObligationRecord | None:
        """The notification to its own authority, as recorded (the ICO's for GB)."""
        return self.record(own_authority_act(self.org.country))

    @property
    def lead(self) -> Authority | None:
        return authorities.lead_authority(self.org.country, self.org.authority)

    @property
    def not_notified(self) -> Literal["not_breach", "not_notified"] | None:
        """Why this controller's report is its record under Art. 33(5), not a notification:
        it decided that it is not a breach, or not to notify the authority (None: it
        notifies, has not decided yet, or the authority already has a notification)."""
        decision = self.notice.decision or {}
        record = self.authority_record
        if record is not None and record.met_at is not None:
            return None  # a notification exists: follow it up or withdraw it
        if decision.get("is_breach") is False:
            return "not_breach"
        if decision.get("notify_authority") is False:
            return "not_notified"
        return None


@dataclass
class ReportData:
    incident: Incident
    answers: dict[str, Any]
    processor: Organisation | None
    parts: list[ControllerPart]
    assessment: Assessment
    versions: list[IncidentVersion]
    zone: ZoneInfo
    lang: str
    generated_at: datetime = field(default_factory=utcnow)
    evidence: list[Any] = field(default_factory=list)  # the files the reader may see
    # The structure it follows (AP_FORM or EDPB_FORM) and the one authority it is for
    # (None: several, or none known); see ``structure``.
    form: tuple[Section, ...] = ()
    authority: Authority | None = None

    def when(self, value: datetime | None) -> str:
        return format_datetime(value, self.zone, self.lang) if value else ""

    def text(self, value: Text) -> str:
        return value.get(self.lang)

    @property
    def record(self) -> Literal["not_breach", "not_notified"] | None:
        """The report is one controller's record under Art. 33(5) of a breach it decided
        not to notify (or that it is not one): why; None for a notification."""
        return self.parts[0].not_notified if len(self.parts) == 1 else None


# --- the fields that are not plain answers --------------------------------------------

YES = Text("Yes", "Ja")
NO = Text("No", "Nee")
NOT_YET = Text("Not yet", "Nog niet")
NOT_DECIDED = Text("Not decided yet", "Nog niet besloten")


def _yes_no(data: ReportData, value: bool | None) -> str:
    return data.text(NOT_DECIDED if value is None else YES if value else NO)


RECORD_NOT_NOTIFIED = Text(
    "Record of a breach not notified to the supervisory authority (Art. 33(5) GDPR)",
    "Registratie van een niet-gemeld datalek (art. 33 lid 5 AVG)",
)
RECORD_NOT_BREACH = Text(
    "Record: not a personal data breach (Art. 33(5) GDPR)",
    "Registratie: geen inbreuk in verband met persoonsgegevens (art. 33 lid 5 AVG)",
)


def _kind(data: ReportData, part: ControllerPart) -> list[str]:
    authority = part.authority_record
    number = authority.reference if authority and authority.met_at else ""
    decision = part.notice.decision or {}
    if number and decision.get("is_breach") is False:
        return [
            data.text(Text("Withdrawal of notification {n}", "Intrekking van melding {n}")).format(
                n=number
            )
        ]
    if number:
        return [
            data.text(
                Text("Follow-up to notification {n}", "Vervolgmelding op melding {n}")
            ).format(n=number)
        ]
    if part.not_notified == "not_breach":
        return [data.text(RECORD_NOT_BREACH)]
    if part.not_notified == "not_notified":
        return [data.text(RECORD_NOT_NOTIFIED)]
    return [data.text(Text("New notification", "Nieuwe melding"))]


def _reference(data: ReportData) -> list[str]:
    incident = data.incident
    return [
        data.text(Text("{r}, version {v} of {d}", "{r}, versie {v} van {d}")).format(
            r=incident.reference or "", v=incident.version, d=data.when(incident.updated_at)
        )
    ]


def _generated(data: ReportData) -> list[str]:
    return [data.when(data.generated_at)]


def _controller(data: ReportData, part: ControllerPart) -> list[str]:
    lines = [part.org.name]
    decision = part.notice.decision or {}
    if decision.get("decided_by"):
        lines.append(
            data.text(
                Text(
                    "Decided by {who}, privacy officer", "Besloten door {who}, privacyfunctionaris"
                )
            ).format(who=decision["decided_by"])
        )
    return lines


def _controller_contact(data: ReportData, part: ControllerPart) -> list[str]:
    """Where the controller itself is reached: its country and the addresses its notices
    go to (its privacy officer who decided is named with the controller)."""
    org = part.org
    lines = [
        data.text(Text("Country: {country}", "Land: {country}")).format(
            country=country_name(org.country, data.lang)
        )
    ]
    if org.notification_emails:
        lines.append(
            data.text(Text("E-mail: {emails}", "E-mail: {emails}")).format(
                emails=", ".join(org.notification_emails)
            )
        )
    return lines


def _processor(data: ReportData) -> list[str]:
    name = data.processor.name if data.processor else ""
    return [
        data.text(
            Text(
                "{p} (processor; the breach occurred in its systems)",
                "{p} (verwerker; het lek deed zich voor in diens systemen)",
            )
        ).format(p=name)
    ]


def _notified_by_processor(data: ReportData, part: ControllerPart) -> list[str]:
    if not part.sends:
        return [data.text(NOT_YET)]
    lines = [
        data.text(Text("First notice sent {at}", "Eerste melding verzonden {at}")).format(
            at=data.when(part.sends[0].sent_at)
        )
    ]
    if len(part.sends) > 1:
        lines.append(
            data.text(
                Text(
                    "{n} follow-ups, the last sent {at}",
                    "{n} vervolgmeldingen, de laatste verzonden {at}",
                )
            ).format(n=len(part.sends) - 1, at=data.when(part.sends[-1].sent_at))
        )
    return lines


def _law(data: ReportData, duty: Obligation) -> str:
    """Where a duty is written ("Art. 33(1) UK GDPR"), in the report's language."""
    en, nl = LEGAL_BASIS.get(duty.key, (duty.key, duty.key))
    return nl if data.lang == "nl" else en


def _aware(data: ReportData, part: ControllerPart) -> list[str]:
    """When the notice reached the controller, and when its own duty to notify the
    authority ends, each with its own hours (a UK controller with persons in the EU/EEA
    has the UK GDPR's and the GDPR's)."""
    delivered = part.notice.delivered_at
    if delivered is None:
        return [data.text(NOT_YET)]
    duties = part.authority_duties
    hours_of: list[tuple[Obligation | None, int]] = [
        (o, o.regime.hours) for o in duties if isinstance(o.regime.hours, int)
    ] or [(None, regime_hours("gdpr_authority"))]
    lines = [data.when(delivered)]
    for duty, hours in hours_of:
        due = (
            duty.due_at if duty is not None and duty.due_at else delivered + timedelta(hours=hours)
        )
        if duty is None or len(hours_of) == 1:
            text = Text(
                "The {hours} hours ended or end {due}", "De {hours} uur eindigden of eindigen {due}"
            )
        else:
            text = Text(
                "The {hours} hours under {law} ended or end {due}",
                "De {hours} uur onder {law} eindigden of eindigen {due}",
            )
        law = _law(data, duty) if duty is not None else ""
        lines.append(data.text(text).format(hours=hours, due=data.when(due), law=law))
    return lines


def _authority_notified(data: ReportData, part: ControllerPart) -> list[str]:
    """When each of its authority duties was met, with the authority's number (a UK
    controller with persons in the EU/EEA: the ICO's and the EU's, each named)."""
    duties = part.authority_duties
    acts = [d.regime.met_by for d in duties] or [own_authority_act(part.org.country)]
    lines = []
    for act in acts:
        record = part.record(act)
        said = [data.text(NOT_YET)]
        if record is not None and record.met_at is not None:
            number = data.text(Text("Notification number {n}", "Meldingsnummer {n}"))
            said = [data.when(record.met_at), number.format(n=record.reference)]
        if len(acts) > 1:
            law = data.text(UK_GDPR if act == "uk_gdpr_authority" else GDPR)
            said[0] = f"{law}: {said[0]}"
        lines += said
    return lines


UK_GDPR = Text("Under the UK GDPR (the ICO)", "Onder de UK GDPR (de ICO)")
GDPR = Text("Under the GDPR", "Onder de AVG")


def _delay_reasons(data: ReportData, part: ControllerPart) -> list[str]:
    to_authority = Text("The notification to the authority", "De melding aan de toezichthouder")
    duties: list[tuple[Obligation | None, Text]] = [
        (
            part.obligation("processor_notice"),
            Text("The processor's notice", "De melding van de verwerker"),
        )
    ]
    own = part.authority_duties
    duties += [(o, to_authority) for o in own]
    lines = []
    for obligation, label in duties:
        if obligation is None or not obligation.late:
            continue
        reason = obligation.late_reason or data.text(
            Text("no reason recorded", "geen reden vastgelegd")
        )
        name = data.text(label)
        if len(own) > 1 and obligation.to_authority:
            name = f"{name} ({_law(data, obligation)})"
        lines.append(f"{name}: {reason}")
    return lines or [data.text(Text("Not late", "Niet te laat"))]


def _cia(data: ReportData) -> list[str]:
    """Confidentiality, integrity, availability: which were breached."""
    nature = set(data.answers.get("nature") or [])
    lines = []
    if nature & {"read", "copied", "stolen", "unknown"} or data.answers.get("recipients") in {
        "known",
        "unknown",
    }:
        lines.append(
            data.text(
                Text(
                    "Confidentiality (data read or taken by persons without a right to them)",
                    "Vertrouwelijkheid (gegevens ingezien of meegenomen door onbevoegden)",
                )
            )
        )
    if "altered" in nature:
        lines.append(
            data.text(Text("Integrity (data altered)", "Integriteit (gegevens veranderd)"))
        )
    if nature & {"deleted", "stolen"}:
        lines.append(
            data.text(
                Text(
                    "Availability (data deleted, destroyed or taken)",
                    "Beschikbaarheid (gegevens verwijderd, vernietigd of meegenomen)",
                )
            )
        )
    return lines


def _decision_notify(data: ReportData, part: ControllerPart) -> list[str]:
    decision = part.notice.decision
    if not decision:
        return [data.text(NOT_DECIDED)]
    lines = []
    if decision.get("is_breach") is False:
        lines.append(
            data.text(
                Text("Not a personal data breach", "Geen inbreuk in verband met persoonsgegevens")
            )
        )
    else:
        lines.append(_yes_no(data, decision.get("notify_authority")))
    if decision.get("authority_reason"):
        lines.append(decision["authority_reason"])
    return lines


def _decision_inform(data: ReportData, part: ControllerPart) -> list[str]:
    decision = part.notice.decision
    if not decision:
        return [data.text(NOT_DECIDED)]
    lines = [_yes_no(data, decision.get("inform_data_subjects"))]
    ground = decision.get("art34_ground")
    if ground in ART34_GROUNDS:
        lines.append(data.text(ART34_GROUNDS[ground]))
    if decision.get("data_subjects_reason"):
        lines.append(decision["data_subjects_reason"])
    return lines


def _informed(data: ReportData, part: ControllerPart) -> list[str]:
    record = part.record("gdpr_data_subjects")
    if record is None or record.met_at is None:
        return [data.text(NOT_YET)]
    return [data.when(record.met_at), record.detail]


OTHER_ACTS: tuple[tuple[str, Text], ...] = (
    (
        "nis2_early_warning",
        Text("NIS2 early warning to the CSIRT", "NIS2 vroegtijdige waarschuwing aan het CSIRT"),
    ),
    ("nis2_notification", Text("NIS2 incident notification", "NIS2 incidentmelding")),
    ("nis2_final_report", Text("NIS2 final report", "NIS2 eindverslag")),
    ("dora_initial", Text("DORA initial notification", "DORA eerste melding")),
    ("dora_intermediate", Text("DORA intermediate report", "DORA tussentijds rapport")),
    ("dora_final", Text("DORA final report", "DORA eindrapport")),
)


def _dora_classified(data: ReportData, part: ControllerPart) -> list[str]:
    """DORA: when the controller classified the incident as a major ICT-related incident
    (the act the officer recorded for it)."""
    decision = part.notice.decision or {}
    record = part.record("dora_classified")
    at = record.met_at if record else None
    if at is None and not decision.get("dora_major"):
        return []
    if at is None:
        return [
            data.text(
                Text(
                    "Classified as a major ICT-related incident",
                    "Geclassificeerd als ernstig ICT-gerelateerd incident",
                )
            )
        ]
    return [
        data.text(
            Text(
                "Classified as a major ICT-related incident at {at}",
                "Geclassificeerd als ernstig ICT-gerelateerd incident op {at}",
            )
        ).format(at=data.when(at))
    ]


def _other_authorities(data: ReportData, part: ControllerPart) -> list[str]:
    lines = _dora_classified(data, part)
    for key, label in OTHER_ACTS:
        record = part.record(key)
        if record and record.met_at:
            extra = f" ({record.reference})" if record.reference else ""
            lines.append(f"{data.text(label)}: {data.when(record.met_at)}{extra}")
    return lines or [data.text(Text("None recorded", "Geen vastgelegd"))]


def _authority_words(data: ReportData, authority: Authority) -> str:
    return f"{authority.name(data.lang)} ({country_name(authority.country, data.lang)})"


def _concerned(data: ReportData, part: ControllerPart) -> list[str]:
    """The other supervisory authorities concerned: those of the other EU/EEA states where
    persons live, without the controller's lead."""
    found = authorities.concerned(part.org.country, part.lead, service.eu_persons(data.answers))
    return [_authority_words(data, a) for a in found] or [data.text(Text("None", "Geen"))]


def _to_notify(data: ReportData, part: ControllerPart) -> list[str]:
    """A controller without an establishment in the EU/EEA with persons there notifies
    each authority where they live (EDPB Guidelines 9/2022 v2.0, para. 73); nothing for
    any other controller."""
    countries = service.eu_persons(data.answers)
    if not countries or not authorities.without_eu_establishment(part.org.country):
        return []
    found = authorities.to_notify(part.org.country, part.lead, countries)
    return [
        data.text(
            Text(
                "Without an establishment in the EU/EEA, the controller must notify each of "
                "these authorities (EDPB Guidelines 9/2022 v2.0, para. 73):",
                "Zonder vestiging in de EU/EER moet de verwerkingsverantwoordelijke elk van "
                "deze toezichthouders informeren (EDPB-richtsnoeren 9/2022 v2.0, punt 73):",
            )
        ),
        *(_authority_words(data, a) for a in found),
    ]


def _phases(data: ReportData) -> list[str]:
    lines = []
    for version in data.versions:
        if version.kind == "draft":
            continue
        note = f": {version.note}" if version.note else ""
        lines.append(
            data.text(Text("Version {v}, {at}{note}", "Versie {v}, {at}{note}")).format(
                v=version.version, at=data.when(version.created_at), note=note
            )
        )
    return lines


# --- the mapping onto the regulator's form --------------------------------------------

Source = str | Callable[[ReportData], list[str]]


@dataclass(frozen=True)
class Field:
    """One field of a form: a questionnaire key (``source`` a string), a function of the
    report (``source``), or a function of each controller (``per_controller``); with
    neither, a heading that groups the fields after it."""

    label: Text | None  # None: the question's own label
    source: Source | None = None  # a questionnaire key, or a function of the report
    per_controller: Callable[[ReportData, ControllerPart], list[str]] | None = None


@dataclass(frozen=True)
class Section:
    key: str
    title: Text
    fields: tuple[Field, ...]
    assessment: bool = False  # the severity estimate follows the fields


def _q(key: str, label: Text | None = None) -> Field:
    return Field(label, key)


def _heading(label: Text) -> Field:
    return Field(label)


# Fields the report and the register share.
AUTHORITY_NOTIFIED = Field(
    Text("Notified to the supervisory authority", "Gemeld bij de toezichthouder"),
    per_controller=_authority_notified,
)
DELAY_REASONS = Field(
    Text("Reasons for a delay", "Redenen voor vertraging"), per_controller=_delay_reasons
)
DECISION_NOTIFY = Field(
    Text("Decision: notify the supervisory authority", "Besluit: melden bij de toezichthouder"),
    per_controller=_decision_notify,
)
DECISION_INFORM = Field(
    Text("Decision: inform the persons concerned", "Besluit: de betrokkenen informeren"),
    per_controller=_decision_inform,
)

# Fields both forms have.
KIND = Field(Text("Kind of notification", "Soort melding"), per_controller=_kind)
REFERENCE = Field(Text("Our reference", "Ons kenmerk"), _reference)
GENERATED = Field(Text("This report was made", "Dit rapport is gemaakt"), _generated)
PHASES = Field(
    Text(
        "Information given in phases (Art. 33(4))", "Informatie in fasen verstrekt (art. 33 lid 4)"
    ),
    _phases,
)


def _evidence(data: ReportData) -> list[str]:
    """The evidence kept, each with its SHA-256 (a removed one says so, with the reason)."""
    lines = []
    for view in data.evidence:
        e = view.evidence
        line = f"{e.filename} · SHA-256 {e.sha256} · {data.when(e.uploaded_at)}"
        if e.removed_at is not None:
            removed = data.text(Text("removed: {reason}", "verwijderd: {reason}"))
            line += f" · {removed.format(reason=e.removal_reason)}"
        lines.append(line)
    return lines


EVIDENCE = Field(Text("Evidence kept", "Bewaard bewijsmateriaal"), _evidence)
CONTROLLER = Field(
    Text(
        "Organisation responsible (controller)",
        "Verantwoordelijke organisatie (verwerkingsverantwoordelijke)",
    ),
    per_controller=_controller,
)
CONTROLLER_CONTACT = Field(
    Text("The controller's contact details", "Contactgegevens van de verwerkingsverantwoordelijke"),
    per_controller=_controller_contact,
)
PROCESSOR = Field(Text("Processor involved", "Betrokken verwerker"), _processor)
PROCESSOR_CONTACT = (
    _q(
        "contact_name",
        Text(
            "Processor's contact for this breach",
            "Contactpersoon van de verwerker voor dit datalek",
        ),
    ),
    _q("contact_role"),
    _q("contact_email"),
    _q("contact_phone"),
)
NOTIFIED_BY_PROCESSOR = Field(
    Text(
        "The processor informed the controller",
        "De verwerker informeerde de verwerkingsverantwoordelijke",
    ),
    per_controller=_notified_by_processor,
)
AWARE = Field(
    Text(
        "The controller became aware (notice received)",
        "De verwerkingsverantwoordelijke werd op de hoogte (melding ontvangen)",
    ),
    per_controller=_aware,
)
INFORMED = Field(Text("Persons informed", "Betrokkenen geïnformeerd"), per_controller=_informed)
CONCERNED = Field(
    Text("Other supervisory authorities concerned", "Andere betrokken toezichthouders"),
    per_controller=_concerned,
)
TO_NOTIFY = Field(
    Text("Supervisory authorities to notify", "Toezichthouders bij wie gemeld moet worden"),
    per_controller=_to_notify,
)
OTHER_AUTHORITIES = Field(
    Text("Other authorities notified", "Andere toezichthouders of instanties ingelicht"),
    per_controller=_other_authorities,
)

# The timeline: the same fields in both forms.
TIMELINE: tuple[Field, ...] = (
    _q("occurred_kind", Text("When did the breach take place?", "Wanneer vond de inbreuk plaats?")),
    _q("occurred_on"),
    _q("occurred_from"),
    _q("occurred_until"),
    _q("ongoing"),
    _q("discovered_at", Text("Discovered by the processor", "Ontdekt door de verwerker")),
    NOTIFIED_BY_PROCESSOR,
    AWARE,
    AUTHORITY_NOTIFIED,
    DELAY_REASONS,
)

# Groups of fields both forms give, in the same order.
BREACH: tuple[Field, ...] = (
    _q("summary"),
    _q("cause"),
    _q("cause_other"),
    Field(Text("What was breached", "Wat is geschonden"), _cia),
    _q("nature"),
    _q("recipients"),
    _q("malicious"),
    _q("integrity_recoverable"),
    _q("availability_loss"),
)
PERSONAL_DATA: tuple[Field, ...] = (
    _q("data_types"),
    _q("special_categories"),
    _q("data_types_other"),
    _q("records_approx"),
    _q("identifiability"),
    _q("sensitive_context"),
    _q("extensive_volume"),
    _q("public_or_invalid"),
)
PERSONS: tuple[Field, ...] = (
    _q("affected_group"),
    _q("affected_min"),
    _q("affected_max"),
    _q("vulnerable_subjects"),
)
PROTECTION: tuple[Field, ...] = (_q("encrypted"), _q("encryption_details"), _q("key_compromised"))

AP_FORM: tuple[Section, ...] = (
    Section(
        "about",
        Text("1. About this notification", "1. Over deze melding"),
        (KIND, REFERENCE, GENERATED),
    ),
    Section(
        "organisation",
        Text("2. Organisation, reporter and contact", "2. Organisatie, melder en contactpersoon"),
        (CONTROLLER, CONTROLLER_CONTACT, PROCESSOR, *PROCESSOR_CONTACT),
    ),
    Section(
        "timeline",
        Text("3. Timeline", "3. Tijdlijn"),
        TIMELINE,
    ),
    Section(
        "breach",
        Text("4. The breach", "4. Het datalek"),
        BREACH,
    ),
    Section(
        "data",
        Text("5. Personal data", "5. Persoonsgegevens"),
        PERSONAL_DATA,
    ),
    Section(
        "persons",
        Text("6. Persons concerned", "6. Betrokkenen"),
        PERSONS,
    ),
    Section(
        "protection",
        Text("7. Protection", "7. Beveiliging"),
        PROTECTION,
    ),
    Section(
        "consequences",
        Text("8. Consequences", "8. Gevolgen"),
        (
            _q("consequences"),
            _q("consequences_other"),
        ),
        assessment=True,
    ),
    Section(
        "follow_up",
        Text("9. Follow-up", "9. Vervolgacties"),
        (
            DECISION_NOTIFY,
            DECISION_INFORM,
            INFORMED,
            _q("measures"),
            _q("other_eu_countries"),
            _q("countries"),
            CONCERNED,
            TO_NOTIFY,
            OTHER_AUTHORITIES,
        ),
    ),
    Section(
        "other",
        Text("10. Other", "10. Overig"),
        (PHASES, EVIDENCE),
    ),
)

# The EDPB's common structure for a notification to any other authority (rules.md
# section 5): the same facts, grouped as the EDPB's template groups them.
EDPB_FORM: tuple[Section, ...] = (
    Section(
        "type",
        Text("1. Type of notification", "1. Soort melding"),
        (KIND, DECISION_NOTIFY, REFERENCE, GENERATED, PHASES, EVIDENCE),
    ),
    Section(
        "controller",
        Text(
            "2. Controller, reporter and data protection officer",
            "2. Verwerkingsverantwoordelijke, melder en functionaris voor gegevensbescherming",
        ),
        (CONTROLLER, CONTROLLER_CONTACT, PROCESSOR, *PROCESSOR_CONTACT),
    ),
    Section(
        "nature",
        Text("3. Nature of the breach", "3. Aard van de inbreuk"),
        (
            *BREACH,
            _heading(Text("Timeline", "Tijdlijn")),
            *TIMELINE,
            _heading(Text("Personal data concerned", "Betrokken persoonsgegevens")),
            *PERSONAL_DATA,
            _heading(Text("Persons concerned", "Betrokkenen")),
            *PERSONS,
            _heading(Text("Cross-border", "Grensoverschrijdend")),
            _q("other_eu_countries"),
            _q("countries"),
            CONCERNED,
            TO_NOTIFY,
            OTHER_AUTHORITIES,
        ),
    ),
    Section(
        "consequences",
        Text("4. Likely consequences", "4. Waarschijnlijke gevolgen"),
        (
            _q("consequences"),
            _q("consequences_other"),
        ),
        assessment=True,
    ),
    Section(
        "measures",
        Text(
            "5. Mitigation and prevention measures",
            "5. Maatregelen om de gevolgen te beperken en herhaling te voorkomen",
        ),
        (
            _q("measures"),
            *PROTECTION,
        ),
    ),
    Section(
        "communication",
        Text("6. Communication to data subjects", "6. Mededeling aan de betrokkenen"),
        (DECISION_INFORM, INFORMED),
    ),
)


def mapped_keys(form: Sequence[Section]) -> set[str]:
    """The questionnaire keys a form gives."""
    return {f.source for s in form for f in s.fields if isinstance(f.source, str)}


MAPPED_KEYS = mapped_keys(AP_FORM)


def _controllers_count(data: ReportData, count: int) -> str:
    if count == 1:
        return data.text(Text("1 controller", "1 verwerkingsverantwoordelijke"))
    return data.text(Text("{n} controllers", "{n} verwerkingsverantwoordelijken")).format(
        n=format_number(count, data.lang)
    )


SEE_TABLE = Text(
    "Differs per controller: see the table of controllers at the end of this report.",
    "Verschilt per verwerkingsverantwoordelijke: zie de tabel aan het eind van dit rapport.",
)
FIRST_ONLY = Text(
    "… and {n} more: see the incident's report, which lists every controller.",
    "… en nog {n}: zie het rapport van het incident, dat elke verwerkingsverantwoordelijke noemt.",
)


def _per_controller_lines(data: ReportData, item: Field, table: bool) -> list[str]:
    """A per-controller field's lines: each controller's, prefixed with its name when there
    are several; for many controllers how many have each value, or (too many values) the
    table at the end (``table``), or the first SUMMARY_FROM controllers'."""
    assert item.per_controller is not None
    many = len(data.parts) > SUMMARY_FROM
    if many:
        found = Counter(
            value for p in data.parts if (value := " · ".join(item.per_controller(data, p)))
        )
        if not found:
            return []
        if len(found) <= SUMMARY_VALUES:
            return [f"{value} ({_controllers_count(data, n)})" for value, n in found.most_common()]
        if table:
            return [data.text(SEE_TABLE)]
    lines = []
    for part in data.parts[:SUMMARY_FROM] if many else data.parts:
        found_lines = item.per_controller(data, part)
        # One row; with several controllers each one's lines start with its name
        # (once: a field that is the name itself is not prefixed with it again).
        if len(data.parts) > 1 and found_lines and found_lines[0] != part.org.name:
            found_lines = [f"{part.org.name}: {found_lines[0]}", *found_lines[1:]]
        lines += found_lines
    if many:
        lines.append(data.text(FIRST_ONLY).format(n=len(data.parts) - SUMMARY_FROM))
    return lines


# The questionnaire names the Dutch numbers (BSN, sofinummer); a report on controllers
# outside the Netherlands speaks of national numbers, as their letters do.
NATIONAL_NUMBERS = Text(
    "National identification or tax numbers", "Nationale identificatie- of belastingnummers"
)


def _outside_nl(data: ReportData) -> bool:
    """None of the report's controllers is in the Netherlands."""
    return bool(data.parts) and all(p.org.country != "NL" for p in data.parts)


def _bsn_label() -> Text:
    found = QUESTIONS["data_types"].option("bsn")
    assert found is not None
    return found.label


def _national_numbers(data: ReportData, key: str, lines: list[str]) -> list[str]:
    if key != "data_types" or not _outside_nl(data):
        return lines
    dutch = _bsn_label().get(data.lang)
    return [data.text(NATIONAL_NUMBERS) if line == dutch else line for line in lines]


def _reworded(text: Text) -> Text:
    """A sentence of the assessment with the Dutch numbers named as national ones."""
    bsn = _bsn_label()

    def one(value: str, label: str, instead: str) -> str:
        return re.sub(re.escape(label), instead.lower(), value, flags=re.IGNORECASE)

    return Text(
        one(text.en, bsn.en, NATIONAL_NUMBERS.en), one(text.nl, bsn.nl, NATIONAL_NUMBERS.nl)
    )


def assessment_for(data: ReportData) -> Assessment:
    """The assessment as the report gives it: for controllers outside the Netherlands its
    sentences speak of national numbers, not of the Dutch BSN."""
    found = data.assessment
    if not _outside_nl(data):
        return found

    def reasons(items: tuple[Reason, ...]) -> tuple[Reason, ...]:
        return tuple(replace(r, text=_reworded(r.text)) for r in items)

    advice = found.recommendation
    lowered = _reworded(advice.lowered_by) if advice.lowered_by else None
    return replace(
        found,
        explanation=reasons(found.explanation),
        recommendation=replace(advice, reasons=reasons(advice.reasons), lowered_by=lowered),
    )


def section_rows(section: Section, data: ReportData, table: bool = False) -> list[dict[str, Any]]:
    """The section's fields as rows of a label and lines of text, in the report's language
    (``table``: the report ends with the table of controllers); a heading is a row with
    ``heading`` set and no lines."""
    rows: list[dict[str, Any]] = []
    names = {p.org.slug: p.org.name for p in data.parts}
    for item in section.fields:
        if item.per_controller is not None:
            assert item.label is not None
            lines = _per_controller_lines(data, item, table)
            if lines:  # a field that says nothing of any of the controllers is left out
                rows.append({"label": data.text(item.label), "lines": lines})
        elif isinstance(item.source, str):
            question = QUESTIONS[item.source]
            if not question.applies(data.answers):
                continue
            lines = display_value(
                question, data.answers.get(item.source), data.lang, data.zone, names
            )
            lines = _national_numbers(data, item.source, lines)
            label = item.label or question.label
            rows.append({"label": data.text(label), "lines": lines or [data.text(NOT_PROVIDED)]})
        elif item.source is not None:
            assert item.label is not None
            lines = item.source(data)
            if lines:
                rows.append({"label": data.text(item.label), "lines": lines})
        elif item.label is not None:
            rows.append({"label": data.text(item.label), "lines": [], "heading": True})
    # A heading with no field under it (none of its questions applies) is left out.
    return [
        row
        for i, row in enumerate(rows)
        if not row.get("heading") or (i + 1 < len(rows) and not rows[i + 1].get("heading"))
    ]


# --- which structure, for which authority ----------------------------------------------

AP_KEY = "nl_ap"


def structure(parts: Sequence[ControllerPart]) -> tuple[tuple[Section, ...], Authority | None]:
    """The form a report follows and the authority it is for: the AP's form when every
    controller it covers has the AP as its lead authority; otherwise the EDPB's common
    structure, for the one lead they share (None: several, or none known)."""
    leads = [p.lead for p in parts]
    if all(lead is not None and lead.key == AP_KEY for lead in leads):
        return AP_FORM, authorities.by_key(AP_KEY)
    keys = {lead.key if lead is not None else None for lead in leads}
    if len(keys) == 1 and leads[0] is not None:
        return EDPB_FORM, leads[0]
    return EDPB_FORM, None


REPORT_HEADING = Text("Personal data breach report", "Melding datalek")
RECORD_HEADING = Text(
    "Record of a personal data breach (Art. 33(5) GDPR)",
    "Registratie van een datalek (art. 33 lid 5 AVG)",
)
FOR_AUTHORITY = Text("For the {authority}", "Voor de {authority}")
FOR_AUTHORITIES = Text(
    "For the supervisory authorities concerned", "Voor de betrokken toezichthouders"
)
RECORD_HEADER = Text("Record under Art. 33(5) GDPR", "Registratie onder art. 33 lid 5 AVG")
DESCRIPTION = Text(
    "Notification of a personal data breach to the supervisory authority (Art. 33 GDPR)",
    "Melding van een inbreuk in verband met persoonsgegevens aan de toezichthouder (art. 33 AVG)",
)
NOTIFICATION_FOR_AP = Text(
    "Notification of a personal data breach (Art. 33 GDPR)",
    "Melding van een inbreuk in verband met persoonsgegevens (art. 33 AVG)",
)
NOTIFICATION_FOR = Text(
    "Notification of a personal data breach for the {authority}",
    "Melding van een inbreuk in verband met persoonsgegevens voor de {authority}",
)
NOTIFICATION_FOR_ALL = Text(
    "Notification of a personal data breach for the supervisory authorities concerned",
    "Melding van een inbreuk in verband met persoonsgegevens voor de betrokken toezichthouders",
)
RECORD_OF = Text(
    "Record of a personal data breach (Art. 33(5) GDPR): the facts, the effects, the measures "
    "taken and the reasoning of the controller's decision",
    "Registratie van een datalek (art. 33 lid 5 AVG): de feiten, de gevolgen, de genomen "
    "maatregelen en de redenen van het besluit van de verwerkingsverantwoordelijke",
)
LIKE_AP = Text(
    "structured like the notification form of the Dutch Data Protection Authority "
    "(Autoriteit Persoonsgegevens)",
    "opgebouwd zoals het meldformulier van de Autoriteit Persoonsgegevens",
)
LIKE_EDPB = Text(
    "structured after the EDPB's common template for breach notifications",
    "opgebouwd volgens het gemeenschappelijke model van de EDPB voor meldingen van datalekken",
)
DECIDED_NOT = {
    "not_notified": Text(
        "{controller} decided not to notify the supervisory authority. Its reasons: {reason}",
        "{controller} besloot het datalek niet te melden bij de toezichthouder. De redenen: "
        "{reason}",
    ),
    "not_breach": Text(
        "{controller} decided that this is not a personal data breach. Its reasons: {reason}",
        "{controller} besloot dat dit geen inbreuk in verband met persoonsgegevens is. De "
        "redenen: {reason}",
    ),
}
AUTHORITY_LINKS = Text(
    "{authority}: {website} · notification of a data breach: {page}",
    "{authority}: {website} · melden van een datalek: {page}",
)
TIMES_IN = Text("Times are in {zone} time.", "Tijden zijn in {zone}-tijd.")
CONTROLLERS_HEADING = Text("{n}. The controllers", "{n}. De verwerkingsverantwoordelijken")


def _named(data: ReportData, authority: Authority) -> str:
    """The authority's name in the report's language, with its abbreviation: "Information
    Commissioner's Office (ICO)"."""
    return f"{authority.name(data.lang)} ({authority.short})"


def _for_css(text: str) -> str:
    """A text that goes into the page frame's CSS (the header): the apostrophe as a
    typographic one, which HTML escaping leaves as it is."""
    return text.replace("'", "\u2019")


def headings(data: ReportData) -> dict[str, Any]:
    """The words that say what the document is and for whom: its title, its heading, the
    page header, its description and the introduction's paragraphs."""
    form = data.form or AP_FORM
    authority = data.authority
    record = data.record
    reference = data.incident.reference or ""
    heading = data.text(RECORD_HEADING if record else REPORT_HEADING)
    if record:
        header = data.text(RECORD_HEADER)
        what = data.text(RECORD_OF)
        description = data.text(
            RECORD_NOT_BREACH if record == "not_breach" else RECORD_NOT_NOTIFIED
        )
    else:
        header = (
            data.text(FOR_AUTHORITY).format(authority=authority.name(data.lang))
            if authority is not None
            else data.text(FOR_AUTHORITIES)
        )
        if form is AP_FORM:
            what = data.text(NOTIFICATION_FOR_AP)
        elif authority is not None:
            what = data.text(NOTIFICATION_FOR).format(authority=_named(data, authority))
        else:
            what = data.text(NOTIFICATION_FOR_ALL)
        description = data.text(DESCRIPTION)
    like = data.text(LIKE_AP if form is AP_FORM else LIKE_EDPB)
    intro = [f"{what}, {like}. {data.text(TIMES_IN).format(zone=data.zone)}"]
    if record:
        part = data.parts[0]
        reason = (part.notice.decision or {}).get("authority_reason") or data.text(
            Text("no reason recorded", "geen reden vastgelegd")
        )
        intro.append(data.text(DECIDED_NOT[record]).format(controller=part.org.name, reason=reason))
    links = (
        data.text(AUTHORITY_LINKS).format(
            authority=_named(data, authority),
            website=authority.website,
            page=authority.notification_page,
        )
        if authority is not None
        else None
    )
    return {
        "title": f"{heading} {reference}".strip(),
        "heading": heading,
        "header_right": _for_css(header),
        "description": description,
        "intro": intro,
        "links": links,
        "record": record,
    }


# --- the table of controllers (a report covering many) ----------------------------------


def _cell_sent(data: ReportData, part: ControllerPart) -> str:
    return data.when(part.sends[0].sent_at) if part.sends else data.text(NOT_YET)


def _cell_persons(data: ReportData, part: ControllerPart) -> str:
    answers = scope.applied(data.answers, part.notice.scope)
    low, high = answers.get("affected_min"), answers.get("affected_max")
    if low is None and high is None:
        return data.text(NOT_PROVIDED)
    if high is None or low is None or high == low:
        return format_number(next(v for v in (low, high) if v is not None), data.lang)
    return f"{format_number(low, data.lang)}–{format_number(high, data.lang)}"


def _cell_contact(data: ReportData, part: ControllerPart) -> str:
    emails = ", ".join(part.org.notification_emails)
    return f"{part.org.country} · {emails}" if emails else part.org.country


SUMMARY_COLUMNS: tuple[tuple[Text, Callable[[ReportData, ControllerPart], str]], ...] = (
    (Text("Controller", "Verwerkingsverantwoordelijke"), lambda d, p: p.org.name),
    (Text("Persons concerned", "Betrokkenen"), _cell_persons),
    (Text("Informed by the processor", "Geïnformeerd door de verwerker"), _cell_sent),
    (Text("Notice received", "Melding ontvangen"), lambda d, p: _aware(d, p)[0]),
    (
        Text("Decision: notify the authority", "Besluit: melden"),
        lambda d, p: _decision_notify(d, p)[0],
    ),
    (
        Text("Decision: inform the persons", "Besluit: betrokkenen informeren"),
        lambda d, p: _decision_inform(d, p)[0],
    ),
    (
        Text("Notified to the authority", "Gemeld bij de toezichthouder"),
        lambda d, p: " · ".join(_authority_notified(d, p)),
    ),
    (Text("Country and e-mail", "Land en e-mail"), _cell_contact),
)


def controller_table(data: ReportData) -> dict[str, Any] | None:
    """One row per controller with its own figures and where it stands, for a report that
    covers more than SUMMARY_FROM controllers (None otherwise)."""
    if len(data.parts) <= SUMMARY_FROM:
        return None
    return {
        "headers": [data.text(label) for label, _cell in SUMMARY_COLUMNS],
        "rows": [[cell(data, part) for _label, cell in SUMMARY_COLUMNS] for part in data.parts],
    }


# --- gathering the facts ----------------------------------------------------------------


def _parts(
    session: Session, user: CurrentUser, incident: Incident, slug: str | None
) -> list[ControllerPart]:
    pairs = [
        (n, o) for n, o in service.notices_of(session, user, incident.id) if n.removed_at is None
    ]
    if slug is not None:
        pairs = [(n, o) for n, o in pairs if o.slug == slug]
    ids = [n.id for n, _ in pairs]
    records = service.records_of(session, ids)
    sends = notices.sends_by_notice(session, ids)
    obligations: dict[str, list[Obligation]] = {o.slug: [] for _, o in pairs}
    for obligation in service.obligations_of(
        session, user, incident, notices=pairs, records=records
    ):
        if obligation.controller in obligations:
            obligations[obligation.controller].append(obligation)
    return [
        ControllerPart(
            org=org,
            notice=notice,
            sends=sends[notice.id],
            records={r.key: r for r in records[notice.id]},
            obligations=obligations[org.slug],
        )
        for notice, org in pairs
    ]


def report_data(
    session: Session,
    user: CurrentUser,
    incident: Incident,
    *,
    lang: str,
    zone: ZoneInfo,
    controller: str | None = None,
) -> ReportData:
    """The facts of one incident's report as this user may see them: an officer's report
    covers only their own controller; staff choose one controller or get them all."""
    parts = _parts(session, user, incident, controller)
    answers = service.answers_for(user, incident.answers)
    assessment = assessment_of(incident)
    if len(parts) == 1:
        zone = documents.zone_of(parts[0].org)
        if parts[0].notice.scope:  # one controller's report: its own figures
            answers = scope.applied(answers, parts[0].notice.scope)
            assessment = assess(answers)
    form, authority = structure(parts)
    return ReportData(
        incident=incident,
        answers=answers,
        processor=documents.processor(session),
        parts=parts,
        assessment=assessment,
        versions=service.versions_of(session, incident.id),
        zone=zone,
        lang=lang,
        form=form,
        authority=authority,
        evidence=evidence.visible(session, user, incident),
    )


def _document(template: str, context: dict[str, Any], lang: str, zone: ZoneInfo) -> str:
    env = documents.environment(str(zone))
    with documents.language(lang):
        return env.get_template(template).render({**context, "lang": lang})


def regulator_html(data: ReportData) -> str:
    table = controller_table(data)
    form = data.form or AP_FORM
    sections = [
        {
            "section": s,
            "title": data.text(s.title),
            "rows": section_rows(s, data, table is not None),
        }
        for s in form
    ]
    overrides = [
        (p.org.name if len(data.parts) > 1 else None, p.notice.assessment_override)
        for p in data.parts
        if p.notice.assessment_override
    ]
    return _document(
        "reports/regulator.html",
        {
            "data": data,
            "incident": data.incident,
            "document": headings(data),
            "sections": sections,
            "assessment": assessment_for(data),
            "overrides": overrides,
            "controllers": _controllers_count(data, len(data.parts))
            if table
            else ", ".join(p.org.name for p in data.parts),
            "table": table,
            "table_heading": data.text(CONTROLLERS_HEADING).format(n=len(form) + 1),
        },
        data.lang,
        data.zone,
    )


def regulator_pdf(data: ReportData, incident_json: bytes) -> bytes:
    """The report as PDF/A-3u with the incident's JSON attached. Blocking: call it from a
    worker thread."""
    reference = data.incident.reference or str(data.incident.id)
    return pdf.render(
        regulator_html(data),
        attachments=[
            pdf.FileAttachment(
                name=f"{reference}.json",
                data=incident_json,
                relationship="Source",
                description="The incident as JSON (Breachdesk API)",
            )
        ],
        pdf_variant="pdf/a-3u",
    )


# --- the register for a period (Art. 33(5)) -------------------------------------------


@dataclass
class RegisterEntry:
    data: ReportData
    rows: list[dict[str, Any]]


REGISTER_FIELDS: tuple[Field, ...] = (
    _q("discovered_at", Text("Discovered by the processor", "Ontdekt door de verwerker")),
    Field(
        Text("Controllers", "Verwerkingsverantwoordelijken"),
        per_controller=lambda d, p: [p.org.name],
    ),
    _q("summary"),
    _q("cause"),
    _q("cause_other"),
    _q("nature"),
    _q("data_types"),
    _q("special_categories"),
    _q("affected_min"),
    _q("affected_max"),
    _q("affected_group"),
    _q("consequences"),
    _q("consequences_other"),
    _q("measures"),
    Field(
        Text(
            "Notice received by the controller",
            "Melding ontvangen door de verwerkingsverantwoordelijke",
        ),
        per_controller=_aware,
    ),
    DECISION_NOTIFY,
    DECISION_INFORM,
    AUTHORITY_NOTIFIED,
    DELAY_REASONS,
)
REGISTER_SECTION = Section("register", Text("Register entry", "Registerregel"), REGISTER_FIELDS)


def register_entries(
    session: Session, user: CurrentUser, incidents: Sequence[Incident], *, lang: str, zone: ZoneInfo
) -> list[RegisterEntry]:
    entries = []
    for incident in incidents:
        if incident.status == IncidentStatus.draft:
            continue
        data = report_data(session, user, incident, lang=lang, zone=zone)
        data.zone = zone  # one zone for the whole register
        entries.append(RegisterEntry(data, section_rows(REGISTER_SECTION, data)))
    return entries


def register_html(
    entries: list[RegisterEntry], *, lang: str, zone: ZoneInfo, period: str, organisation: str
) -> str:
    return _document(
        "reports/register.html",
        {
            "entries": entries,
            "period": period,
            "organisation": organisation,
            "generated": format_datetime(utcnow(), zone, lang),
            "zone_name": str(zone),
        },
        lang,
        zone,
    )


def register_pdf(html: str) -> bytes:
    return pdf.render(html, pdf_variant="pdf/a-3u")
