"""Notices: what the processor sends to a controller and what the controller's privacy
officer does with it. One function per act (send, acknowledge, ask or answer, decide,
give an own estimate, record an act, save the letter) and per page (the inbox, the notice,
the decision form, a sent notice, the letter), called alike by the pages and the API.

Each finds the notice through the one visibility rule (``notices.notice_for``: NotFound
for what the principal may not see), lets only the controller's own officer act on it
(NotAllowed), validates the plain input (:class:`InvalidFields`, or ``Invalid`` with the
form's field name) and owns its transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from forms.decision import (
    ACT_FIELDS,
    LABELS,
    validate_act,
    validate_decision,
    validate_override,
)
from forms.reading import read_integer
from forms.values import LETTER_MAX, FieldError, clean_text, whole_number
from incidents import audit, batches, documents, notices, scope, service
from incidents.db import session_scope
from incidents.errors import Invalid, NotFound, Problem, read_fields
from incidents.i18n import current_language
from incidents.i18n import gettext as _
from incidents.models import Incident, Notice, NoticeSend, Organisation, User, utcnow
from incidents.principal import CurrentUser
from incidents.settings import Settings
from incidents.usecases.incidents import for_staff
from notify.assessment import LEVELS, assess, assessment_of
from notify.obligations import own_authority_act

LETTER_FORMATS = ("pdf", "txt")
Id = uuid.UUID


class InvalidFields(Invalid):
    """Invalid input with the validator's own problems (``errors``), so that each door can
    show them in its way: the page at its fields, the API as its JSON list. The problems'
    messages are in the language of the request."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = list(errors)
        language = current_language.get()
        super().__init__(Problem(e.field, e.message(language)) for e in self.errors)


@dataclass(frozen=True)
class Found:
    """A notice, its incident and its controller."""

    incident: Incident
    notice: Notice
    org: Organisation


@dataclass(frozen=True)
class Acknowledged(Found):
    first: bool  # False: acknowledged before (the first acknowledgement counts)


@dataclass(frozen=True)
class DecisionForm(Found):
    late: bool  # the 72 hours have passed with no reason for the delay on record


@dataclass(frozen=True)
class Letter(Found):
    text: str  # as last saved, or a fresh draft


def _find(session: Session, user: CurrentUser, incident_id: uuid.UUID, slug: str) -> Found:
    return Found(*notices.notice_for(session, user, incident_id, slug))


def _officers(session: Session, user: CurrentUser, incident_id: uuid.UUID, slug: str) -> Found:
    """The notice, if it is this officer's controller's (NotFound / NotAllowed otherwise)."""
    found = _find(session, user, incident_id, slug)
    notices.require_officer_of(user, found.org)
    return found


def _late(session: Session, user: CurrentUser, found: Found) -> bool:
    return notices.delay_unexplained(
        session, user, found.incident, found.notice, found.org, utcnow()
    )


# --- reading ------------------------------------------------------------------------------


def inbox(engine: Engine, user: CurrentUser) -> list[tuple[Notice, Incident, Organisation]]:
    """The notices this user may see, the ones to act on first (notices.inbox)."""
    with session_scope(engine) as session:
        return notices.inbox(session, user)


def notice(engine: Engine, user: CurrentUser, incident_id: uuid.UUID, slug: str) -> Found:
    """A notice this user may see."""
    with session_scope(engine) as session:
        return _find(session, user, incident_id, slug)


def officer_notice(engine: Engine, user: CurrentUser, incident_id: uuid.UUID, slug: str) -> Found:
    """A notice of this officer's own controller."""
    with session_scope(engine) as session:
        return _officers(session, user, incident_id, slug)


def act_keys(obligations: list[Any]) -> list[tuple[str, Any]]:
    """The acts that meet the controller's duties that apply (or may apply), each with its
    duty: (act key, obligation); a DORA entity's classification as major first of its
    reports (it starts them; no duty of its own: None)."""
    found: dict[str, Any] = {}
    for o in obligations:
        act = o.regime.met_by
        if act not in ACT_FIELDS or o.status == "not_applicable" or act in found:
            continue
        if act == "dora_initial":
            found["dora_classified"] = None
        found[act] = o
    return list(found.items())


def notice_page(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID, slug: str, *, viewed: bool = True
) -> dict[str, Any]:
    """Everything the notice page shows. An officer's look at it is audited (``viewed``;
    not when the page is shown again with a form's problems)."""
    with session_scope(engine, write=not user.is_staff) as session:
        found = _find(session, user, incident_id, slug)
        if not user.is_staff and viewed:
            audit.on_incident(session, user, "notice.viewed", found.incident.id, found.org.id)
        return _page(session, user, found)


