"""Notices to the controllers and what their privacy officers do with them: send (first
notice and follow-ups), delivery, acknowledgement, questions and answers, the decision,
the acts that meet their duties, the letter to the persons. Every change is audited.

Sending is idempotent: one ``notice_send`` per notice and incident version (a unique key,
inserted with ON CONFLICT DO NOTHING) and one outbox message per send, written in the same
transaction. The commit wakes the worker (incidents/signals.py), which delivers within
seconds; delivery starts the controller's 72 hours."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from forms.decision import ACT_FIELDS
from forms.values import TEXT_MAX, clean_text
from forms.words import format_datetime
from incidents import audit, documents, invitations, service, signals, visibility  # noqa: F401  (signals: wake the worker)
from incidents.db import insert_ignore, session_scope
from incidents.errors import Conflict, Invalid, NotAllowed, NotFound, Problem
from incidents.i18n import gettext as _
from incidents.models import (
    AssessmentOverride,
    DecisionVersion,
    Incident,
    IncidentStatus,
    IncidentVersion,
    Notice,
    NoticeMessage,
    NoticeSend,
    ObligationRecord,
    Organisation,
    OutboxMessage,
    User,
    utcnow,
)
from incidents.principal import CurrentUser
from incidents.settings import Settings
from notify import assessment
from notify.obligations import (
    Obligation,
    authority_rows,
    evaluate,
    own_authority_act,
    own_authority_hours,
)


class NoticeError(Conflict, ValueError):
    """The notice cannot be sent or changed in its current state (a message for people)."""


# --- finding ----------------------------------------------------------------------------


def notice_for(
    session: Session, user: CurrentUser, incident_id: uuid.UUID | str, slug: str
) -> tuple[Incident, Notice, Organisation]:
    """The incident, its notice to controller ``slug`` and that controller, if this user may
    see them; NotFound otherwise (another controller's notice is as absent as a missing one)."""
    incident = service.visible_incident(session, user, incident_id)
    if not visibility.may_see_controller(user, slug):
        raise NotFound()
    row = session.exec(
        select(Notice, Organisation)
        .join(Organisation, col(Organisation.id) == col(Notice.controller_id))
        .where(col(Notice.incident_id) == incident.id, col(Organisation.slug) == slug)
    ).first()
    if row is None:
        raise NotFound()
    notice, org = row
    if not visibility.may_see_notice(user, notice):
        raise NotFound()
    return incident, notice, org


def inbox(session: Session, user: CurrentUser) -> list[tuple[Notice, Incident, Organisation]]:
    """The notices of submitted incidents this user may see (visibility.notice_clause).
    Officers: unacknowledged first; staff: those still to be sent (a first notice, or a
    newer incident version than the one sent) first; then the newest incidents."""
    query = (
        select(Notice, Incident, Organisation)
        .join(Incident, col(Incident.id) == col(Notice.incident_id))
        .join(Organisation, col(Organisation.id) == col(Notice.controller_id))
        .where(
            col(Incident.status) != IncidentStatus.draft,
            col(Notice.removed_at).is_(None),
            visibility.notice_clause(user),
        )
    )
    if user.is_staff:
        first = or_(
            col(Notice.incident_version).is_(None),
            col(Notice.incident_version) != col(Incident.version),
        )
    else:
        first = col(Notice.acknowledged_at).is_(None)
    order = (case((first, 0), else_=1), col(Incident.submitted_at).desc())
    return [(n, i, o) for n, i, o in session.exec(query.order_by(*order).limit(500)).all()]


def send_of(session: Session, notice: Notice, number: int) -> NoticeSend:
    """The notice's send number ``number``; NotFound if there is none."""
    send = session.exec(
        select(NoticeSend).where(
            col(NoticeSend.notice_id) == notice.id, col(NoticeSend.number) == number
        )
    ).first()
    if send is None:
        raise NotFound()
    return send


def send_attachment(session: Session, send: NoticeSend) -> tuple[str, bytes]:
    """The PDF attached to that send's e-mail (its file name and bytes), as stored with it;
    NotFound if there is none."""
    row = session.exec(
        select(col(OutboxMessage.attachment_name), col(OutboxMessage.attachment)).where(
            col(OutboxMessage.notice_send_id) == send.id
        )
    ).first()
    if row is None or row[1] is None:
        raise NotFound()
    return row[0] or "", bytes(row[1])


def sends_of(session: Session, notice_id: uuid.UUID) -> list[NoticeSend]:
    """What was sent to the controller so far: the first notice, then the follow-ups."""
    query = select(NoticeSend).where(col(NoticeSend.notice_id) == notice_id)
    return list(session.exec(query.order_by(col(NoticeSend.number))).all())


def sends_by_notice(
    session: Session, notice_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[NoticeSend]]:
    """``sends_of`` for many notices in one query."""
    found: dict[uuid.UUID, list[NoticeSend]] = {n: [] for n in notice_ids}
    if notice_ids:
        query = select(NoticeSend).where(col(NoticeSend.notice_id).in_(list(notice_ids)))
        for send in session.exec(query.order_by(col(NoticeSend.number))):
            found[send.notice_id].append(send)
    return found


def controller_addresses(session: Session, org: Organisation) -> list[str]:
    """Where a controller's mail goes: its notification addresses and its active officers."""
    officers = session.exec(
        select(col(User.email)).where(col(User.organisation_id) == org.id, col(User.is_active))
    ).all()
    return sorted(set(org.notification_emails) | set(officers))


def processor_addresses(session: Session, incident: Incident) -> list[str]:
    """The incident's contact person and the processor's notification addresses."""
    own = documents.processor(session)
    addresses = set(own.notification_emails if own else [])
    if incident.answers.get("contact_email"):
        addresses.add(incident.answers["contact_email"])
    return sorted(addresses)


def needs_sending(incident: Incident, notice: Notice) -> bool:
    """A first notice or a follow-up is due: the incident has a version this controller
    has not been sent, or the controller's own figures changed since."""
    return (
        incident.status == IncidentStatus.submitted
        and notice.removed_at is None
        and notice.withdrawn_at is None
        and (
            notice.incident_version != incident.version
            # its own figures changed since the last notice went out
            or (
                notice.incident_version is not None
                and notice.scope_version != notice.sent_scope_version
            )
        )
    )


# --- composing and sending ----------------------------------------------------------------


def notice_url(base_url: str, incident_id: uuid.UUID, slug: str) -> str:
    """The address of a controller's notice page, for e-mails."""
    return f"{base_url}/incidents/{incident_id}/notices/{slug}"


def compose(
    session: Session,
    incident: Incident,
    notice: Notice,
    org: Organisation,
    now: datetime,
    base_url: str,
) -> documents.RenderedNotice:
    """The next notice to this controller, as it would be sent now (its e-mail links to
    the notice's page under ``base_url``)."""
    sends = sends_of(session, notice.id)
    previous = sends[-1] if sends else None
    notes = [
        v.note
        for v in session.exec(
            select(IncidentVersion).where(
                IncidentVersion.incident_id == incident.id,
                IncidentVersion.version > (previous.incident_version if previous else 0),
                IncidentVersion.note != "",
            )
        ).all()
    ]
    own = documents.processor(session)
    context = documents.notice_context(
        incident=incident,
        org=org,
        processor_name=own.name if own else "",
        number=len(sends) + 1,
        sent_at=now,
        delivered_at=notice.delivered_at,
        previous=previous,
        notes=notes,
        link=notice_url(base_url, incident.id, org.slug),
        processor_duty=None if sends else _processor_duty(session, incident, notice, org, now),
        own=notice.scope,
    )
    rendered = documents.render_notice(
        context, incident.version, documents.own_answers(incident.answers, org, notice.scope)
    )
    return replace(rendered, scope_version=notice.scope_version)


def _processor_duty(
    session: Session, incident: Incident, notice: Notice, org: Organisation, now: datetime
) -> Obligation:
    """The processor's duty to this controller as it stands when the first notice goes out
    (late or not, with the recorded reason), from the obligations engine."""
    records = service.records_of(session, [notice.id])[notice.id]
    facts = service.incident_facts(incident, [(notice, org, records)])
    return next(o for o in evaluate(facts, now) if o.key == "processor_notice")


@dataclass(frozen=True)
class SendResult:
    controller: str  # the slug
    name: str  # the organisation's name, for messages
    sent: bool  # False: this version had been sent already (a double click, a retry)
    number: int


def _attachment_name(reference: str, number: int, slug: str) -> str:
    return f"{reference}-{slug}-notice-{number}.pdf"


def send_notices(
    engine: Engine,
    user: CurrentUser,
    incident_id: uuid.UUID,
    slugs: Sequence[str] | None,
    base_url: str,
) -> list[SendResult]:
    """Send the notice (or follow-up) to the given controllers, or to every one that needs
    one. The PDFs are rendered before the write transaction; the send rows, the notices and
    the outbox messages are written in one. Raises :class:`NoticeError` when nothing can
    be sent (nothing is written then). Only staff send: to an officer the act is as absent
    as a missing page (NotFound), another principal is told NotAllowed."""
    now = utcnow()
    with session_scope(engine) as session:
        incident = service.visible_incident(session, user, incident_id)
        if not user.is_staff:
            raise NotFound() if user.is_officer else NotAllowed()
        if incident.status != IncidentStatus.submitted:
            raise NoticeError(_("Only a submitted incident is sent to the controllers."))
        pairs = service.notices_of(session, user, incident.id, slugs)
        if slugs is not None:
            known = {org.slug for _, org in pairs}
            if any(slug not in known for slug in slugs):
                raise NotFound()
            pairs = [(n, o) for n, o in pairs if o.slug in slugs]
        pending = []
        for notice, org in pairs:
            if notice.removed_at is not None:
                continue
            if not needs_sending(incident, notice):
                continue
            recipients = controller_addresses(session, org)
            if not recipients:
                raise NoticeError(
                    _("%(name)s has no e-mail address: add one (administration) before sending.")
                    % {"name": org.name}
                )
            rendered = compose(session, incident, notice, org, now, base_url)
            pending.append(
                Pending(
                    notice.id,
                    org,
                    recipients,
                    rendered,
                    _invited_copies(session, org, recipients, rendered, base_url, now),
                )
            )
        names = {org.slug: org.name for _, org in pairs}
        version = incident.version
        reference = incident.reference or ""
    if not pending and slugs:
        # Every asked-for controller has this version already: a repeat, not an error.
        return [SendResult(slug, names[slug], False, 0) for slug in slugs]
    documents_pdf = {
        p.notice_id: documents.notice_pdf(
            p.rendered.subject, p.rendered.body_html, p.rendered.language, reference
        )
        for p in pending
    }
    results = []
    with session_scope(engine, write=True) as session:
        # The incident first (FOR SHARE on PostgreSQL: a correction waits, and the version
        # checked stays true until this commits), then its notices in the order of their
        # ids, as every change of the incident takes them (service.visible_incident).
        locked = session.get(Incident, incident_id, with_for_update={"read": True})
        if locked is None or locked.version != version:
            raise NoticeError(
                _("The incident changed while the notice was prepared: review it and send again.")
            )
        # The invitations whose links these e-mails carry, in the order of their ids, as
        # every send takes them: two sends of incidents sharing controllers never wait
        # for each other in a circle.
        invitations.lock(session, [c.link.invitation_id for p in pending for c in p.invited])
        for item in sorted(pending, key=lambda p: p.notice_id):
            results.append(
                _write_send(session, locked, item, documents_pdf[item.notice_id], user, now)
            )
    return results


@dataclass(frozen=True)
class InvitedCopy:
    """The notice e-mail for one invited address without an account: it carries a new
    link to the invitation (issue 16)."""

    link: invitations.NoticeLink
    body_text: str
    body_html: str


@dataclass(frozen=True)
class Pending:
    """A notice rendered before the write transaction, with its recipients."""

    notice_id: uuid.UUID
    org: Organisation
    recipients: list[str]
    rendered: documents.RenderedNotice
    invited: list[InvitedCopy]


def _invited_copies(
    session: Session,
    org: Organisation,
    recipients: list[str],
    rendered: documents.RenderedNotice,
    base_url: str,
    now: datetime,
) -> list[InvitedCopy]:
    copies = []
    for invitation in invitations.awaiting(session, org, recipients):
        link = invitations.prepare_link(base_url, invitation, now)
        text, html = documents.with_invitation(rendered, org, link.link, link.until)
        copies.append(InvitedCopy(link, text, html))
    return copies


# What a send keeps of the rendered notice, as it was sent.
SEND_KEPT = (
    "number",
    "incident_version",
    "language",
    "answers",
    "subject",
    "body_html",
    "body_text",
)


def _write_send(
    session: Session,
    incident: Incident,
    item: Pending,
    document: bytes,
    user: CurrentUser,
    now: datetime,
) -> SendResult:
    rendered, org, notice_id = item.rendered, item.org, item.notice_id
    kept = {name: getattr(rendered, name) for name in SEND_KEPT}
    send_id = insert_ignore(
        session,
        NoticeSend,
        ["notice_id", "incident_version", "scope_version"],
        notice_id=notice_id,
        scope_version=rendered.scope_version,
        sent_by_id=user.id,
        sent_at=now,
        **kept,
    )
    if send_id is None:
        return SendResult(org.slug, org.name, False, rendered.number)
    notice = session.get(Notice, notice_id)
    assert notice is not None
    notice.version = rendered.number
    notice.incident_version = rendered.incident_version
    notice.sent_scope_version = rendered.scope_version
    notice.sent_at = notice.sent_at or now
    session.add(notice)
    key = f"notice:{notice_id}:{rendered.incident_version}" + (
        f":{rendered.scope_version}" if rendered.scope_version else ""
    )

    def message(kind: str, dedupe_key: str, to: list[str], text: str, html: str) -> None:
        session.add(
            OutboxMessage(
                dedupe_key=dedupe_key,
                kind=kind,
                recipients=to,
                subject=rendered.subject,
                body_text=text,
                body_html=html,
                reply_to=str(incident.answers.get("contact_email") or ""),
                incident_id=incident.id,
                notice_send_id=send_id,
                attachment_name=_attachment_name(
                    incident.reference or "", rendered.number, org.slug
                ),
                attachment=document,
                created_at=now,
                next_attempt_at=now,
            )
        )

    # An invited address without an account gets its own e-mail with a new link to its
    # invitation; unless the invitation ended meanwhile, then it gets the common one.
    common = list(item.recipients)
    for copy in item.invited:
        if invitations.add_link(session, copy.link, notice_id, user.id, now):
            invitation = copy.link.invitation_id
            to = [copy.link.email]
            message("notice_invitation", f"{key}:i{invitation}", to, copy.body_text, copy.body_html)
            common.remove(copy.link.email)
    if common:
        message("notice", key, common, rendered.body_text, rendered.email_html)
    _audit(
        session,
        "notice.sent",
        user,
        notice,
        number=rendered.number,
        version=rendered.incident_version,
    )
    return SendResult(org.slug, org.name, True, rendered.number)


def mark_delivered(session: Session, send_id: int, at: datetime) -> None:
    """The notice's e-mail was accepted for delivery at ``at``: the controller is aware from
    the first delivery on (its 72 hours start then, and the reminder worker looks at the
    notice again from that instant). Never moved once recorded: neither a send's delivery
    (a second copy of the same e-mail) nor the notice's (a later follow-up, or an officer
    who acknowledged or decided first)."""
    send = session.get(NoticeSend, send_id)
    if send is None or send.delivered_at is not None:
        return
    send.delivered_at = at
    session.add(send)
    first = session.execute(
        update(Notice)
        .where(col(Notice.id) == send.notice_id, col(Notice.delivered_at).is_(None))
        .values(delivered_at=at, next_reminder_at=at)
    )
    notice = session.get(Notice, send.notice_id)
    if int(getattr(first, "rowcount", 0) or 0) and notice is not None:
        audit.record(
            session,
            "notice.delivered",
            actor_id=None,
            incident_id=notice.incident_id,
            organisation_id=notice.controller_id,
            number=send.number,
        )


# --- the officer's acts ---------------------------------------------------------------------


def _audit(
    session: Session, action: str, user: CurrentUser, notice: Notice, **details: Any
) -> None:
    """An act on a notice, in the audit log (with its incident and its controller)."""
    audit.on_incident(session, user, action, notice.incident_id, notice.controller_id, **details)


def require_officer_of(user: CurrentUser, org: Organisation) -> None:
    """Only the controller's own privacy officer acts on its notice (staff: NotAllowed)."""
    if user.is_staff or user.organisation_id != org.id:
        raise NotAllowed(_("Only the controller's privacy officer can do this."))


def acknowledge(session: Session, notice: Notice, org: Organisation, user: CurrentUser) -> bool:
    """Confirm receipt; the first acknowledgement counts. If no e-mail delivery has been
    recorded yet, the officer has now read it in the app: the notice counts as delivered."""
    require_officer_of(user, org)
    if notice.acknowledged_at is not None:
        return False
    now = utcnow()
    notice.acknowledged_at = now
    notice.acknowledged_by_id = user.id
    notice.delivered_at = notice.delivered_at or now
    session.add(notice)
    _audit(session, "notice.acknowledged", user, notice)
    return True


def decide(
    session: Session,
    notice: Notice,
    org: Organisation,
    user: CurrentUser,
    decision: dict,
    late_reason: str,
) -> DecisionVersion:
    """Record a decision (a new version each time); the notice carries the latest. A reason
    for delay goes to the authority duty's record, where the timeline and documents read it."""
    require_officer_of(user, org)
    now = utcnow()
    number = len(decisions_of(session, notice.id)) + 1
    stored = {**decision, "version": number, "decided_at": now.isoformat(), "decided_by": user.name}
    version = DecisionVersion(
        notice_id=notice.id, version=number, decision=stored, decided_by_id=user.id, decided_at=now
    )
    session.add(version)
    notice.decision = stored
    notice.delivered_at = notice.delivered_at or now  # deciding on it means it was received
    session.add(notice)
    if late_reason:
        act = own_authority_act(org.country)
        service.record_late_reason(session, notice, act, late_reason, user)
    _audit(
        session,
        "notice.decided",
        user,
        notice,
        version=number,
        notify_authority=decision.get("notify_authority"),
        inform_data_subjects=decision.get("inform_data_subjects"),
    )
    return version


def override_assessment(
    session: Session,
    incident: Incident,
    notice: Notice,
    org: Organisation,
    user: CurrentUser,
    override: dict,
) -> AssessmentOverride:
    """Record the officer's own estimate of the severity and advice (a new version each
    time), with the computed values it is set beside; the notice carries the latest."""
    require_officer_of(user, org)
    computed = assessment.assessment_of(incident)
    now = utcnow()
    number = (notice.assessment_override or {}).get("version", 0) + 1
    stored = {
        **override,
        "version": number,
        "incident_version": incident.version,
        "decided_at": now.isoformat(),
        "decided_by": user.name,
        "computed": {
            "score": computed.score,
            "level": computed.level,
            "notify_authority": computed.recommendation.notify_authority,
            "inform_data_subjects": computed.recommendation.inform_data_subjects,
        },
    }
    row = AssessmentOverride(
        notice_id=notice.id,
        version=number,
        incident_version=incident.version,
        override=stored,
        created_by_id=user.id,
        created_at=now,
    )
    session.add(row)
    notice.assessment_override = stored
    session.add(notice)
    _audit(
        session,
        "notice.assessment_overridden",
        user,
        notice,
        version=number,
        level=override["level"],
    )
    return row


def decisions_of(session: Session, notice_id: uuid.UUID) -> list[DecisionVersion]:
    """Every version of the officer's decision, the first first."""
    query = select(DecisionVersion).where(col(DecisionVersion.notice_id) == notice_id)
    return list(session.exec(query.order_by(col(DecisionVersion.version))).all())


def record_act(
    session: Session,
    notice: Notice,
    org: Organisation,
    user: CurrentUser,
    key: str,
    *,
    met_at: datetime,
    text: str,
    late_reason: str = "",
) -> ObligationRecord:
    """The act that meets one of the controller's duties (authority notified with its
    number, persons informed and how, a NIS2 report). Recording it again corrects it."""
    require_officer_of(user, org)
    if key not in ACT_FIELDS:
        raise NotFound()
    record = _record_of(session, notice, key) or ObligationRecord(
        notice_id=notice.id, key=key, recorded_by_id=user.id
    )
    record.met_at = met_at
    if key == "gdpr_data_subjects":
        record.detail = text
    else:
        record.reference = text
    if late_reason:
        record.late_reason = late_reason
    record.recorded_by_id = user.id
    record.recorded_at = utcnow()
    session.add(record)
    _audit(session, "obligation.met", user, notice, obligation=key)
    return record


def _record_of(session: Session, notice: Notice, key: str) -> ObligationRecord | None:
    """The act on record for the notice's duty ``key``, if any."""
    where = (col(ObligationRecord.notice_id) == notice.id, col(ObligationRecord.key) == key)
    return session.exec(select(ObligationRecord).where(*where)).first()


def records_by_key(session: Session, notice_id: uuid.UUID) -> dict[str, ObligationRecord]:
    return {r.key: r for r in service.records_of(session, [notice_id])[notice_id]}


def delay_unexplained(
    session: Session,
    user: CurrentUser,
    incident: Incident,
    notice: Notice,
    org: Organisation,
    now: datetime,
) -> bool:
    """Acting on the authority duty now is after its hours, and no reason for the delay
    is on record yet: the decision must then give one (Art. 33(1))."""
    duty = next(
        (
            o
            for o in service.obligations_of(session, user, incident, now, notices=[(notice, org)])
            if o.regime.met_by == own_authority_act(org.country)
        ),
        None,
    )
    if duty is None:
        return False
    due = duty.due_at
    if due is None and notice.delivered_at is not None:  # the Omnibus's, before a decision
        due = notice.delivered_at + timedelta(hours=authority_hours(org, notice.delivered_at))
    if due is None or (duty.met_at or now) <= due:
        return False
    return not duty.late_reason


def authority_hours(org: Organisation, aware_at: datetime) -> int:
    """The hours of the controller's duty to notify its own authority, as in force when
    it became aware (72; the Omnibus's 96)."""
    return own_authority_hours(authority_rows(org.country, org.timezone, aware_at), org.country)


# --- questions and answers -----------------------------------------------------------------


MESSAGE_MAX = TEXT_MAX


def messages_of(session: Session, notice_id: uuid.UUID) -> list[tuple[NoticeMessage, User]]:
    return list(
        session.exec(
            select(NoticeMessage, User)
            .join(User, col(User.id) == col(NoticeMessage.author_id))
            .where(NoticeMessage.notice_id == notice_id)
            .order_by(col(NoticeMessage.created_at), col(NoticeMessage.id))
        ).all()
    )


def threads_of(session: Session, notice_id: uuid.UUID) -> list[dict[str, Any]]:
    """The questions on a notice, each with its answers, in order."""
    threads: dict[int, dict[str, Any]] = {}
    for message, author in messages_of(session, notice_id):
        item = {"message": message, "author": author.name}
        if message.parent_id is None and message.id is not None:
            threads[message.id] = {**item, "answers": []}
        elif message.parent_id in threads:
            threads[message.parent_id]["answers"].append(item)
    return list(threads.values())


QUESTION_MAIL = {
    "en": (
        "[{reference}] Question from {controller}",
        "{author} ({controller}) asks about {reference}:\n\n{body}\n\nAnswer it in Breachdesk: {link}\n",
    ),
    "nl": (
        "[{reference}] Vraag van {controller}",
        "{author} ({controller}) heeft een vraag over {reference}:\n\n{body}\n\nBeantwoord de vraag in Breachdesk: {link}\n",
    ),
}
ANSWER_MAIL = {
    "en": (
        "[{reference}] Answer from {processor}",
        "{processor} answered your question about {reference}.\n\nYour question:\n{question}\n\nAnswer ({author}):\n{body}\n\nThe notice in Breachdesk: {link}\n",
    ),
    "nl": (
        "[{reference}] Antwoord van {processor}",
        "{processor} heeft uw vraag over {reference} beantwoord.\n\nUw vraag:\n{question}\n\nAntwoord ({author}):\n{body}\n\nDe melding in Breachdesk: {link}\n",
    ),
}


WITHDRAWAL_MAIL = {
    "en": (
        "[{reference}] Withdrawn: our notice of a personal data breach",
        "{processor} withdraws the notice {reference} it sent to {controller} on {sent}.\n\n"
        "Why:\n{reason}\n\n"
        "After investigation this is not a personal data breach on our side: the duties it "
        "started for you (Art. 33 and 34 GDPR) lapse. Keep this message with your records.\n\n"
        "The notice in Breachdesk: {link}\n",
    ),
    "nl": (
        "[{reference}] Ingetrokken: onze melding van een inbreuk in verband met persoonsgegevens",
        "{processor} trekt de melding {reference} in die op {sent} aan {controller} is "
        "verzonden.\n\nWaarom:\n{reason}\n\n"
        "Na onderzoek is dit aan onze kant geen inbreuk in verband met persoonsgegevens: de "
        "plichten die de melding voor u deed ingaan (art. 33 en 34 AVG) vervallen. Bewaar dit "
        "bericht bij uw administratie.\n\n"
        "De melding in Breachdesk: {link}\n",
    ),
}
REASON_MAX = TEXT_MAX


def withdraw(
    session: Session,
    base_url: str,
    incident: Incident,
    notice: Notice,
    org: Organisation,
    user: CurrentUser,
    reason: str,
) -> None:
    """Withdraw a sent notice (after investigation, not a breach): the controller's duties
    lapse, the controller is told by e-mail with the reason, both timelines show it. The
    caller holds the incident's lock, so two withdrawals take turns: the second is refused."""
    if notice.sent_at is None or notice.removed_at is not None:
        raise NoticeError(_("Only a notice that was sent can be withdrawn."))
    if notice.withdrawn_at is not None:
        raise NoticeError(_("This notice has been withdrawn already."))
    text = clean_text(reason).strip()
    if not text or len(text) > REASON_MAX:
        message = _("Say why the notice is withdrawn (at most %(max)s characters).")
        raise Invalid([Problem("reason", message % {"max": REASON_MAX})])
    now = utcnow()
    notice.withdrawn_at = now
    notice.withdrawal_reason = text
    session.add(notice)
    recipients = controller_addresses(session, org)
    if recipients:
        own = documents.processor(session)
        subject, body = WITHDRAWAL_MAIL[org.language]
        values = {
            "reference": incident.reference or "",
            "processor": own.name if own else "",
            "controller": org.name,
            "sent": format_datetime(notice.sent_at, documents.zone_of(org), org.language),
            "reason": text,
            "link": notice_url(base_url, incident.id, org.slug),
        }
        session.add(
            OutboxMessage(
                dedupe_key=f"withdrawal:{notice.id}",
                kind="withdrawal",
                recipients=recipients,
                subject=subject.format(**values),
                body_text=body.format(**values),
                reply_to=str(incident.answers.get("contact_email") or ""),
                incident_id=incident.id,
                created_at=now,
                next_attempt_at=now,
            )
        )
    _audit(session, "notice.withdrawn", user, notice)


def post_message(
    session: Session,
    settings: Settings,
    incident: Incident,
    notice: Notice,
    org: Organisation,
    user: CurrentUser,
    body: str,
    parent_id: int | None = None,
) -> NoticeMessage:
    """An officer's question (to the processor's contact) or a staff answer to a question
    (to the controller). The e-mail is written to the outbox in the same transaction."""
    if user.is_staff:
        parent = session.get(NoticeMessage, parent_id) if parent_id else None
        if parent is None or parent.notice_id != notice.id or parent.side != "controller":
            raise NotFound()
        side = "processor"
    else:
        require_officer_of(user, org)
        parent, side = None, "controller"
    message = NoticeMessage(
        notice_id=notice.id,
        parent_id=parent.id if parent else None,
        side=side,
        body=body,
        author_id=user.id,
    )
    session.add(message)
    session.flush()
    link = notice_url(settings.base_url, incident.id, org.slug)
    values = {
        "reference": incident.reference or "",
        "controller": org.name,
        "author": user.name,
        "body": body,
        "link": link,
    }
    own = documents.processor(session)
    if side == "controller":
        subject, text = QUESTION_MAIL[own.language if own else "nl"]
        recipients = processor_addresses(session, incident)
    else:
        subject, text = ANSWER_MAIL[org.language]
        values.update(processor=own.name if own else "", question=parent.body if parent else "")
        recipients = controller_addresses(session, org)
    if recipients:
        session.add(
            OutboxMessage(
                dedupe_key=f"message:{message.id}",
                kind=f"{side}_message",
                recipients=recipients,
                subject=subject.format(**values),
                body_text=text.format(**values),
                incident_id=incident.id,
            )
        )
    _audit(session, "notice.question" if side == "controller" else "notice.answer", user, notice)
    return message


# --- the letter to the persons ---------------------------------------------------------------


def save_letter(
    session: Session, notice: Notice, org: Organisation, user: CurrentUser, text: str
) -> None:
    require_officer_of(user, org)
    notice.letter_text = text
    notice.letter_language = org.language
    notice.letter_updated_at = utcnow()
    session.add(notice)
    _audit(session, "notice.letter_saved", user, notice)
