"""Notices in the browser: the inbox, the notice page (staff: review and send; officers:
acknowledge, ask, decide, record what they did), sent notices and their PDFs, the letter
to the persons, and the outbox."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Response, Template
from sqlalchemy import case, or_
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from forms.answers import FieldError, clean_text, whole_number
from forms.decision import (
    ACT_FIELDS,
    ART34_GROUNDS,
    LABELS,
    validate_act,
    validate_decision,
    validate_override,
)
from forms.fields import read_date
from forms.questionnaire import Question
from incidents import audit, delivery, documents, notices, service, timeline
from incidents.auth import staff_only
from incidents.controllers.common import (
    engine_of,
    field_errors,
    flash,
    in_thread,
    lang,
    pdf_response,
    settings_of,
    user_of,
)
from incidents.db import session_scope
from incidents.i18n import gettext as _
from incidents.models import (
    Incident,
    IncidentStatus,
    Notice,
    NoticeSend,
    Organisation,
    OutboxMessage,
    User,
    utcnow,
)
from incidents.principal import CurrentUser
from notify import outbox
from notify.assessment import LEVEL_LABELS, LEVELS, assessment_of
from notify.obligations import regime_hours


def _notice_url(request: Request[Any, Any, Any], incident_id: uuid.UUID, slug: str) -> str:
    return request.app.route_reverse("notice", incident_id=incident_id, slug=slug)


def _form(data: dict[str, Any]) -> dict[str, str]:
    return {k: (v[0] if isinstance(v, list) else str(v)) for k, v in data.items()}


# --- the inbox ------------------------------------------------------------------------------


@get("/notices", name="notices")
@in_thread
def inbox(request: Request[Any, Any, Any]) -> Template:
    """Officers: their notices, unacknowledged first. Staff: every notice of a submitted
    incident, those still to be sent (or followed up) first."""
    user = user_of(request)
    with session_scope(engine_of(request)) as session:
        query = (
            select(Notice, Incident, Organisation)
            .join(Incident, Incident.id == Notice.incident_id)  # type: ignore[arg-type]
            .join(Organisation, Organisation.id == Notice.controller_id)  # type: ignore[arg-type]
            .where(Incident.status != IncidentStatus.draft, Notice.removed_at.is_(None))  # type: ignore[union-attr]
        )
        if user.is_staff:
            # Not sent yet, or a newer incident version than the one sent: to send first.
            first = or_(
                Notice.incident_version.is_(None), Notice.incident_version != Incident.version
            )  # type: ignore[union-attr,arg-type]
        else:
            query = query.where(
                Notice.controller_id == user.organisation_id,
                Notice.sent_at.is_not(None),  # type: ignore[union-attr]
            )
            first = Notice.acknowledged_at.is_(None)  # type: ignore[union-attr]
        order = (case((first, 0), else_=1), Incident.submitted_at.desc())  # type: ignore[union-attr]
        rows = list(session.exec(query.order_by(*order).limit(500)).all())
    return Template(
        "notices/inbox.html",
        context={"rows": rows, "needs_sending": notices.needs_sending},
    )


# --- the notice page ------------------------------------------------------------------------


def _threads(session: Session, notice_id: uuid.UUID) -> list[dict[str, Any]]:
    threads: dict[int, dict[str, Any]] = {}
    for message, author in notices.messages_of(session, notice_id):
        item = {"message": message, "author": author.name}
        if message.parent_id is None:
            threads[message.id] = {**item, "answers": []}  # type: ignore[index]
        elif message.parent_id in threads:
            threads[message.parent_id]["answers"].append(item)
    return list(threads.values())


def _act_keys(obligations: list[Any]) -> list[str]:
    """The controller duties that apply (or may apply) and can be recorded."""
    return [o.key for o in obligations if o.key in ACT_FIELDS and o.status != "not_applicable"]


def _notice_context(
    session: Session,
    user: CurrentUser,
    incident: Incident,
    notice: Notice,
    org: Organisation,
) -> dict[str, Any]:
    now = utcnow()
    sends = notices.sends_of(session, notice.id)
    obligations = service.obligations_of(session, user, incident, now, notices=[(notice, org)])
    preview = None
    if user.is_staff and notices.needs_sending(incident, notice):
        preview = notices.compose(session, incident, notice, org, now)
    records = notices.records_by_key(session, notice.id)
    acknowledged_by = (
        session.get(User, notice.acknowledged_by_id) if notice.acknowledged_by_id else None
    )
    return {
        "incident": incident,
        "notice": notice,
        "org": org,
        "sends": sends,
        "latest": sends[-1] if sends else None,
        "preview": preview,
        "recipients": notices.controller_addresses(session, org) if user.is_staff else [],
        "threads": _threads(session, notice.id),
        "decisions": notices.decisions_of(session, notice.id),
        "obligations": obligations,
        "records": records,
        "act_keys": _act_keys(obligations),
        "act_fields": ACT_FIELDS,
        "labels": {k: v.get(lang()) for k, v in LABELS.items()},
        "grounds": {k: v.get(lang()) for k, v in ART34_GROUNDS.items()},
        "is_owner": (not user.is_staff) and user.organisation_id == org.id,
        "acknowledged_by": acknowledged_by.name if acknowledged_by else None,
        "regime_label": timeline.regime_label,
        "countdown": timeline.countdown,
        "now": now,
        "assessment": assessment_of(incident),
    }


def _notice_page(
    request: Request[Any, Any, Any],
    incident_id: uuid.UUID,
    slug: str,
    *,
    errors: list[dict[str, str]] | None = None,
    values: dict[str, str] | None = None,
    form: str | None = None,
) -> Template:
    user = user_of(request)
    with session_scope(engine_of(request), write=not user.is_staff) as session:
        incident, notice, org = notices.notice_for(session, user, incident_id, slug)
        if not user.is_staff and not errors:
            audit.record(
                session,
                "notice.viewed",
                actor_id=user.id,
                incident_id=incident.id,
                organisation_id=org.id,
            )
        context = _notice_context(session, user, incident, notice, org)
    return Template(
        "notices/notice.html",
        context={**context, "errors": errors or [], "values": values or {}, "form": form},
    )


@get("/incidents/{incident_id:uuid}/notices/{slug:str}", name="notice")
@in_thread
def notice_page(
    request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID], slug: FromPath[str]
) -> Template:
    return _notice_page(request, incident_id, slug)


@get("/incidents/{incident_id:uuid}/notices/{slug:str}/sent/{number:int}", name="notice_sent")
@in_thread
def sent_page(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    slug: FromPath[str],
    number: FromPath[int],
) -> Template:
    user = user_of(request)
    with session_scope(engine_of(request)) as session:
        incident, notice, org = notices.notice_for(session, user, incident_id, slug)
        send = _send(session, notice, number)
    return Template(
        "notices/sent.html",
        context={"incident": incident, "org": org, "send": send},
    )


def _send(session: Session, notice: Notice, number: int) -> NoticeSend:
    send = session.exec(
        select(NoticeSend).where(NoticeSend.notice_id == notice.id, NoticeSend.number == number)
    ).first()
    if send is None:
        raise NotFoundException()
    return send


@get(
    "/incidents/{incident_id:uuid}/notices/{slug:str}/sent/{number:int}/pdf", name="notice_sent_pdf"
)
@in_thread
def sent_pdf(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    slug: FromPath[str],
    number: FromPath[int],
) -> Response[bytes]:
    """The PDF that was attached to that notice's e-mail (stored with it, not re-made)."""
    user = user_of(request)
    with session_scope(engine_of(request)) as session:
        _incident, notice, _org = notices.notice_for(session, user, incident_id, slug)
        send = _send(session, notice, number)
        row = session.exec(
            select(OutboxMessage.attachment_name, OutboxMessage.attachment).where(
                OutboxMessage.notice_send_id == send.id
            )
        ).first()
    if row is None or row[1] is None:
        raise NotFoundException()
    return pdf_response(bytes(row[1]), row[0])


