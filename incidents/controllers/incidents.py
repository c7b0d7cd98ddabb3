"""The questionnaire journey, the register, the incident page, versions and exports."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Response, Template
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from forms.answers import clean_text, merge_step, step_state, validate, whole_number
from forms.display import answer_changes, answer_sections
from forms.fields import date_parts, read_step
from forms.questionnaire import (
    CONTACT_KEYS,
    EU_EEA_COUNTRIES,
    QUESTIONS,
    STEP_BY_KEY,
    STEP_OF_QUESTION,
    STEPS,
    Step,
    Text,
)
from incidents import audit, notices, register, service, timeline
from incidents.auth import staff_only
from incidents.controllers.common import (
    engine_of,
    field_errors,
    flash,
    in_thread,
    lang,
    settings_of,
    user_of,
)
from incidents.db import session_scope
from incidents.i18n import gettext as _
from incidents.models import (
    AuditEvent,
    Incident,
    IncidentStatus,
    IncidentVersion,
    Organisation,
    User,
    utcnow,
)
from incidents.principal import CurrentUser
from incidents.settings import Settings
from notify.assessment import assessment_of
from notify.obligations import owed

# --- the register ---------------------------------------------------------------------


def _filters_from(
    request: Request[Any, Any, Any], settings: Settings
) -> tuple[register.Filters, list[dict[str, str]]]:
    params = request.query_params
    try:
        filters = register.make_filters(
            settings.zone,
            status=params.get("status"),
            controller=params.get("controller"),
            q=params.get("q"),
            since=params.get("since"),
            until=params.get("until"),
            sort=params.get("sort"),
            cursor=params.get("cursor"),
        )
    except register.FilterError as exc:
        return register.Filters(), [{"field": exc.field, "message": str(exc)}]
    return filters, []


PAGE_FILTERS = {"q", "status", "controller", "since", "until", "sort"}  # the page's fields


@get("/incidents", name="register")
@in_thread
def register_view(request: Request[Any, Any, Any]) -> Template:
    user = user_of(request)
    settings = settings_of(request)
    filters, errors = _filters_from(request, settings)
    # A page link (the cursor) has no field on the page: its message stands alone.
    errors = [{**e, "field": e["field"] if e["field"] in PAGE_FILTERS else None} for e in errors]
    with session_scope(engine_of(request)) as session:
        by_slug = service.controllers_by_slug(session)
        page = (
            register.register_page(session, user, filters, controllers=by_slug, with_answers=False)
            if not errors
            else None
        )
        controllers = _controller_choices(by_slug, user)
    params = dict(request.query_params)
    return Template(
        "incidents/register.html",
        status_code=400 if errors else 200,
        context={
            "page": page,
            "errors": errors,
            "params": params,
            "controllers": controllers,
            "statuses": register.STATUSES,
            "regime_label": timeline.regime_label,
            "sorts": list(register.SORTS),
            "export_query": urlencode({k: v for k, v in params.items() if k not in {"cursor"}}),
            "next_query": urlencode(
                {**{k: v for k, v in params.items() if k != "cursor"}, "cursor": page.next_cursor}
            )
            if page and page.next_cursor
            else None,
        },
    )


def _controller_choices(by_slug: dict[str, Organisation], user: CurrentUser) -> list[Organisation]:
    if not user.is_staff:
        return []
    return sorted(by_slug.values(), key=lambda o: o.name.lower())


EXPORT_COLUMNS = [
    "reference",
    "status",
    "created_at",
    "submitted_at",
    "discovered_at",
    "controllers",
    "summary",
    "affected_min",
    "affected_max",
    "next_deadline",
]


def _export_record(row: register.RegisterRow, user: CurrentUser, contacts: bool) -> dict[str, Any]:
    incident = row.incident
    answers = service.answers_for(user, incident.answers)
    record: dict[str, Any] = {
        "id": str(incident.id),
        "reference": incident.reference,
        "status": incident.status,
        "version": incident.version,
        "created_at": _iso(incident.created_at),
        "submitted_at": _iso(incident.submitted_at),
        "discovered_at": _iso(incident.discovered_at),
        "controllers": [org.slug for org in row.controllers],
        "next_deadline": _iso(row.next_due),
    }
    for key in QUESTIONS:
        if key == "controllers" or (key in CONTACT_KEYS and not contacts):
            continue
        record[key] = answers.get(key)
    return record


def _iso(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _export(request: Request[Any, Any, Any], fmt: str) -> Response[Any]:
    user = user_of(request)
    settings = settings_of(request)
    filters, errors = _filters_from(request, settings)
    if errors:
        return Response({"errors": errors}, status_code=400, media_type="application/json")
    contacts = request.query_params.get("contacts") in {"1", "yes", "true"}
    with session_scope(engine_of(request), write=True) as session:
        records = [
            _export_record(row, user, contacts)
            for row in register.export_rows(session, user, filters)
        ]
        audit.record(
            session,
            "register.exported",
            actor_id=user.id,
            organisation_id=user.organisation_id,
            format=fmt,
            rows=len(records),
            contacts=contacts,
            filters=sorted(filters.query_args()),
        )
    stamp = "register"
    if fmt == "json":
        body = json.dumps({"incidents": records}, ensure_ascii=False, indent=1)
        return Response(
            body,
            media_type="application/json",
            headers={"content-disposition": f'attachment; filename="{stamp}.json"'},
        )
    buffer = io.StringIO()
    columns = list(records[0]) if records else ["id", *EXPORT_COLUMNS]
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _csv_cell(v) for k, v in record.items()})
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{stamp}.csv"'},
    )


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        value = "'" + value  # never a formula in a spreadsheet
    return value


@get("/incidents/export.csv", name="register_csv")
@in_thread
def export_csv(request: Request[Any, Any, Any]) -> Response[Any]:
    return _export(request, "csv")


@get("/incidents/export.json", name="register_json")
@in_thread
def export_json(request: Request[Any, Any, Any]) -> Response[Any]:
    return _export(request, "json")


# --- starting and the task list -------------------------------------------------------


@get("/incidents/new", name="incident_start", guards=[staff_only], sync_to_thread=False)
def start_page() -> Template:
    return Template("incidents/start.html", context={"steps": STEPS})


@post("/incidents/new", name="incident_create", guards=[staff_only])
@in_thread
def start(request: Request[Any, Any, Any]) -> Redirect:
    user = user_of(request)
    with session_scope(engine_of(request), write=True) as session:
        incident = service.create_draft(session, user)
    return Redirect(
        request.app.route_reverse("incident_tasks", incident_id=incident.id), status_code=303
    )


def _incident_for_staff(session: Session, user: CurrentUser, incident_id: uuid.UUID) -> Incident:
    return service.visible_incident(session, user, incident_id)


@get("/incidents/{incident_id:uuid}/report", name="incident_tasks", guards=[staff_only])
@in_thread
def task_list(request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID]) -> Template:
    user = user_of(request)
    settings = settings_of(request)
    with session_scope(engine_of(request)) as session:
        incident = _incident_for_staff(session, user, incident_id)
        ctx = service.validation_context(session, settings)
        states = [(step, step_state(step, incident.answers, ctx)) for step in STEPS]
    return Template(
        "incidents/tasks.html",
        context={
            "incident": incident,
            "states": states,
            "complete": all(state == "completed" for _, state in states),
            "done": sum(1 for _, state in states if state == "completed"),
        },
    )


# --- one step -------------------------------------------------------------------------


def _step_or_404(step_key: str) -> Step:
    step = STEP_BY_KEY.get(step_key)
    if step is None:
        raise NotFoundException()
    return step


def _form_values(step: Step, answers: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Stored answers as the values of the form fields."""
    values: dict[str, Any] = {}
    for question in step.questions:
        value = answers.get(question.key)
        if question.kind == "datetime":
            for part, text in date_parts(value, settings.zone).items():
                values[f"{question.key}-{part}"] = text
        elif question.kind in {"multi", "countries", "controllers"}:
            values[question.key] = list(value or [])
        elif value is not None:
            values[question.key] = str(value)
    return values


