"""Documents made from an incident, in the reader's language rather than the viewer's:
the notice to a controller (page fragment, e-mail and PDF) and the letter to the persons.

Rendering happens outside requests too (the worker, the send), so the language is set
for the duration of a render with :func:`language`, and dates use the reader's zone."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from sqlmodel import Session, select

from forms.display import answer_changes, answer_sections, display_value, format_datetime
from forms.questionnaire import QUESTIONS, Text
from incidents import authorities, i18n, scope
from incidents.i18n import gettext as _
from incidents.models import Incident, NoticeSend, Organisation, OrgKind
from incidents.service import eu_persons
from incidents.templating import build_environment
from notify import pdf
from notify.assessment import assess, assessment_of
from notify.obligations import LEGAL_BASIS, Obligation, authority_rows, regime_hours

# The elements Art. 33(3) asks for, first in every notice, each from these answers.
KEY_FACTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("nature", ("summary", "nature", "cause", "cause_other", "ongoing")),
    ("persons", ("affected_min", "affected_max", "affected_group", "vulnerable_subjects")),
    ("records", ("records_approx",)),
    ("data", ("data_types", "special_categories", "data_types_other")),
    ("consequences", ("consequences", "consequences_other")),
    ("measures", ("measures",)),
    ("contact", ("contact_name", "contact_role", "contact_email", "contact_phone")),
    ("countries", ("other_eu_countries", "countries")),
)


@contextmanager
def language(code: str) -> Iterator[None]:
    token = i18n.current_language.set(code if code in i18n.LANGUAGES else "en")
    try:
        yield
    finally:
        i18n.current_language.reset(token)


def email_bodies(
    name: str, lang: str, zone: ZoneInfo, context: Mapping[str, Any]
) -> tuple[str, str]:
    """The plain text and the HTML of the e-mail templates/emails/{name}.txt and .html, for
    a reader of ``lang`` in ``zone`` (called within ``language(lang)``, as its subject is)."""
    env = environment(str(zone))
    full = {**context, "lang": lang}
    return (
        env.get_template(f"emails/{name}.txt").render(full),
        env.get_template(f"emails/{name}.html").render(full),
    )


@cache
def environment(zone_name: str) -> Environment:
    return build_environment(ZoneInfo(zone_name))


def processor(session: Session) -> Organisation | None:
    """The processor's organisation: its name heads the notices and the e-mails."""
    return session.exec(select(Organisation).where(Organisation.kind == OrgKind.processor)).first()


def zone_of(org: Organisation) -> ZoneInfo:
    try:
        return ZoneInfo(org.timezone or "Europe/Amsterdam")
    except (KeyError, ValueError):
        return ZoneInfo("Europe/Amsterdam")