# --- sending --------------------------------------------------------------------------------


def _send_and_report(
    request: Request[Any, Any, Any], incident_id: uuid.UUID, slugs: list[str] | None
) -> None:
    try:
        results = notices.send_notices(engine_of(request), user_of(request), incident_id, slugs)
    except notices.NoticeError as exc:
        flash(request, str(exc), "error")
        return
    sent = [r for r in results if r.sent]
    if sent:
        flash(
            request,
            _("Notice sent to: %(names)s. It is delivered by e-mail within a minute.")
            % {"names": ", ".join(r.controller for r in sent)},
        )
    else:
        flash(request, _("Nothing to send: every controller has this version already."), "warning")


@post(
    "/incidents/{incident_id:uuid}/notices/{slug:str}/send", name="notice_send", guards=[staff_only]
)
@in_thread
def send_one(
    request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID], slug: FromPath[str]
) -> Redirect:
    _send_and_report(request, incident_id, [slug])
    return Redirect(_notice_url(request, incident_id, slug), status_code=303)


@post("/incidents/{incident_id:uuid}/notices/send", name="notice_send_all", guards=[staff_only])
@in_thread
def send_all(request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID]) -> Redirect:
    _send_and_report(request, incident_id, None)
    url = request.app.route_reverse("incident", incident_id=incident_id)
    return Redirect(url + "#notices", status_code=303)