def _step_template(
    session: Session,
    incident: Incident,
    step: Step,
    values: dict[str, Any],
    errors: list[dict[str, str]],
    return_to: str | None,
    settings: Settings,
    note: str = "",
    status_code: int = 200,
) -> Template:
    processor_country = service.validation_context(session, settings).home_country
    index = STEPS.index(step)
    return Template(
        "incidents/step.html",
        status_code=status_code,
        context={
            "incident": incident,
            "step": step,
            "step_index": index,
            "steps_prev": STEPS[index - 1].key if index > 0 else None,
            "step_count": len(STEPS),
            "values": values,
            "errors": errors,
            "return_to": return_to,
            "note": note,
            "controllers": sorted(
                service.controllers_by_slug(session).values(), key=lambda o: o.name.lower()
            ),
            "countries": sorted(
                (
                    (code, name.get(lang()))
                    for code, name in EU_EEA_COUNTRIES.items()
                    if code != processor_country
                ),
                key=lambda item: item[1],
            ),
            "conditions": _conditions(step),
        },
    )


def _conditions(step: Step) -> dict[str, dict[str, Any]]:
    """For the page script: which answer reveals which question (from forms' show_if)."""
    return {
        q.key: {"key": q.show_if.depends_on, "values": list(q.show_if.values)}  # type: ignore[attr-defined]
        for q in step.questions
        if q.show_if is not None
    }