def _page(session: Session, user: CurrentUser, found: Found) -> dict[str, Any]:
    incident, notice, org = found.incident, found.notice, found.org
    now = utcnow()
    sends = notices.sends_of(session, notice.id)
    obligations = service.obligations_of(session, user, incident, now, notices=[(notice, org)])
    preview = None
    if user.is_staff and notices.needs_sending(incident, notice):
        # The e-mail's link as a path: this page is on the site it points to.
        preview = notices.compose(session, incident, notice, org, now, base_url="")
    by = session.get(User, notice.acknowledged_by_id) if notice.acknowledged_by_id else None
    return {
        "incident": incident,
        "notice": notice,
        "org": org,
        "sends": sends,
        "latest": sends[-1] if sends else None,
        "preview": preview,
        "processor_name": own.name if (own := documents.processor(session)) else "",
        "recipients": notices.controller_addresses(session, org) if user.is_staff else [],
        "threads": notices.threads_of(session, notice.id),
        "decisions": notices.decisions_of(session, notice.id),
        "obligations": obligations,
        "records": notices.records_by_key(session, notice.id),
        "act_keys": act_keys(obligations),
        "is_owner": (not user.is_staff) and user.organisation_id == org.id,
        "acknowledged_by": by.name if by else None,
        "now": now,
        # The controller's own figures make its own assessment.
        "assessment": assess(scope.applied(incident.answers, notice.scope))
        if notice.scope
        else assessment_of(incident),
    }


def sent(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID, slug: str, number: int
) -> tuple[Found, NoticeSend]:
    """The notice as it was sent the ``number``-th time."""
    with session_scope(engine) as session:
        found = _find(session, user, incident_id, slug)
        return found, notices.send_of(session, found.notice, number)


def sent_pdf(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID, slug: str, number: int
) -> tuple[str, bytes]:
    """The PDF that was attached to that notice's e-mail (stored with it, not re-made):
    its file name and bytes."""
    with session_scope(engine) as session:
        found = _find(session, user, incident_id, slug)
        return notices.send_attachment(session, notices.send_of(session, found.notice, number))


def decision_form(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID, slug: str
) -> DecisionForm:
    """The officer's notice, and whether a decision now must give reasons for a delay."""
    with session_scope(engine) as session:
        found = _officers(session, user, incident_id, slug)
        return DecisionForm(found.incident, found.notice, found.org, _late(session, user, found))


def letter(engine: Engine, user: CurrentUser, incident_id: uuid.UUID, slug: str) -> Letter:
    """The officer's notice and its letter to the persons: as last saved, or a fresh draft."""
    with session_scope(engine) as session:
        found = _officers(session, user, incident_id, slug)
    text = found.notice.letter_text or documents.letter_draft(found.incident, found.org)
    return Letter(found.incident, found.notice, found.org, text)


def letter_file(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID, slug: str, fmt: str
) -> tuple[str, bytes]:
    """The letter as a file to download (``fmt``: pdf or txt): its name and bytes."""
    if fmt not in LETTER_FORMATS:
        raise NotFound()
    found = letter(engine, user, incident_id, slug)
    reference = found.incident.reference or ""
    name = f"{reference}-{slug}-letter.{fmt}"
    if fmt == "txt":
        return name, found.text.encode()
    return name, documents.letter_pdf(found.text, found.org, reference)


# --- the processor's act: sending ---------------------------------------------------------


def send(
    engine: Engine,
    user: CurrentUser,
    incident_id: uuid.UUID,
    slugs: list[str] | None,
    base_url: str,
) -> list[notices.SendResult]:
    """Send the notice (or the follow-up after a correction) to the controllers ``slugs``,
    or to every one that needs it (None). Only staff send (see ``notices.send_notices``).
    A notice that cannot be sent: ``notices.NoticeError``, a Conflict."""
    return notices.send_notices(engine, user, incident_id, slugs, base_url)


def send_all(
    engine: Engine, user: CurrentUser, settings: Settings, incident_id: uuid.UUID, *, inline: bool
) -> batches.Progress:
    """Send to every controller that needs this version, as background work: a batch the
    workers render and deliver (``notices.NoticeError`` when nothing can be sent). With
    ``inline`` (the page) a batch of at most ``batches.INLINE_MAX`` notices is rendered
    within the request; the API always returns at once."""
    batch, held = batches.queue(
        engine,
        user,
        incident_id,
        settings.base_url,
        hold_up_to=batches.INLINE_MAX if inline else 0,
        lease_seconds=settings.outbox_lease_seconds,
    )
    if held is not None:  # claimed for this request: no worker takes one meanwhile
        batches.run_held(engine, settings, batch.id, held)
    return batches.batch_progress(engine, user, incident_id, batch.id)