# --- the officer's acts -----------------------------------------------------------------------


@post("/incidents/{incident_id:uuid}/notices/{slug:str}/acknowledge", name="notice_acknowledge")
@in_thread
def acknowledge(
    request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID], slug: FromPath[str]
) -> Redirect:
    user = user_of(request)
    with session_scope(engine_of(request), write=True) as session:
        _incident, notice, org = notices.notice_for(session, user, incident_id, slug)
        first = notices.acknowledge(session, notice, org, user)
    flash(
        request,
        _("Receipt acknowledged.") if first else _("You had already acknowledged this notice."),
    )
    return Redirect(_notice_url(request, incident_id, slug), status_code=303)


@post(
    "/incidents/{incident_id:uuid}/notices/{slug:str}/questions",
    name="notice_question",
    status_code=200,
)
@in_thread
def question(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    slug: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    user = user_of(request)
    values = _form(data)
    body = clean_text(values.get("body", ""))
    parent = values.get("parent_id")
    field = f"answer-{parent}" if parent else "question-body"
    problem = None
    if not body:
        problem = _("Write your answer.") if parent else _("Write your question.")
    elif len(body) > notices.MESSAGE_MAX:
        problem = _("Use at most %(max)s characters.") % {"max": notices.MESSAGE_MAX}
    if problem:
        return _notice_page(
            request,
            incident_id,
            slug,
            errors=[{"field": field, "message": problem}],
            values={field: body},
            form="question",
        )
    parent_id = whole_number(parent) if parent else None
    if parent and parent_id is None:  # not an id of any message (digits 0-9, nine at most)
        raise NotFoundException()
    with session_scope(engine_of(request), write=True) as session:
        incident, notice, org = notices.notice_for(session, user, incident_id, slug)
        notices.post_message(
            session, settings_of(request), incident, notice, org, user, body, parent_id
        )
    flash(
        request,
        _("Your answer has been sent.")
        if parent_id
        else _("Your question has been sent to the processor."),
    )
    return Redirect(_notice_url(request, incident_id, slug) + "#questions", status_code=303)


@get("/incidents/{incident_id:uuid}/notices/{slug:str}/decision", name="notice_decision")
@in_thread
def decision_page(
    request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID], slug: FromPath[str]
) -> Template:
    user = user_of(request)
    with session_scope(engine_of(request)) as session:
        incident, notice, org = notices.notice_for(session, user, incident_id, slug)
        notices.require_officer_of(user, org)
        late = notices.delay_unexplained(session, user, incident, notice, org, utcnow())
    values = _decision_values(notice.decision or {})
    return _decision_template(incident, notice, org, values, [], late)


def _decision_values(decision: dict[str, Any]) -> dict[str, str]:
    values = {}
    for key, value in decision.items():
        if isinstance(value, bool):
            values[key] = "yes" if value else "no"
        elif isinstance(value, str):
            values[key] = value
    return values


def _decision_template(
    incident: Incident,
    notice: Notice,
    org: Organisation,
    values: dict[str, str],
    errors: list[dict[str, str]],
    late: bool,
) -> Template:
    return Template(
        "notices/decision.html",
        context={
            "incident": incident,
            "notice": notice,
            "org": org,
            "values": values,
            "errors": errors,
            "late": late,
            "assessment": assessment_of(incident),
            "labels": {k: v.get(lang()) for k, v in LABELS.items()},
            "grounds": [(k, v.get(lang())) for k, v in ART34_GROUNDS.items()],
            "hours": {key: regime_hours(key) for key in DECISION_HOURS},
        },
    )


# The regimes whose hours the decision form names (from REGIMES, never written here).
DECISION_HOURS = ("gdpr_authority", "nis2_early_warning", "nis2_notification")


