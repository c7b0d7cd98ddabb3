"""The report for the supervisory authority, and the register for a period (Art. 33(5)).

The report follows the Dutch DPA's notification form (``rules.md`` section 5). Which
answer or fact goes in which field of that form is written down once, in :data:`AP_FORM`;
when the EDPB's common EU template is final, the mapping changes here and nowhere else.
Each field is a questionnaire key (its answer in words) or a function of the report's
facts; a field marked per controller is given for each controller the report covers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from forms.decision import ART34_GROUNDS
from forms.display import NOT_PROVIDED, display_value, format_datetime
from forms.questionnaire import QUESTIONS, Text
from forms.words import format_number
from incidents import documents, notices, scope, service
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
from notify.assessment import Assessment, assess, assessment_of
from notify.obligations import Obligation, regime_hours

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

    def when(self, value: datetime | None) -> str:
        return format_datetime(value, self.zone, self.lang) if value else ""

    def text(self, value: Text) -> str:
        return value.get(self.lang)


# --- the fields that are not plain answers --------------------------------------------

YES = Text("Yes", "Ja")
NO = Text("No", "Nee")
NOT_YET = Text("Not yet", "Nog niet")
NOT_DECIDED = Text("Not decided yet", "Nog niet besloten")


def _yes_no(data: ReportData, value: bool | None) -> str:
    return data.text(NOT_DECIDED if value is None else YES if value else NO)


def _kind(data: ReportData, part: ControllerPart) -> list[str]:
    authority = part.record("gdpr_authority")
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


def _aware(data: ReportData, part: ControllerPart) -> list[str]:
    delivered = part.notice.delivered_at
    if delivered is None:
        return [data.text(NOT_YET)]
    hours = regime_hours("gdpr_authority")
    due = delivered + timedelta(hours=hours)
    return [
        data.when(delivered),
        data.text(
            Text(
                "The {hours} hours ended or end {due}", "De {hours} uur eindigden of eindigen {due}"
            )
        ).format(hours=hours, due=data.when(due)),
    ]


def _authority_notified(data: ReportData, part: ControllerPart) -> list[str]:
    record = part.record("gdpr_authority")
    if record is None or record.met_at is None:
        return [data.text(NOT_YET)]
    return [
        data.when(record.met_at),
        data.text(Text("Notification number {n}", "Meldingsnummer {n}")).format(n=record.reference),
    ]


def _delay_reasons(data: ReportData, part: ControllerPart) -> list[str]:
    lines = []
    for key, label in (
        ("processor_notice", Text("The processor's notice", "De melding van de verwerker")),
        (
            "gdpr_authority",
            Text("The notification to the authority", "De melding aan de toezichthouder"),
        ),
    ):
        obligation = part.obligation(key)
        if obligation is None or not obligation.late:
            continue
        reason = obligation.late_reason or data.text(
            Text("no reason recorded", "geen reden vastgelegd")
        )
        lines.append(f"{data.text(label)}: {reason}")
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


def _other_authorities(data: ReportData, part: ControllerPart) -> list[str]:
    lines = []
    for key, label in (
        (
            "nis2_early_warning",
            Text("NIS2 early warning to the CSIRT", "NIS2 vroegtijdige waarschuwing aan het CSIRT"),
        ),
        ("nis2_notification", Text("NIS2 incident notification", "NIS2 incidentmelding")),
        ("nis2_final_report", Text("NIS2 final report", "NIS2 eindverslag")),
    ):
        record = part.record(key)
        if record and record.met_at:
            extra = f" ({record.reference})" if record.reference else ""
            lines.append(f"{data.text(label)}: {data.when(record.met_at)}{extra}")
    return lines or [data.text(Text("None recorded", "Geen vastgelegd"))]


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

AP_FORM: tuple[Section, ...] = (
    Section(
        "about",
        Text("1. About this notification", "1. Over deze melding"),
        (
            Field(Text("Kind of notification", "Soort melding"), per_controller=_kind),
            Field(Text("Our reference", "Ons kenmerk"), _reference),
            Field(Text("This report was made", "Dit rapport is gemaakt"), _generated),
        ),
    ),
    Section(
        "organisation",
        Text("2. Organisation, reporter and contact", "2. Organisatie, melder en contactpersoon"),
        (
            Field(
                Text(
                    "Organisation responsible (controller)",
                    "Verantwoordelijke organisatie (verwerkingsverantwoordelijke)",
                ),
                per_controller=_controller,
            ),
            Field(Text("Processor involved", "Betrokken verwerker"), _processor),
            _q(
                "contact_name",
                Text("Contact person for this breach", "Contactpersoon voor dit datalek"),
            ),
            _q("contact_role"),
            _q("contact_email"),
            _q("contact_phone"),
        ),
    ),
    Section(
        "timeline",
        Text("3. Timeline", "3. Tijdlijn"),
        (
            _q(
                "occurred_kind",
                Text("When did the breach take place?", "Wanneer vond de inbreuk plaats?"),
            ),
            _q("occurred_on"),
            _q("occurred_from"),
            _q("occurred_until"),
            _q("ongoing"),
            _q("discovered_at", Text("Discovered by the processor", "Ontdekt door de verwerker")),
            Field(
                Text(
                    "The processor informed the controller",
                    "De verwerker informeerde de verwerkingsverantwoordelijke",
                ),
                per_controller=_notified_by_processor,
            ),
            Field(
                Text(
                    "The controller became aware (notice received)",
                    "De verwerkingsverantwoordelijke werd op de hoogte (melding ontvangen)",
                ),
                per_controller=_aware,
            ),
            AUTHORITY_NOTIFIED,
            DELAY_REASONS,
        ),
    ),
    Section(
        "breach",
        Text("4. The breach", "4. Het datalek"),
        (
            _q("summary"),
            _q("cause"),
            _q("cause_other"),
            Field(Text("What was breached", "Wat is geschonden"), _cia),
            _q("nature"),
            _q("recipients"),
            _q("malicious"),
            _q("integrity_recoverable"),
            _q("availability_loss"),
        ),
    ),
    Section(
        "data",
        Text("5. Personal data", "5. Persoonsgegevens"),
        (
            _q("data_types"),
            _q("special_categories"),
            _q("data_types_other"),
            _q("records_approx"),
            _q("identifiability"),
            _q("sensitive_context"),
            _q("extensive_volume"),
            _q("public_or_invalid"),
        ),
    ),
    Section(
        "persons",
        Text("6. Persons concerned", "6. Betrokkenen"),
        (
            _q("affected_group"),
            _q("affected_min"),
            _q("affected_max"),
            _q("vulnerable_subjects"),
        ),
    ),
    Section(
        "protection",
        Text("7. Protection", "7. Beveiliging"),
        (
            _q("encrypted"),
            _q("encryption_details"),
            _q("key_compromised"),
        ),
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
            Field(Text("Persons informed", "Betrokkenen geïnformeerd"), per_controller=_informed),
            _q("measures"),
            _q("other_eu_countries"),
            _q("countries"),
            Field(
                Text(
                    "Other authorities notified", "Andere toezichthouders of instanties ingelicht"
                ),
                per_controller=_other_authorities,
            ),
        ),
    ),
    Section(
        "other",
        Text("10. Other", "10. Overig"),
        (
            Field(
                Text(
                    "Information given in phases (Art. 33(4))",
                    "Informatie in fasen verstrekt (art. 33 lid 4)",
                ),
                _phases,
            ),
        ),
    ),
)
MAPPED_KEYS = {f.source for s in AP_FORM for f in s.fields if isinstance(f.source, str)}


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
        found = Counter(" · ".join(item.per_controller(data, p)) for p in data.parts)
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


def section_rows(section: Section, data: ReportData, table: bool = False) -> list[dict[str, Any]]:
    """The section's fields as rows of a label and lines of text, in the report's language
    (``table``: the report ends with the table of controllers)."""
    rows: list[dict[str, Any]] = []
    names = {p.org.slug: p.org.name for p in data.parts}
    for item in section.fields:
        if item.per_controller is not None:
            assert item.label is not None
            lines = _per_controller_lines(data, item, table)
            rows.append({"label": data.text(item.label), "lines": lines})
        elif isinstance(item.source, str):
            question = QUESTIONS[item.source]
            if not question.applies(data.answers):
                continue
            lines = display_value(
                question, data.answers.get(item.source), data.lang, data.zone, names
            )
            label = item.label or question.label
            rows.append({"label": data.text(label), "lines": lines or [data.text(NOT_PROVIDED)]})
        elif item.source is not None:
            assert item.label is not None
            lines = item.source(data)
            if lines:
                rows.append({"label": data.text(item.label), "lines": lines})
    return rows


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
    return ReportData(
        incident=incident,
        answers=answers,
        processor=documents.processor(session),
        parts=parts,
        assessment=assessment,
        versions=service.versions_of(session, incident.id),
        zone=zone,
        lang=lang,
    )


def _document(template: str, context: dict[str, Any], lang: str, zone: ZoneInfo) -> str:
    env = documents.environment(str(zone))
    with documents.language(lang):
        return env.get_template(template).render({**context, "lang": lang})


def regulator_html(data: ReportData) -> str:
    table = controller_table(data)
    sections = [
        {
            "section": s,
            "title": data.text(s.title),
            "rows": section_rows(s, data, table is not None),
        }
        for s in AP_FORM
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
            "sections": sections,
            "assessment": data.assessment,
            "overrides": overrides,
            "controllers": _controllers_count(data, len(data.parts))
            if table
            else ", ".join(p.org.name for p in data.parts),
            "table": table,
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