def own_answers(
    answers: Mapping[str, Any], org: Organisation, own: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The answers as this controller may read them: no other controllers named, and its
    own figures (``own``, the notice's scope) in place of the incident's totals."""
    visible = scope.applied(answers, own)
    if "controllers" in visible:
        visible["controllers"] = [s for s in visible["controllers"] if s == org.slug]
    return visible


@dataclass(frozen=True)
class RenderedNotice:
    number: int
    incident_version: int
    language: str
    answers: dict[str, Any]
    subject: str
    body_html: str  # the notice itself (a fragment)
    body_text: str
    email_html: str  # a whole document for mail clients
    scope_version: int = 0  # the controller's own figures it was written with


def _facts(
    answers: Mapping[str, Any], lang: str, zone: ZoneInfo, names: Mapping[str, str]
) -> list[dict[str, Any]]:
    facts = []
    for name, keys in KEY_FACTS:
        rows = []
        for key in keys:
            question = QUESTIONS[key]
            if not question.applies(answers):
                continue
            lines = display_value(question, answers.get(key), lang, zone, names)
            if lines:
                rows.append({"label": question.label.get(lang), "lines": lines})
        facts.append({"name": name, "rows": rows})
    return facts


def notice_context(
    *,
    incident: Incident,
    org: Organisation,
    processor_name: str,
    number: int,
    sent_at: datetime,
    delivered_at: datetime | None,
    previous: NoticeSend | None,
    notes: list[str],
    link: str,
    processor_duty: Obligation | None = None,
    own: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    lang = org.language
    zone = zone_of(org)
    answers = own_answers(incident.answers, org, own)
    names = {org.slug: org.name}
    start = delivered_at or sent_at
    discovered = incident.discovered_at
    with language(lang):
        duties = authority_duties(org, start, answers)
    authority_hours = duties[0]["hours"] if duties else regime_hours("gdpr_authority")
    return {
        "lang": lang,
        "reference": incident.reference or "",
        "number": number,
        "processor_name": processor_name,
        "controller": org,
        "zone_name": str(zone),
        "sent_at": format_datetime(sent_at, zone, lang),
        "discovered_at": format_datetime(discovered, zone, lang) if discovered else "",
        "delivered": delivered_at is not None,
        "start_at": format_datetime(start, zone, lang),
        "authority_hours": authority_hours,
        "authority_duties": [d["sentence"] for d in duties],
        "concerned": _concerned_sentence(org, answers, lang),
        "dora": org.dora,
        "dora_initial_hours": regime_hours("dora_initial"),
        "authority_due": format_datetime(start + timedelta(hours=authority_hours), zone, lang),
        "facts": _facts(answers, lang, zone, names),
        "sections": answer_sections(answers, lang, zone, names),
        "changes": answer_changes(previous.answers, answers, lang, zone, names) if previous else [],
        "previous_number": previous.number if previous else None,
        "previous_sent_at": format_datetime(previous.sent_at, zone, lang) if previous else "",
        "notes": notes,
        "link": link,
        # The first notice after the processor's hours: how late, and the recorded reason.
        "late": processor_duty is not None and processor_duty.status == "overdue",
        "late_by": (sent_at - processor_duty.due_at)
        if processor_duty is not None and processor_duty.due_at
        else None,
        "late_reason": processor_duty.late_reason if processor_duty is not None else None,
        "contract_hours": org.contract_hours,
        "nis2": org.nis2,
        "nis2_warning_hours": regime_hours("nis2_early_warning"),
        "nis2_notification_hours": regime_hours("nis2_notification"),
        # The controller's own figures change the assessment (more than 100 persons, the
        # kinds of data): it is made from the answers as this controller reads them.
        "assessment": assess(answers) if own else assessment_of(incident),
    }


def _authority_names(names: list[authorities.Authority], lang: str) -> str:
    return ", ".join(f"{a.name(lang)} ({a.short})" for a in names)


def authority_duties(
    org: Organisation, aware_at: datetime, answers: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The controller's duties to notify an authority, as in force when it became aware
    (``aware_at``), each with the sentence that tells it (in the current language): whom
    (its lead authority; the ICO; without an EU establishment every authority where the
    persons live), within how many hours, under which law."""
    lang = org.language
    countries = eu_persons(answers)
    lead = authorities.lead_authority(org.country, org.authority)
    found = []
    for row in authority_rows(org.country, org.timezone, aware_at, bool(countries)):
        if row.law == "uk_gdpr" or not authorities.without_eu_establishment(org.country):
            names = [lead] if lead else []
        else:  # the GDPR's duty of a controller with no establishment in the EU/EEA
            names = [a for a in authorities.to_notify(org.country, None, countries)]
        if len(names) == 1:
            whom = _("the %(name)s") % {"name": _authority_names(names, lang)}
        elif names:
            whom = _(
                "the supervisory authority of each EU/EEA state where the persons concerned "
                "live (%(names)s)"
            ) % {"names": _authority_names(names, lang)}
        else:
            whom = _("the supervisory authority of each EU/EEA state where the persons live")
        en, nl = LEGAL_BASIS[row.key]
        values = {"authority": whom, "hours": row.hours, "basis": nl if lang == "nl" else en}
        if row.applies == "if_high_risk_likely":
            sentence = _(
                "If the breach is likely to result in a high risk to the persons, you must "
                "notify %(authority)s without undue delay and where feasible within %(hours)s "
                "hours of becoming aware of it (%(basis)s)."
            )
        else:
            sentence = _(
                "If the breach is likely to result in a risk to the persons, you must notify "
                "%(authority)s without undue delay and where feasible within %(hours)s hours "
                "of becoming aware of it (%(basis)s)."
            )
        found.append({"law": row.law, "hours": row.hours, "sentence": sentence % values})
    return found


def _concerned_sentence(org: Organisation, answers: Mapping[str, Any], lang: str) -> str:
    """Persons in other EU/EEA states: the other authorities concerned (Art. 56)."""
    countries = eu_persons(answers)
    lead = authorities.lead_authority(org.country, org.authority)
    others = authorities.concerned(org.country, lead, countries)
    if not others or authorities.without_eu_establishment(org.country):
        return ""  # none; or each is to be notified (the sentence above names them)
    with language(lang):
        return _(
            "Persons in other EU/EEA states are concerned: tell your lead authority; the "
            "other authorities concerned are %(names)s."
        ) % {"names": _authority_names(others, lang)}


def render_notice(
    context: dict[str, Any], incident_version: int, answers: dict[str, Any]
) -> RenderedNotice:
    env = environment(context["zone_name"])
    with language(context["lang"]):
        body_html = env.get_template("notices/_content.html").render(context)
        body_text = env.get_template("notices/notice.txt").render(context)
        subject = env.get_template("notices/subject.txt").render(context).strip()
        email_html = env.get_template("notices/email.html").render(
            {**context, "subject": subject, "body_html": body_html}
        )
    return RenderedNotice(
        number=context["number"],
        incident_version=incident_version,
        language=context["lang"],
        answers=answers,
        subject=subject,
        body_html=body_html,
        body_text=body_text,
        email_html=email_html,
    )


INVITATION_MARK = "<!--invitation-->"


def with_invitation(
    rendered: RenderedNotice, org: Organisation, link: str, until: datetime
) -> tuple[str, str]:
    """The notice e-mail (text, HTML) for an invited address that has no account yet: it
    opens with the link to choose a password (issue 16), so that the person can log in and
    act on the notice. In the notice's language, the time in the controller's zone."""
    zone = zone_of(org)
    with language(rendered.language):
        text, html = email_bodies(
            "notice_invitation",
            rendered.language,
            zone,
            {"org": org, "link": link, "until": format_datetime(until, zone, rendered.language)},
        )
    return (
        f"{text.strip()}\n\n{rendered.body_text}",
        rendered.email_html.replace(INVITATION_MARK, html.strip(), 1),
    )


def notice_pdf(subject: str, body_html: str, lang: str, reference: str) -> bytes:
    """The PDF of a notice as sent (from the stored fragment)."""
    env = environment("Europe/Amsterdam")
    with language(lang):
        html = env.get_template("notices/pdf.html").render(
            {"subject": subject, "body_html": body_html, "lang": lang, "reference": reference}
        )
    return pdf.render(html)


def letter_draft(incident: Incident, org: Organisation) -> str:
    """A first draft of the letter to the persons (Art. 34(2)): what happened, which data,
    the likely consequences, what was done, what they can do, whom to contact. In clear
    and plain language, in the controller's language."""
    lang = org.language
    zone = zone_of(org)
    answers = incident.answers

    def words(key: str) -> list[str]:
        return display_value(QUESTIONS[key], answers.get(key), lang, zone, {})

    def namely(key: str, other_key: str) -> list[str]:
        """The chosen options, "other" with what it is ("Other data, namely …")."""
        lines = words(key)
        other = answers.get(other_key)
        if not other or "other" not in (answers.get(key) or []):
            return lines
        label = next(o.label.get(lang) for o in QUESTIONS[key].options if o.value == "other")
        said = f"{QUESTIONS[other_key].label.get(lang)} {other}"
        return [said if line == label else line for line in lines]

    context = {
        "controller": org,
        "country": org.country,  # the authority and national help the letter names
        "authority": authorities.lead_authority(org.country, org.authority),
        "lang": lang,
        # In the controller's words, not the processor's first-person summary: what
        # happened to the data, and how.
        "nature": [] if answers.get("nature") == ["unknown"] else words("nature"),
        "cause": [] if answers.get("cause") == "unknown" else namely_cause(answers, lang, zone),
        "discovered": words("discovered_at"),
        "data": [
            _outside_nl(line, org, lang)
            for key, other in (("data_types", "data_types_other"), ("special_categories", ""))
            for line in (namely(key, other) if other else words(key))
        ],
        "consequences": namely("consequences", "consequences_other"),
        "measures": answers.get("measures", ""),
        "encrypted": answers.get("encrypted"),
        "identity": any(t in (answers.get("data_types") or []) for t in ("bsn", "id_copy")),
        "credentials": "credentials" in (answers.get("data_types") or []),
        "financial": "financial" in (answers.get("data_types") or []),
    }
    env = environment(str(zone))
    with language(lang):
        return env.get_template("notices/letter.txt").render(context).strip() + "\n"


def namely_cause(answers: Mapping[str, Any], lang: str, zone: ZoneInfo) -> list[str]:
    """The cause in words; "other" as what it was."""
    if answers.get("cause") == "other" and answers.get("cause_other"):
        return [str(answers["cause_other"])]
    return display_value(QUESTIONS["cause"], answers.get("cause"), lang, zone, {})


# The questionnaire names the Dutch numbers (BSN, sofinummer); a letter to persons of a
# controller elsewhere speaks of national numbers.
_NATIONAL_NUMBERS = Text(
    "National identification or tax numbers", "Nationale identificatie- of belastingnummers"
)


def _outside_nl(line: str, org: Organisation, lang: str) -> str:
    bsn = next(o for o in QUESTIONS["data_types"].options if o.value == "bsn")
    if org.country != "NL" and line == bsn.label.get(lang):
        return _NATIONAL_NUMBERS.get(lang)
    return line


def letter_pdf(text: str, org: Organisation, reference: str) -> bytes:
    env = environment(str(zone_of(org)))
    with language(org.language):
        html = env.get_template("notices/letter_pdf.html").render(
            {
                "paragraphs": [p.strip() for p in text.split("\n\n") if p.strip()],
                "lang": org.language,
                "controller": org,
                "reference": reference,
            }
        )
    return pdf.render(html)