@post(
    "/incidents/{incident_id:uuid}/notices/{slug:str}/decision",
    name="notice_decide",
    status_code=200,
)
@in_thread
def decide(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    slug: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    user = user_of(request)
    values = _form(data)
    values.pop("_csrf_token", None)
    with session_scope(engine_of(request), write=True) as session:
        incident, notice, org = notices.notice_for(session, user, incident_id, slug)
        notices.require_officer_of(user, org)
        late = notices.delay_unexplained(session, user, incident, notice, org, utcnow())
        result = validate_decision(values, nis2=org.nis2, late=late)
        if result.errors:
            return _decision_template(
                incident, notice, org, values, field_errors(result.errors), late
            )
        notices.decide(session, notice, org, user, result.decision, result.late_reason)
    flash(request, _("Your decision has been recorded."))
    return Redirect(_notice_url(request, incident_id, slug), status_code=303)


# --- the officer's own estimate of the severity ------------------------------------------


def _assessment_template(
    incident: Incident,
    notice: Notice,
    org: Organisation,
    values: dict[str, str],
    errors: list[dict[str, str]],
) -> Template:
    language = lang()
    return Template(
        "notices/assessment.html",
        context={
            "incident": incident,
            "notice": notice,
            "org": org,
            "values": values,
            "errors": errors,
            "assessment": assessment_of(incident),
            "labels": {k: v.get(language) for k, v in LABELS.items()},
            "levels": [(k, v.get(language)) for k, v in LEVEL_LABELS.items()],
        },
    )


@get("/incidents/{incident_id:uuid}/notices/{slug:str}/assessment", name="notice_assessment")
@in_thread
def assessment_page(
    request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID], slug: FromPath[str]
) -> Template:
    user = user_of(request)
    with session_scope(engine_of(request)) as session:
        incident, notice, org = notices.notice_for(session, user, incident_id, slug)
        notices.require_officer_of(user, org)
    return _assessment_template(
        incident, notice, org, _decision_values(notice.assessment_override or {}), []
    )