def withdraw(
    engine: Engine,
    user: CurrentUser,
    incident_id: uuid.UUID,
    slug: str,
    body: Mapping[str, Any],
    base_url: str,
) -> Found:
    """Withdraw a sent notice with ``body``'s ``reason`` (staff; to an officer the act is as
    absent as a missing page). The controller is told by e-mail; its duties lapse."""
    with session_scope(engine, write=True) as session:
        for_staff(session, user, incident_id)
        found = _find(session, user, incident_id, slug)
        reason = read_fields(body, {"reason": ""})["reason"]
        notices.withdraw(session, base_url, found.incident, found.notice, found.org, user, reason)
        return found


# --- the officer's acts ---------------------------------------------------------------------


def acknowledge(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID, slug: str
) -> Acknowledged:
    """The controller's officer confirms receipt; the first time counts."""
    with session_scope(engine, write=True) as session:
        found = _find(session, user, incident_id, slug)
        first = notices.acknowledge(session, found.notice, found.org, user)
    return Acknowledged(found.incident, found.notice, found.org, first)


def message_field(parent: str | None) -> str:
    """The form field of a question (no parent) or of an answer to question ``parent``."""
    return f"answer-{parent}" if parent else "question-body"


def ask(
    engine: Engine,
    user: CurrentUser,
    incident_id: uuid.UUID,
    slug: str,
    body: str,
    parent: str | None,
    *,
    settings: Settings,
) -> int | None:
    """An officer's question to the processor, or (``parent``: the question's id) staff's
    answer to it; mailed to the other side. Returns the id of the question answered."""
    text = clean_text(body)
    problem = None
    if not text:
        problem = _("Write your answer.") if parent else _("Write your question.")
    elif len(text) > notices.MESSAGE_MAX:
        problem = _("Use at most %(max)s characters.") % {"max": notices.MESSAGE_MAX}
    if problem:
        raise Invalid([Problem(message_field(parent), problem)])
    parent_id = whole_number(parent) if parent else None
    if parent and parent_id is None:  # not an id of any message (digits 0-9, nine at most)
        raise NotFound()
    with session_scope(engine, write=True) as session:
        found = _find(session, user, incident_id, slug)
        notices.post_message(
            session, settings, found.incident, found.notice, found.org, user, text, parent_id
        )
    return parent_id


def _officers_act(
    engine: Engine,
    user: CurrentUser,
    incident_id: uuid.UUID,
    slug: str,
    act: Callable[[Session, Found], None],
) -> Found:
    """Do ``act`` on a notice of the officer's own controller, in one write transaction."""
    with session_scope(engine, write=True) as session:
        found = _officers(session, user, incident_id, slug)
        act(session, found)
    return found


def _valid(errors: list[FieldError]) -> None:
    if errors:
        raise InvalidFields(errors)


Raw = Mapping[str, Any]


def decide(
    engine: Engine, user: CurrentUser, incident_id: Id, slug: str, raw: Raw, *, strict: bool = False
) -> Found:
    """The officer's decision (a new version each time). ``strict``: the API's input
    (booleans, no unknown fields); otherwise the form's ("yes"/"no")."""

    def act(session: Session, found: Found) -> None:
        late = _late(session, user, found)
        org = found.org
        hours = notices.authority_hours(org, found.notice.delivered_at or utcnow())
        result = validate_decision(
            raw, nis2=org.nis2, dora=org.dora, late=late, strict=strict, authority_hours=hours
        )
        _valid(result.errors)
        notices.decide(session, found.notice, found.org, user, result.decision, result.late_reason)

    return _officers_act(engine, user, incident_id, slug, act)


def override_assessment(
    engine: Engine, user: CurrentUser, incident_id: Id, slug: str, raw: Raw, *, strict: bool = False
) -> Found:
    """The officer's own estimate of the severity and advice, with the reason; kept beside
    the computed assessment (a new version each time)."""

    def act(session: Session, found: Found) -> None:
        result = validate_override(raw, levels=LEVELS, strict=strict)
        _valid(result.errors)
        notices.override_assessment(
            session, found.incident, found.notice, found.org, user, result.override
        )

    return _officers_act(engine, user, incident_id, slug, act)


OWN_AUTHORITY = "authority"  # record_act's key for the controller's own authority's act