def _return_target(value: str | None) -> str | None:
    return value if value in {"check", "incident"} else None


@get(
    "/incidents/{incident_id:uuid}/report/{step_key:str}", name="incident_step", guards=[staff_only]
)
@in_thread
def step_page(
    request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID], step_key: FromPath[str]
) -> Template:
    user = user_of(request)
    settings = settings_of(request)
    if step_key == "check":
        return _check_page(request, incident_id)
    step = _step_or_404(step_key)
    with session_scope(engine_of(request)) as session:
        incident = _incident_for_staff(session, user, incident_id)
        values = _form_values(step, incident.answers, settings)
        return _step_template(
            session,
            incident,
            step,
            values,
            [],
            _return_target(request.query_params.get("return")),
            settings,
        )


@post(
    "/incidents/{incident_id:uuid}/report/{step_key:str}",
    name="incident_step_save",
    guards=[staff_only],
    status_code=200,
)
@in_thread
def step_save(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    step_key: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    user = user_of(request)
    settings = settings_of(request)
    step = _step_or_404(step_key)
    action = str(data.get("action", "continue"))
    return_to = _return_target(str(data.get("return", "")) or None)
    note = clean_text(str(data.get("note", "")))
    base_version = _base_version(data.get("version"))
    form = {
        k: v
        for k, v in data.items()
        if k not in {"_csrf_token", "action", "return", "note", "version"}
    }
    try:
        with session_scope(engine_of(request), write=True) as session:
            # Locked: saves of the same incident take turns, each on what the last one saved.
            incident = service.visible_incident(session, user, incident_id, lock=True)
            if incident.status != IncidentStatus.draft and base_version is not None:
                try:
                    service.check_version(incident, base_version)
                except service.VersionConflict as exc:
                    message = _(
                        "Someone else saved a change to this incident while you were editing: it "
                        "is now at version %(version)s. What you typed is below and not saved yet. "
                        "Check it against the incident as it is now, then save again."
                    ) % {"version": exc.current}
                    return _step_template(
                        session,
                        incident,
                        step,
                        dict(form),
                        [{"field": None, "message": message}],
                        return_to,
                        settings,
                        note,
                        status_code=409,
                    )
            ctx = service.validation_context(session, settings)
            raw, read_errors = read_step(step, form, settings.zone)
            merged = merge_step(incident.answers, step, raw)
            # A question hidden by its condition may still carry half-typed input: ignore it.
            read_errors = [
                e for e in read_errors if QUESTIONS[e.field.split("-")[0]].applies(merged)
            ]
            submitted = incident.status != IncidentStatus.draft
            # A draft may be saved incomplete; "Continue" and corrections need the step complete.
            complete = submitted or action == "continue"
            result = validate(merged, ctx, complete=complete, strict=False, only=step.keys)
            unreadable = {r.field.split("-")[0] for r in read_errors}
            problems = read_errors + [
                e for e in result.errors if e.field.split("-")[0] not in unreadable
            ]
            if problems:
                values = dict(form)
                return _step_template(
                    session,
                    incident,
                    step,
                    values,
                    field_errors(problems),
                    return_to,
                    settings,
                    note,
                )
            canonical = validate(merged, ctx, complete=False, strict=False).answers
            if submitted:
                changed = service.correct(
                    session, incident, canonical, user, note=note, base_version=base_version
                )
                message = (
                    _("Your correction has been saved as version %(version)s.")
                    % {"version": incident.version}
                    if changed
                    else _("Nothing was changed.")
                )
                target = request.app.route_reverse("incident", incident_id=incident.id)
            else:
                service.save_draft(session, incident, canonical, user, step=step.key)
                message = _("Your answers have been saved.")
                target = _next_target(request, incident, step, action, return_to)
    except DBAPIError as exc:
        if not service.lock_conflict(exc):
            raise
        # Another transaction held the same rows (a deadlock it won): nothing was saved.
        return _form_after_lock_conflict(
            request, incident_id, step, form, base_version, return_to, note
        )
    flash(request, message)
    return Redirect(target, status_code=303)


SAVED_MEANWHILE = Text(
    "Someone else was saving a change to this incident at the same moment, so yours was "
    "not saved. What you typed is below: check it and save again.",
    "Iemand anders sloeg op hetzelfde moment een wijziging van dit incident op, daarom is "
    "de uwe niet opgeslagen. Wat u typte staat hieronder: controleer het en sla opnieuw op.",
)


def _form_after_lock_conflict(
    request: Request[Any, Any, Any],
    incident_id: uuid.UUID,
    step: Step,
    form: dict[str, Any],
    base_version: int | None,
    return_to: str | None,
    note: str,
) -> Template:
    """The step or correction form again (409) with what was typed, after the save lost a
    race for the incident's rows. If the other change was saved meanwhile, the form says
    so, as for a form made on an older version."""
    user = user_of(request)
    settings = settings_of(request)
    with session_scope(engine_of(request)) as session:
        incident = service.visible_incident(session, user, incident_id)
        message = SAVED_MEANWHILE.get(lang())
        if incident.status != IncidentStatus.draft and base_version not in {None, incident.version}:
            message = _(
                "Someone else saved a change to this incident while you were editing: it "
                "is now at version %(version)s. What you typed is below and not saved yet. "
                "Check it against the incident as it is now, then save again."
            ) % {"version": incident.version}
        return _step_template(
            session,
            incident,
            step,
            dict(form),
            [{"field": None, "message": message}],
            return_to,
            settings,
            note,
            status_code=409,
        )


def _base_version(value: Any) -> int | None:
    """The version a correction form was made on (its hidden field): None when the form
    has none; -1, which no incident is at, when it is not a number."""
    if value is None or value == "":
        return None
    number = whole_number(str(value).strip())
    return -1 if number is None else number


def _next_target(
    request: Request[Any, Any, Any],
    incident: Incident,
    step: Step,
    action: str,
    return_to: str | None,
) -> str:
    reverse = request.app.route_reverse
    if action != "continue":
        return reverse("incident_tasks", incident_id=incident.id)
    index = STEPS.index(step)
    following = STEPS[index + 1].key if index + 1 < len(STEPS) else "check"
    step_key = "check" if return_to == "check" else following
    return reverse("incident_step", incident_id=incident.id, step_key=step_key)


# --- check your answers and submit ----------------------------------------------------


def _summary(
    answers: dict[str, Any], settings: Settings, names: dict[str, str]
) -> list[dict[str, Any]]:
    return answer_sections(answers, lang(), settings.zone, names)


def _check_page(
    request: Request[Any, Any, Any],
    incident_id: uuid.UUID,
    errors: list[dict[str, str]] | None = None,
) -> Template:
    user = user_of(request)
    settings = settings_of(request)
    with session_scope(engine_of(request)) as session:
        incident = _incident_for_staff(session, user, incident_id)
        names = {slug: org.name for slug, org in service.controllers_by_slug(session).items()}
    return Template(
        "incidents/check.html",
        context={
            "incident": incident,
            "sections": _summary(incident.answers, settings, names),
            "errors": errors or [],
        },
    )


@post(
    "/incidents/{incident_id:uuid}/submit",
    name="incident_submit",
    guards=[staff_only],
    status_code=200,
)
@in_thread
def submit(
    request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    user = user_of(request)
    settings = settings_of(request)
    with session_scope(engine_of(request), write=True) as session:
        incident = service.visible_incident(session, user, incident_id, lock=True)
        if incident.status != IncidentStatus.draft:
            flash(request, _("This incident has already been submitted."), "warning")
            return Redirect(
                request.app.route_reverse("incident", incident_id=incident.id), status_code=303
            )
        problems = service.submit(
            session, incident, user, service.validation_context(session, settings)
        )
        reference = incident.reference
    if problems:
        errors = [
            {
                "field": None,
                "href": request.app.route_reverse(
                    "incident_step",
                    incident_id=incident_id,
                    step_key=STEP_OF_QUESTION[e.field.split("-")[0]].key,
                )
                + f"?return=check#{e.field}",
                "message": e.message(lang()),
            }
            for e in problems
        ]
        return _check_page(request, incident_id, errors)
    flash(request, _("Breach report %(reference)s has been submitted.") % {"reference": reference})
    return Redirect(request.app.route_reverse("incident", incident_id=incident_id), status_code=303)


# --- the incident page, versions, changes ---------------------------------------------


ACTION_LABELS = {
    "incident.created": ("Report started", "Melding begonnen"),
    "incident.step_saved": ("Answers saved", "Antwoorden opgeslagen"),
    "incident.submitted": ("Submitted", "Ingediend"),
    "incident.corrected": ("Corrected or supplemented", "Gecorrigeerd of aangevuld"),
    "incident.viewed": ("Viewed by the privacy officer", "Bekeken door de privacyfunctionaris"),
    "notice.sent": (
        "Notice sent to a controller",
        "Melding verzonden aan een verwerkingsverantwoordelijke",
    ),
    "notice.viewed": (
        "Notice viewed by the privacy officer",
        "Melding bekeken door de privacyfunctionaris",
    ),
    "notice.acknowledged": ("Receipt acknowledged", "Ontvangst bevestigd"),
    "notice.question": ("Question asked", "Vraag gesteld"),
    "notice.answer": ("Question answered", "Vraag beantwoord"),
    "notice.decided": ("Decision recorded", "Besluit vastgelegd"),
    "notice.assessment_overridden": (
        "Severity assessed by the officer",
        "Ernst ingeschat door de privacyfunctionaris",
    ),
    "notice.letter_saved": ("Letter to the persons saved", "Brief aan de betrokkenen opgeslagen"),
    "obligation.met": ("Duty recorded as met", "Plicht vastgelegd als nagekomen"),
    "obligation.late_reason": ("Reason for a delay recorded", "Reden voor vertraging vastgelegd"),
}


def _audit_trail(session: Session, incident_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.exec(
        select(AuditEvent, User)
        .join(User, User.id == AuditEvent.actor_id, isouter=True)  # type: ignore[arg-type]
        .where(AuditEvent.incident_id == incident_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())  # type: ignore[attr-defined,union-attr]
        .limit(200)
    ).all()
    language = lang()
    trail = []
    for event, actor in rows:
        en, nl = ACTION_LABELS.get(event.action, (event.action, event.action))
        detail = event.details
        fields = [
            QUESTIONS[k].label.get(language) for k in detail.get("fields", []) if k in QUESTIONS
        ]
        trail.append(
            {
                "at": event.at,
                "action": nl if language == "nl" else en,
                "actor": actor.name if actor else "—",
                "fields": fields,
                "version": detail.get("version"),
                "via": detail.get("via"),
            }
        )
    return trail


@get("/incidents/{incident_id:uuid}", name="incident")
@in_thread
def incident_page(request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID]) -> Template:
    user = user_of(request)
    settings = settings_of(request)
    with session_scope(engine_of(request), write=not user.is_staff) as session:
        incident = service.visible_incident(session, user, incident_id)
        if incident.status == IncidentStatus.draft:
            return Redirect(
                request.app.route_reverse("incident_tasks", incident_id=incident.id),
                status_code=303,
            )  # type: ignore[return-value]
        pairs = service.notices_of(session, user, incident.id)
        names = {org.slug: org.name for _, org in pairs}
        answers = service.answers_for(user, incident.answers)
        versions = service.versions_of(session, incident.id)
        authors = {
            u.id: u.name
            for u in session.exec(
                select(User).where(User.id.in_({v.created_by_id for v in versions}))
            ).all()
        }  # type: ignore[union-attr]
        if not user.is_staff:
            audit.record(
                session,
                "incident.viewed",
                actor_id=user.id,
                incident_id=incident.id,
                organisation_id=user.organisation_id,
            )
        trail = _audit_trail(session, incident.id) if user.is_staff else []
        timeline = _timeline_context(session, user, incident, pairs, settings)
    return Template(
        "incidents/incident.html",
        context={
            **timeline,
            "incident": incident,
            "notices": pairs,
            "sections": _summary(answers, settings, names),
            "versions": versions,
            "authors": authors,
            "trail": trail,
            "needs_sending": notices.needs_sending,
            "to_send": sum(1 for n, _o in pairs if notices.needs_sending(incident, n)),
            "assessment": assessment_of(incident),
            "overrides": [
                (org.name, n.assessment_override)
                for n, org in pairs
                if n.assessment_override and n.removed_at is None
            ],
        },
    )


def _timeline_context(
    session: Session,
    user: CurrentUser,
    incident: Incident,
    pairs: list[tuple[Any, Organisation]],
    settings: Settings,
) -> dict[str, Any]:
    now = utcnow()
    current = [(n, o) for n, o in pairs if n.removed_at is None]
    obligations = service.obligations_of(session, user, incident, now, notices=pairs)
    items = timeline.build_items(incident, current, obligations, settings.zone)
    names = {org.slug: org.name for _, org in current}
    return {
        "now": now,
        "items": items,
        "axis": timeline.axis_svg(items, now),
        "owed": owed(obligations),
        "late": [o for o in obligations if o.late],
        "names": names,
        "countdown": timeline.countdown,
        "regime_label": timeline.regime_label,
    }


@get("/incidents/{incident_id:uuid}/deadlines", name="incident_deadlines")
@in_thread
def deadlines_fragment(
    request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID]
) -> Template:
    """The live countdowns of one incident (refreshed by htmx every minute)."""
    user = user_of(request)
    settings = settings_of(request)
    with session_scope(engine_of(request)) as session:
        incident = service.visible_incident(session, user, incident_id)
        pairs = service.notices_of(session, user, incident.id)
        context = _timeline_context(session, user, incident, pairs, settings)
    return Template("incidents/_deadlines.html", context={**context, "incident": incident})


@post(
    "/incidents/{incident_id:uuid}/obligations/{controller:str}/{key:str}/reason",
    name="obligation_reason",
    status_code=200,
)
@in_thread
def late_reason(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    controller: FromPath[str],
    key: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Redirect:
    """Record why a duty was (or is) late (Art. 33(1)). The processor's duty is for staff to
    explain; a controller's duties for that controller's privacy officer."""
    user = user_of(request)
    reason = clean_text(str(data.get("reason", "")))
    with session_scope(engine_of(request), write=True) as session:
        incident = service.visible_incident(session, user, incident_id)
        pairs = {
            org.slug: (notice, org)
            for notice, org in service.notices_of(session, user, incident.id)
        }
        obligation = next(
            (
                o
                for o in service.obligations_of(session, user, incident)
                if o.controller == controller and o.key == key
            ),
            None,
        )
        if controller not in pairs or obligation is None:
            raise NotFoundException()
        allowed = (
            user.is_staff if key == "processor_notice" else user.organisation_slug == controller
        )
        if not allowed:
            raise PermissionDeniedException("Only the party that owes this duty explains its delay")
        if not obligation.late:
            flash(request, _("This duty is not late; no reason is needed."), "warning")
        elif not reason or len(reason) > 4000:
            flash(request, _("Enter the reason for the delay (at most 4000 characters)."), "error")
        else:
            service.record_late_reason(session, pairs[controller][0], key, reason, user)
            flash(request, _("The reason for the delay has been recorded."))
    url = request.app.route_reverse("incident", incident_id=incident_id)
    return Redirect(url + "#timeline", status_code=303)


@get("/incidents/{incident_id:uuid}/versions/{number:int}", name="incident_version")
@in_thread
def version_page(
    request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID], number: FromPath[int]
) -> Template:
    user = user_of(request)
    settings = settings_of(request)
    with session_scope(engine_of(request)) as session:
        incident = service.visible_incident(session, user, incident_id)
        version = session.exec(
            select(IncidentVersion).where(
                IncidentVersion.incident_id == incident.id, IncidentVersion.version == number
            )
        ).first()
        if version is None:
            raise NotFoundException()
        author = session.get(User, version.created_by_id)
        names = {org.slug: org.name for _, org in service.notices_of(session, user, incident.id)}
        answers = service.answers_for(user, version.answers)
    return Template(
        "incidents/version.html",
        context={
            "incident": incident,
            "version": version,
            "author": author.name if author else "—",
            "sections": _summary(answers, settings, names),
        },
    )


@get("/incidents/{incident_id:uuid}/changes", name="incident_changes")
@in_thread
def changes_page(request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID]) -> Template:
    user = user_of(request)
    settings = settings_of(request)
    with session_scope(engine_of(request)) as session:
        incident = service.visible_incident(session, user, incident_id)
        versions = {v.version: v for v in service.versions_of(session, incident.id)}
        names = {org.slug: org.name for _, org in service.notices_of(session, user, incident.id)}
    params = request.query_params
    old_number = whole_number(params["from"]) if "from" in params else incident.version - 1
    new_number = whole_number(params["to"]) if "to" in params else incident.version
    if old_number not in versions or new_number not in versions:
        raise NotFoundException()
    old = service.answers_for(user, versions[old_number].answers)
    new = service.answers_for(user, versions[new_number].answers)
    rows = answer_changes(old, new, lang(), settings.zone, names)
    return Template(
        "incidents/changes.html",
        context={
            "incident": incident,
            "rows": rows,
            "old": versions[old_number],
            "new": versions[new_number],
            "numbers": sorted(versions),
        },
    )


handlers = [
    register_view,
    export_csv,
    export_json,
    start_page,
    start,
    task_list,
    step_page,
    step_save,
    submit,
    incident_page,
    deadlines_fragment,
    late_reason,
    version_page,
    changes_page,
]