@post(
    "/incidents/{incident_id:uuid}/notices/{slug:str}/assessment",
    name="notice_assessment_save",
    status_code=200,
)
@in_thread
def assessment_save(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    slug: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    user = user_of(request)
    values = _form(data)
    values.pop("_csrf_token", None)
    with session_scope(engine_of(request), write=True) as session:
        incident, notice, org = notices.notice_for(session, user, incident_id, slug)
        notices.require_officer_of(user, org)
        result = validate_override(values, levels=LEVELS)
        if result.errors:
            return _assessment_template(incident, notice, org, values, field_errors(result.errors))
        notices.override_assessment(session, incident, notice, org, user, result.override)
    flash(request, _("Your estimate has been recorded beside the computed assessment."))
    return Redirect(_notice_url(request, incident_id, slug) + "#assessment", status_code=303)


@post(
    "/incidents/{incident_id:uuid}/notices/{slug:str}/acts/{key:str}",
    name="notice_act",
    status_code=200,
)
@in_thread
def record_act(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    slug: FromPath[str],
    key: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    if key not in ACT_FIELDS:
        raise NotFoundException()
    user = user_of(request)
    settings = settings_of(request)
    values = _form(data)
    time_field, text_field, _required = ACT_FIELDS[key]
    field_key = f"{key}-{time_field}"
    question = Question(field_key, "datetime", LABELS[time_field])
    when, date_error = read_date(question, values, settings.zone)
    raw = {
        time_field: when,
        text_field: values.get(f"{key}-{text_field}", ""),
        "late_reason": values.get(f"{key}-late_reason", ""),
    }
    with session_scope(engine_of(request), write=True) as session:
        incident, notice, org = notices.notice_for(session, user, incident_id, slug)
        notices.require_officer_of(user, org)
        result = validate_act(key, raw, now=utcnow(), earliest=incident.discovered_at)
        errors = [date_error] if date_error else []
        errors += [
            FieldError(
                f"{key}-{e.field}" if e.field != time_field else f"{field_key}-day",
                e.code,
                e.params,
            )
            for e in result.errors
            if not (date_error and e.field == time_field)
        ]
        if not errors:
            notices.record_act(
                session,
                notice,
                org,
                user,
                key,
                met_at=result.met_at,  # type: ignore[arg-type]
                text=result.text,
                late_reason=result.late_reason,
            )
    if errors:
        return _notice_page(
            request, incident_id, slug, errors=field_errors(errors), values=values, form=key
        )
    flash(request, _("Recorded: %(duty)s.") % {"duty": timeline.regime_label(key)})
    return Redirect(_notice_url(request, incident_id, slug) + "#acts", status_code=303)


# --- the letter to the persons ------------------------------------------------------------------


@get("/incidents/{incident_id:uuid}/notices/{slug:str}/letter", name="notice_letter")
@in_thread
def letter_page(
    request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID], slug: FromPath[str]
) -> Template:
    incident, notice, org, text = _letter(request, incident_id, slug)
    return _letter_template(incident, notice, org, text, [])


def _letter(
    request: Request[Any, Any, Any], incident_id: uuid.UUID, slug: str
) -> tuple[Incident, Notice, Organisation, str]:
    """The officer's notice and its letter: as last saved, or a fresh draft."""
    user = user_of(request)
    with session_scope(engine_of(request)) as session:
        incident, notice, org = notices.notice_for(session, user, incident_id, slug)
        notices.require_officer_of(user, org)
        return incident, notice, org, notice.letter_text or documents.letter_draft(incident, org)


def _letter_template(
    incident: Incident, notice: Notice, org: Organisation, text: str, errors: list[dict[str, str]]
) -> Template:
    return Template(
        "notices/letter.html",
        context={
            "incident": incident,
            "notice": notice,
            "org": org,
            "values": {"letter": text},
            "errors": errors,
        },
    )


@post(
    "/incidents/{incident_id:uuid}/notices/{slug:str}/letter",
    name="notice_letter_save",
    status_code=200,
)
@in_thread
def letter_save(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    slug: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    user = user_of(request)
    text = clean_text(_form(data).get("letter", ""))
    with session_scope(engine_of(request), write=True) as session:
        incident, notice, org = notices.notice_for(session, user, incident_id, slug)
        notices.require_officer_of(user, org)
        problem = None
        if not text:
            problem = _("The letter is empty: write it, or reload the page for the draft.")
        elif len(text) > notices.LETTER_MAX:
            problem = _("Use at most %(max)s characters.") % {"max": notices.LETTER_MAX}
        if problem:
            return _letter_template(
                incident, notice, org, text, [{"field": "letter", "message": problem}]
            )
        notices.save_letter(session, notice, org, user, text + "\n")
    flash(request, _("The letter has been saved."))
    url = request.app.route_reverse("notice_letter", incident_id=incident_id, slug=slug)
    return Redirect(url, status_code=303)


@get("/incidents/{incident_id:uuid}/notices/{slug:str}/letter/{fmt:str}", name="notice_letter_file")
@in_thread
def letter_file(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    slug: FromPath[str],
    fmt: FromPath[str],
) -> Response[bytes]:
    if fmt not in {"pdf", "txt"}:
        raise NotFoundException()
    incident, _notice, org, text = _letter(request, incident_id, slug)
    reference = incident.reference or ""
    name = f"{reference}-{slug}-letter.{fmt}"
    if fmt == "txt":
        return Response(
            text.encode(),
            media_type="text/plain; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return pdf_response(documents.letter_pdf(text, org, reference), name)


# --- the outbox -------------------------------------------------------------------------------


# Not shown in the list: the PDFs and the bodies.
LIST_DEFERRED = (OutboxMessage.attachment, OutboxMessage.body_html, OutboxMessage.body_text)


@get("/outbox", name="outbox", guards=[staff_only])
@in_thread
def outbox_page(request: Request[Any, Any, Any]) -> Template:
    settings = settings_of(request)
    with session_scope(engine_of(request)) as session:
        messages = list(
            session.exec(
                select(OutboxMessage)
                .options(*(defer(column) for column in LIST_DEFERRED))
                .order_by(OutboxMessage.id.desc())  # type: ignore[union-attr]
                .limit(300)
            ).all()
        )
    return Template(
        "notices/outbox.html",
        context={
            "messages": messages,
            "smtp": bool(settings.smtp_url),
            "folder": str(settings.outbox_dir),
        },
    )


def _message(session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFoundException()
    return message


@get("/outbox/{message_id:int}", name="outbox_message", guards=[staff_only])
@in_thread
def outbox_message(request: Request[Any, Any, Any], message_id: FromPath[int]) -> Template:
    settings = settings_of(request)
    with session_scope(engine_of(request)) as session:
        message = _message(session, message_id)
    return Template(
        "notices/outbox_message.html",
        context={
            "message": message,
            "message_id": outbox.message_id(message.dedupe_key, settings.mail_from),
        },
    )


@get("/outbox/{message_id:int}/eml", name="outbox_eml", guards=[staff_only])
@in_thread
def outbox_eml(request: Request[Any, Any, Any], message_id: FromPath[int]) -> Response[bytes]:
    settings = settings_of(request)
    with session_scope(engine_of(request)) as session:
        message = _message(session, message_id)
        mail = delivery.mail_of(message, settings.mail_from)
    return Response(
        bytes(outbox.build(mail)),
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="message-{message_id}.eml"'},
    )


handlers = [
    inbox,
    notice_page,
    sent_page,
    sent_pdf,
    send_one,
    send_all,
    acknowledge,
    question,
    decision_page,
    decide,
    assessment_page,
    assessment_save,
    record_act,
    letter_page,
    letter_save,
    letter_file,
    outbox_page,
    outbox_message,
    outbox_eml,
]