def record_act(
    engine: Engine,
    user: CurrentUser,
    incident_id: Id,
    slug: str,
    key: str,
    raw: Raw,
    *,
    strict: bool = False,
) -> Found:
    """The act that meets duty ``key`` (the authority notified, the persons informed, a
    NIS2 report): when, and its reference or channel. Recording it again corrects it."""
    if key not in ACT_FIELDS and key != OWN_AUTHORITY:
        raise NotFound()
    time_field = ACT_FIELDS[own_authority_act("NL") if key == OWN_AUTHORITY else key][0]

    def act(session: Session, found: Found) -> None:
        nonlocal key
        if key == OWN_AUTHORITY:  # the API's "authority notified": its own authority's act
            key = own_authority_act(found.org.country)
        earliest = found.incident.discovered_at
        result = validate_act(key, raw, now=utcnow(), earliest=earliest, strict=strict)
        _valid(result.errors)
        if result.met_at is None:  # validate_act names the field when it has no instant
            raise InvalidFields(
                [FieldError(time_field, "required_date", {"label": LABELS[time_field]})]
            )
        notices.record_act(
            session,
            found.notice,
            found.org,
            user,
            key,
            met_at=result.met_at,
            text=result.text,
            late_reason=result.late_reason,
        )

    return _officers_act(engine, user, incident_id, slug, act)


def save_letter(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID, slug: str, text: str
) -> None:
    """The officer's letter to the persons, as edited (field ``letter``)."""
    text = clean_text(text)
    with session_scope(engine, write=True) as session:
        found = _officers(session, user, incident_id, slug)
        problem = None
        if not text:
            problem = _("The letter is empty: write it, or reload the page for the draft.")
        elif len(text) > LETTER_MAX:
            problem = _("Use at most %(max)s characters.") % {"max": LETTER_MAX}
        if problem:
            raise Invalid([Problem("letter", problem)])
        notices.save_letter(session, found.notice, found.org, user, text + "\n")


# --- each controller's own figures (issue 15) -------------------------------------------------


def _set_scope(
    session: Session, user: CurrentUser, found: Found, values: Mapping[str, Any], ctx: Any
) -> list[FieldError]:
    """Check and keep one controller's figures (its notice's scope); their problems."""
    own, errors = scope.check(found.incident.answers, values, ctx)
    if errors:
        return errors
    if own != found.notice.scope:
        found.notice.scope = own
        found.notice.scope_version += 1
        session.add(found.notice)
        audit.on_incident(
            session, user, "notice.scope_set", found.incident.id, found.org.id, fields=sorted(own)
        )
    return []


def set_scope(
    engine: Engine,
    user: CurrentUser,
    settings: Settings,
    incident_id: uuid.UUID,
    slug: str,
    values: Mapping[str, Any],
) -> Found:
    """This controller's own figures (staff): the persons affected, the records and the
    kinds of data where they differ from the incident's totals; a key left out or None
    takes the incident's figure. InvalidFields lists every problem; nothing is kept then.
    A change after the notice went out makes a follow-up due."""
    with session_scope(engine, write=True) as session:
        for_staff(session, user, incident_id)
        found = _find(session, user, incident_id, slug)
        errors = _set_scope(
            session, user, found, values, service.validation_context(session, settings)
        )
        if errors:
            raise InvalidFields(errors)
        return found


def import_scopes(
    engine: Engine, user: CurrentUser, settings: Settings, incident_id: uuid.UUID, text: str
) -> int:
    """Figures for many controllers from a CSV (slug, affected_min, affected_max,
    records_approx), all or nothing: Invalid lists every problem by line. The number of
    controllers whose figures were kept."""
    rows, problems = scope.read_csv(text)
    if problems:
        raise Invalid(problems)
    with session_scope(engine, write=True) as session:
        incident = for_staff(session, user, incident_id)
        ctx = service.validation_context(session, settings)
        pairs = {org.slug: (n, org) for n, org in service.notices_of(session, user, incident_id)}
        for slug, row in rows.items():
            line = row.pop("line")
            if slug not in pairs:
                problems.append(
                    Problem(
                        f"line {line}: slug",
                        _("{slug} is not affected by this incident").format(slug=slug),
                    )
                )
                continue
            values = {k: read_integer(v) if isinstance(v, str) else v for k, v in row.items()}
            found = Found(incident, *pairs[slug])
            errors = _set_scope(session, user, found, values, ctx)
            language = current_language.get()
            problems += [Problem(f"line {line}: {e.field}", e.message(language)) for e in errors]
        if problems:
            raise Invalid(problems)  # the transaction is rolled back: nothing is kept
        return len(rows)
