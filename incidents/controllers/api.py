"""The JSON API under /api/v1 (bearer tokens), validated by the same forms/ code as the
browser. Errors: ``{"errors": [{"field": ..., "message": ...}]}`` listing every problem."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC
from typing import Annotated, Any

from litestar import Request, get, patch, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.response import Response
from msgspec import Struct
from sqlmodel import Session

from forms.answers import FieldError, validate, whole_number
from forms.decision import ACT_FIELDS, validate_act, validate_decision, validate_override
from forms.questionnaire import QUESTIONS, Question, Text
from incidents import audit, notices, register, service
from incidents.controllers.common import engine_of, in_thread, settings_of, user_of
from incidents.db import session_scope
from incidents.errors import Invalid, Problem
from incidents.i18n import current_language
from incidents.i18n import gettext as _
from incidents.models import Incident, IncidentStatus, Notice, Organisation, utcnow
from incidents.principal import CurrentUser
from notify.assessment import LEVELS, Assessment, assessment_of
from notify.obligations import Obligation

CONTROL_KEYS = {"draft", "submit", "note"}
PATCH_CONTROL_KEYS = CONTROL_KEYS | {"version"}
NOTE_MAX = 2000
_BOOLEAN = Text("true or false", "true of false")
_VERSION = Text("the version number, like 3", "het versienummer, zoals 3")
VERSION_HELP = (
    "The version of the incident this change is based on (its `version`); when the "
    "incident has moved on since, nothing is changed and the answer is 409 with the "
    "current version"
)
IF_MATCH = re.compile(r'^\s*(?:W/)?(?:"([0-9]{1,9})"|([0-9]{1,9}))\s*$')
_TEXT = Text("text", "tekst")


# --- response bodies ------------------------------------------------------------------


class Me(Struct):
    id: int
    email: str
    name: str
    role: str
    organisation: str
    organisation_kind: str


class ObligationOut(Struct):
    key: str
    controller: str
    starts_at: str | None
    due_at: str | None
    status: str
    met_at: str | None


class NoticeOut(Struct):
    controller: str
    version: int  # how many notices (first and follow-ups) this controller has been sent
    incident_version: int | None  # the incident version it was last sent
    sent_at: str | None
    delivered_at: str | None
    acknowledged_at: str | None
    decision: dict[str, Any] | None
    assessment_override: dict[str, Any] | None  # the officer's own estimate, with its reason


class SendOut(Struct):
    sent: bool  # False: this version had been sent to the controller already
    notice: NoticeOut


class RecommendationOut(Struct):
    notify_authority: bool
    inform_data_subjects: bool
    art34_ground: str | None
    reasons: list[str]


class AssessmentOut(Struct):
    """The ENISA severity assessment computed from the answers, with its advice."""

    dpc: float
    ei: float
    cb: float
    score: float
    level: str
    flags: list[str]
    explanation: list[str]
    recommendation: RecommendationOut


class IncidentOut(Struct):
    id: str
    reference: str | None
    status: str
    version: int
    created_at: str
    updated_at: str
    submitted_at: str | None
    answers: dict[str, Any]
    assessment: AssessmentOut
    obligations: list[ObligationOut]
    notices: list[NoticeOut]


class IncidentList(Struct):
    items: list[IncidentOut]
    next_cursor: str | None


class ErrorItem(Struct):
    field: str | None
    message: str


class Errors(Struct):
    errors: list[ErrorItem]


class VersionConflictOut(Struct):
    errors: list[ErrorItem]
    current_version: int  # send the change again based on this version, if still wanted


ERROR_RESPONSES = {
    400: ResponseSpec(Errors, description="The request is malformed; every problem is listed"),
    401: ResponseSpec(Errors, description="No valid bearer token"),
    403: ResponseSpec(Errors, description="The token's role may not do this"),
    404: ResponseSpec(Errors, description="No such incident, or not visible to this token"),
    422: ResponseSpec(
        Errors, description="The answers break the questionnaire's rules; every problem is listed"
    ),
}


# --- the request body schema, from the questionnaire ----------------------------------


def _answer_schema(question: Question) -> Schema:
    text = question.label.en
    if question.kind in {"text", "textarea", "email", "phone"}:
        return Schema(
            type=[OpenAPIType.STRING, OpenAPIType.NULL],
            max_length=question.max_length,
            description=text,
            format="email" if question.kind == "email" else None,
        )
    if question.kind == "integer":
        return Schema(type=[OpenAPIType.INTEGER, OpenAPIType.NULL], minimum=0, description=text)
    if question.kind == "single":
        return Schema(
            type=[OpenAPIType.STRING, OpenAPIType.NULL],
            enum=[*question.values, None],
            description=text,
        )
    if question.kind == "multi":
        items = Schema(type=OpenAPIType.STRING, enum=list(question.values))
        return Schema(type=[OpenAPIType.ARRAY, OpenAPIType.NULL], items=items, description=text)
    if question.kind == "countries":
        items = Schema(
            type=OpenAPIType.STRING,
            pattern="^[A-Za-z]{2}$",
            description="ISO 3166-1 alpha-2 code of an EU/EEA state",
        )
        return Schema(type=[OpenAPIType.ARRAY, OpenAPIType.NULL], items=items, description=text)
    if question.kind == "controllers":
        items = Schema(type=OpenAPIType.STRING, description="Controller slug")
        return Schema(type=[OpenAPIType.ARRAY, OpenAPIType.NULL], items=items, description=text)
    description = text + (
        ". ISO 8601 with an offset; a date alone (YYYY-MM-DD) means the whole day."
        if question.day_only_allowed
        else ". ISO 8601 with an offset, e.g. 2026-03-27T10:00:00+01:00."
    )
    return Schema(type=[OpenAPIType.STRING, OpenAPIType.NULL], description=description)


def answers_schema(*, with_controls: bool, with_version: bool = False) -> Schema:
    properties: dict[str, Schema] = {key: _answer_schema(q) for key, q in QUESTIONS.items()}
    if with_version:
        properties["version"] = Schema(
            type=OpenAPIType.INTEGER, minimum=0, description=VERSION_HELP + " (or If-Match)"
        )
    if with_controls:
        properties["draft"] = Schema(
            type=OpenAPIType.BOOLEAN, description="Save a draft without the submit checks"
        )
        properties["submit"] = Schema(
            type=OpenAPIType.BOOLEAN, description="PATCH of a draft: submit it after saving"
        )
        properties["note"] = Schema(
            type=OpenAPIType.STRING, max_length=NOTE_MAX, description="What changed and why"
        )
    return Schema(type=OpenAPIType.OBJECT, properties=properties, additional_properties=False)


def _body_operation(schema: Schema, description: str | None = None) -> type[Operation]:
    """An operation whose JSON request body is ``schema`` (for bodies taken as a plain dict
    and validated by forms/, which Litestar cannot describe by itself)."""

    @dataclass
    class _Operation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                content={"application/json": OpenAPIMediaType(schema=schema)},
                required=True,
                description=description,
            )

    return _Operation


_AnswersOperation = _body_operation(
    answers_schema(with_controls=True),
    "Questionnaire answers by key (../shared/spec/questionnaire.md)",
)
_ChangeOperation = _body_operation(
    answers_schema(with_controls=True, with_version=True),
    "Answers to change by key (null removes one), with the controls and the version the "
    "change is based on",
)


# --- helpers --------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    """An instant as ISO 8601 in UTC with Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _problems(status: int, errors: list[FieldError], language: str) -> Response[Any]:
    return Response(
        {"errors": [e.as_json(language) for e in errors]},
        status_code=status,
        media_type="application/json",
    )


def incident_out(
    session: Session,
    user: CurrentUser,
    incident: Incident,
    notices: list[tuple[Notice, Organisation]] | None = None,
    obligations: list[Obligation] | None = None,
) -> IncidentOut:
    """The incident as JSON. ``notices`` and ``obligations`` when the caller has them (a
    register page, or a just-created incident); otherwise they are read here."""
    if notices is None:
        notices = service.notices_of(session, user, incident.id)
    if obligations is None:
        obligations = service.obligations_of(session, user, incident, notices=notices)
    return IncidentOut(
        id=str(incident.id),
        reference=incident.reference,
        status=incident.status,
        version=incident.version,
        created_at=_iso(incident.created_at) or "",
        updated_at=_iso(incident.updated_at) or "",
        submitted_at=_iso(incident.submitted_at),
        answers=service.answers_for(user, incident.answers),
        assessment=assessment_out(assessment_of(incident)),
        obligations=[
            ObligationOut(
                key=o.key,
                controller=o.controller,
                starts_at=_iso(o.starts_at),
                due_at=_iso(o.due_at),
                status=o.status,
                met_at=_iso(o.met_at),
            )
            for o in obligations
        ],
        notices=[notice_out(notice, org) for notice, org in notices if notice.removed_at is None],
    )


def assessment_out(result: Assessment) -> AssessmentOut:
    data = result.as_json(current_language.get())
    return AssessmentOut(**{**data, "recommendation": RecommendationOut(**data["recommendation"])})


def notice_out(notice: Notice, org: Organisation) -> NoticeOut:
    return NoticeOut(
        controller=org.slug,
        version=notice.version,
        incident_version=notice.incident_version,
        sent_at=_iso(notice.sent_at),
        delivered_at=_iso(notice.delivered_at),
        acknowledged_at=_iso(notice.acknowledged_at),
        decision=notice.decision,
        assessment_override=notice.assessment_override,
    )


def _require_staff(user: CurrentUser) -> None:
    if not user.is_staff:
        raise PermissionDeniedException("Only processor staff may file or change incidents")


def _split(
    data: dict[str, Any], control_keys: set[str] = CONTROL_KEYS
) -> tuple[dict[str, Any], dict[str, Any], list[FieldError]]:
    answers = {k: v for k, v in data.items() if k not in control_keys}
    controls = {k: data[k] for k in control_keys if k in data}
    errors = []
    for key in ("draft", "submit"):
        if key in controls and not isinstance(controls[key], bool):
            errors.append(FieldError(key, "wrong_type", {"expected": _BOOLEAN}))
    version = controls.get("version")
    if "version" in controls and (
        isinstance(version, bool) or not isinstance(version, int) or version < 0
    ):
        errors.append(FieldError("version", "wrong_type", {"expected": _VERSION}))
    if "note" in controls and not isinstance(controls["note"], str):
        errors.append(FieldError("note", "wrong_type", {"expected": _TEXT}))
    elif len(controls.get("note") or "") > NOTE_MAX:
        errors.append(FieldError("note", "too_long", {"max": NOTE_MAX}))
    return answers, controls, errors


# --- endpoints ------------------------------------------------------------------------


@get(
    "/api/v1/me",
    name="api_me",
    tags=["account"],
    sync_to_thread=False,
    responses={401: ERROR_RESPONSES[401]},
)
def me(request: Request[Any, Any, Any]) -> Me:
    """The user the token belongs to."""
    user = user_of(request)
    return Me(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        organisation=user.organisation_slug,
        organisation_kind=user.organisation_kind,
    )


@post(
    "/api/v1/incidents",
    name="api_incident_create",
    tags=["incidents"],
    operation_class=_AnswersOperation,
    responses={k: v for k, v in ERROR_RESPONSES.items() if k != 404},
    status_code=201,
)
@in_thread
def create_incident(request: Request[Any, Any, Any], data: JSONBody[dict[str, Any]]) -> IncidentOut:
    """File an incident. With ``"draft": true`` it is saved as a draft without the submit
    checks; otherwise every required answer must be there and it is submitted at once."""
    user = user_of(request)
    _require_staff(user)
    language = current_language.get()  # English for the API unless Dutch is asked
    answers, controls, errors = _split(data)
    draft = bool(controls.get("draft", False))
    with session_scope(engine_of(request)) as session:
        ctx, controllers = service.filing_context(session, settings_of(request))
    result = validate(answers, ctx, complete=not draft, strict=True)
    if errors or result.errors:
        return _problems(422, errors + result.errors, language)  # type: ignore[return-value]
    with session_scope(engine_of(request), write=True) as session:
        if draft:
            incident = service.create_draft(session, user, result.answers, via="api")
            return incident_out(session, user, incident)
        incident, pairs = service.file_submitted(
            session, user, result.answers, ctx, controllers, via="api"
        )
        obligations = service.obligations_of(
            session, user, incident, notices=pairs, records={n.id: [] for n, _o in pairs}
        )
    return incident_out(session, user, incident, notices=pairs, obligations=obligations)


@get(
    "/api/v1/incidents",
    name="api_incident_list",
    tags=["incidents"],
    responses={400: ERROR_RESPONSES[400], 401: ERROR_RESPONSES[401]},
)
@in_thread
def list_incidents(request: Request[Any, Any, Any]) -> IncidentList:
    """The register, newest first. Filters: ``status``, ``controller``, ``q`` (reference or
    summary), ``since`` and ``until`` (discovery date or date-time), ``sort``; pages with
    ``limit`` (1-200) and the ``next_cursor`` of the previous page as ``cursor``."""
    user = user_of(request)
    params = request.query_params
    try:
        limit = _limit(params.get("limit"))
        filters = register.make_filters(
            settings_of(request).zone,
            status=params.get("status"),
            controller=params.get("controller"),
            q=params.get("q"),
            since=params.get("since"),
            until=params.get("until"),
            sort=params.get("sort"),
            cursor=params.get("cursor"),
            limit=limit,
        )
    except ValueError as exc:
        field_name = exc.field if isinstance(exc, register.FilterError) else "limit"
        message = (
            str(exc) if isinstance(exc, register.FilterError) else "Use a number from 1 to 200"
        )
        return Response({"errors": [{"field": field_name, "message": message}]}, status_code=400)  # type: ignore[return-value]
    with session_scope(engine_of(request)) as session:
        page = register.register_page(session, user, filters)
        items = [
            incident_out(
                session, user, row.incident, notices=row.notices, obligations=row.obligations
            )
            for row in page.rows
        ]
    return IncidentList(items=items, next_cursor=page.next_cursor)


def _limit(text: str | None) -> int | None:
    """The page size asked for: digits 0-9 only (register.make_filters checks the range)."""
    if not text:
        return None
    number = whole_number(text)
    if number is None:
        raise ValueError("limit")
    return number


@get(
    "/api/v1/incidents/{incident_id:uuid}",
    name="api_incident",
    tags=["incidents"],
    responses={401: ERROR_RESPONSES[401], 404: ERROR_RESPONSES[404]},
)
@in_thread
def get_incident(request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID]) -> IncidentOut:
    """One incident: answers, obligations and notices (an officer sees only their own)."""
    user = user_of(request)
    with session_scope(engine_of(request), write=not user.is_staff) as session:
        incident = service.visible_incident(session, user, incident_id)
        if not user.is_staff:
            audit.record(
                session,
                "incident.viewed",
                actor_id=user.id,
                incident_id=incident.id,
                organisation_id=user.organisation_id,
                via="api",
            )
        return incident_out(session, user, incident)


VERSION_CONFLICT = ResponseSpec(
    VersionConflictOut,
    description="The incident has moved on from the version the change was based on "
    "(If-Match or `version`); nothing was changed. `current_version` names the version now",
)


def _base_version(
    if_match: str | None, controls: dict[str, Any]
) -> tuple[list[int], list[FieldError]]:
    """The versions the change says it is based on: the If-Match header (``3``, ``"3"``
    or ``W/"3"``; ``*`` says none) and the body's ``version``."""
    bases: list[int] = []
    errors: list[FieldError] = []
    if if_match is not None and if_match.strip() != "*":
        match = IF_MATCH.match(if_match)
        if match is None:
            errors.append(FieldError("If-Match", "wrong_type", {"expected": _VERSION}))
        else:
            bases.append(int(match.group(1) or match.group(2)))
    version = controls.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version >= 0:
        bases.append(version)  # anything else is listed by _split as a problem (422)
    return bases, errors


def _version_conflict(exc: service.VersionConflict) -> Response[Any]:
    message = _(
        "The incident has changed since the version this change is based on: it is now at "
        "version %(version)s. Nothing was changed; read it again and send your change based "
        "on that version."
    ) % {"version": exc.current}
    return Response(
        {"errors": [{"field": "version", "message": message}], "current_version": exc.current},
        status_code=409,
        media_type="application/json",
    )


@patch(
    "/api/v1/incidents/{incident_id:uuid}",
    name="api_incident_update",
    tags=["incidents"],
    operation_class=_ChangeOperation,
    responses={**ERROR_RESPONSES, 409: VERSION_CONFLICT},
)
@in_thread
def update_incident(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    data: JSONBody[dict[str, Any]],
    if_match: Annotated[
        str | None, HeaderParameter(name="If-Match", required=False, description=VERSION_HELP)
    ] = None,
) -> IncidentOut:
    """Change answers (a key with ``null`` removes the answer). A draft is saved (and
    submitted with ``"submit": true``); a submitted incident is corrected or supplemented:
    the result must be complete, and it becomes a new version (Art. 33(4)).

    Changes of one incident take turns: each is made on what the one before it saved.
    To be sure that nobody changed the incident since you read it, send the version you
    read as ``If-Match: "3"`` or ``"version": 3``; if it has moved on, nothing is changed
    and the answer is 409 naming the current version."""
    user = user_of(request)
    language = current_language.get()  # English for the API unless Dutch is asked
    answers, controls, errors = _split(data, PATCH_CONTROL_KEYS)
    bases, base_errors = _base_version(if_match, controls)
    with session_scope(engine_of(request), write=True) as session:
        incident = service.visible_incident(session, user, incident_id, lock=True)
        _require_staff(user)
        if base_errors:
            return _problems(400, base_errors, language)  # type: ignore[return-value]
        try:
            for base in bases:
                service.check_version(incident, base)
        except service.VersionConflict as exc:
            return _version_conflict(exc)  # type: ignore[return-value]
        ctx = service.validation_context(session, settings_of(request))
        unknown = [FieldError(str(k)[:80], "unknown_key") for k in answers if k not in QUESTIONS]
        merged = {**incident.answers, **answers}
        merged = {k: v for k, v in merged.items() if v is not None}
        submitted = incident.status != IncidentStatus.draft
        submitting = submitted or bool(controls.get("submit"))
        result = validate(merged, ctx, complete=submitting, strict=True)
        problems = errors + unknown + [e for e in result.errors if e.code != "unknown_key"]
        if problems:
            return _problems(422, problems, language)  # type: ignore[return-value]
        if submitted:
            service.correct(
                session,
                incident,
                result.answers,
                user,
                note=str(controls.get("note", "")),
                via="api",
            )
        else:
            service.save_draft(session, incident, result.answers, user, step=None, via="api")
            if controls.get("submit") and (
                problems := service.submit(session, incident, user, ctx, via="api")
            ):
                session.rollback()  # checked above already; nothing half-written either way
                return _problems(422, problems, language)  # type: ignore[return-value]
        return incident_out(session, user, incident)


# --- notices ------------------------------------------------------------------------------

NOTICE_PATH = "/api/v1/incidents/{incident_id:uuid}/notices/{controller:str}"
NOTICE_ERRORS = {
    400: ERROR_RESPONSES[400],
    401: ERROR_RESPONSES[401],
    403: ResponseSpec(
        Errors,
        description="Only the controller's own privacy officer may do this (staff: only send)",
    ),
    404: ResponseSpec(
        Errors, description="No such incident or notice, or not visible to this token"
    ),
}


def _object_schema(properties: dict[str, Schema], required: list[str]) -> Schema:
    return Schema(
        type=OpenAPIType.OBJECT,
        properties=properties,
        required=required,
        additional_properties=False,
    )


_STR = Schema(type=OpenAPIType.STRING)
_BOOL = Schema(type=OpenAPIType.BOOLEAN)
_INSTANT = Schema(type=OpenAPIType.STRING, description="ISO 8601 with an offset, not in the future")
DECISION_SCHEMA = _object_schema(
    {
        "is_breach": _BOOL,
        "notify_authority": _BOOL,
        "authority_reason": Schema(
            type=OpenAPIType.STRING, max_length=4000, description="Required either way"
        ),
        "inform_data_subjects": _BOOL,
        "data_subjects_reason": Schema(
            type=OpenAPIType.STRING,
            max_length=4000,
            description="Required unless an Art. 34(3) ground is given",
        ),
        "art34_ground": Schema(
            type=[OpenAPIType.STRING, OpenAPIType.NULL],
            enum=["unintelligible", "risk_removed", "disproportionate_effort", None],
        ),
        "nis2_significant": Schema(
            type=[OpenAPIType.BOOLEAN, OpenAPIType.NULL],
            description="Required for a NIS2 entity when it is a breach",
        ),
        "late_reason": Schema(
            type=OpenAPIType.STRING,
            max_length=4000,
            description="Required when the 72 hours have passed and the authority is notified",
        ),
    },
    ["is_breach", "authority_reason"],
)
OVERRIDE_SCHEMA = _object_schema(
    {
        "level": Schema(type=OpenAPIType.STRING, enum=list(LEVELS)),
        "notify_authority": _BOOL,
        "inform_data_subjects": _BOOL,
        "reason": Schema(
            type=OpenAPIType.STRING,
            max_length=4000,
            description="Why the officer assesses it differently",
        ),
    },
    ["level", "notify_authority", "inform_data_subjects", "reason"],
)
ACT_SCHEMAS = {
    "gdpr_authority": _object_schema(
        {
            "notified_at": _INSTANT,
            "reference": Schema(type=OpenAPIType.STRING, max_length=200),
            "late_reason": Schema(type=OpenAPIType.STRING, max_length=4000),
        },
        ["notified_at", "reference"],
    ),
    "gdpr_data_subjects": _object_schema(
        {
            "informed_at": _INSTANT,
            "channel": Schema(type=OpenAPIType.STRING, max_length=200),
            "late_reason": Schema(type=OpenAPIType.STRING, max_length=4000),
        },
        ["informed_at", "channel"],
    ),
}


@post(
    NOTICE_PATH + "/send",
    name="api_notice_send",
    tags=["notices"],
    status_code=200,
    responses={
        **NOTICE_ERRORS,
        409: ResponseSpec(
            Errors, description="The incident is a draft, or the controller has no address"
        ),
    },
)
@in_thread
def send_notice(
    request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID], controller: FromPath[str]
) -> SendOut:
    """Send the notice (or, after a correction, the follow-up) to this controller. Sending
    the same incident version again sends nothing and answers ``"sent": false``."""
    user = user_of(request)
    with session_scope(engine_of(request)) as session:
        notices.notice_for(session, user, incident_id, controller)  # 404 before 403
    if user.is_officer:
        raise NotFoundException()  # an officer has no send route, as on the pages
    _require_staff(user)
    try:
        results = notices.send_notices(engine_of(request), user, incident_id, [controller])
    except notices.NoticeError as exc:
        return Response({"errors": [{"field": None, "message": str(exc)}]}, status_code=409)  # type: ignore[return-value]
    with session_scope(engine_of(request)) as session:
        _incident, notice, org = notices.notice_for(session, user, incident_id, controller)
        return SendOut(sent=any(r.sent for r in results), notice=notice_out(notice, org))


@post(
    NOTICE_PATH + "/acknowledge",
    name="api_notice_acknowledge",
    tags=["notices"],
    status_code=200,
    responses=NOTICE_ERRORS,
)
@in_thread
def acknowledge_notice(
    request: Request[Any, Any, Any], incident_id: FromPath[uuid.UUID], controller: FromPath[str]
) -> NoticeOut:
    """The controller's privacy officer confirms receipt (the first time counts)."""
    user = user_of(request)
    with session_scope(engine_of(request), write=True) as session:
        _incident, notice, org = notices.notice_for(session, user, incident_id, controller)
        notices.acknowledge(session, notice, org, user)
        return notice_out(notice, org)


@post(
    NOTICE_PATH + "/decision",
    name="api_notice_decision",
    tags=["notices"],
    status_code=200,
    operation_class=_body_operation(DECISION_SCHEMA),
    responses={**NOTICE_ERRORS, 422: ERROR_RESPONSES[422]},
)
@in_thread
def decide_notice(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    controller: FromPath[str],
    data: JSONBody[dict[str, Any]],
) -> NoticeOut:
    """The officer's decision; each call records a new version."""
    user = user_of(request)
    with session_scope(engine_of(request), write=True) as session:
        incident, notice, org = notices.notice_for(session, user, incident_id, controller)
        notices.require_officer_of(user, org)
        late = notices.delay_unexplained(session, user, incident, notice, org, utcnow())
        result = validate_decision(data, nis2=org.nis2, late=late, strict=True)
        if result.errors:
            return _problems(422, result.errors, current_language.get())  # type: ignore[return-value]
        notices.decide(session, notice, org, user, result.decision, result.late_reason)
        return notice_out(notice, org)


@post(
    NOTICE_PATH + "/assessment",
    name="api_notice_assessment",
    tags=["notices"],
    status_code=200,
    operation_class=_body_operation(OVERRIDE_SCHEMA),
    responses={**NOTICE_ERRORS, 422: ERROR_RESPONSES[422]},
)
@in_thread
def override_assessment(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    controller: FromPath[str],
    data: JSONBody[dict[str, Any]],
) -> NoticeOut:
    """The officer's own estimate of the severity and advice, with the reason. Kept beside
    the computed assessment (never instead of it); each call records a new version."""
    user = user_of(request)
    with session_scope(engine_of(request), write=True) as session:
        incident, notice, org = notices.notice_for(session, user, incident_id, controller)
        notices.require_officer_of(user, org)
        result = validate_override(data, levels=LEVELS, strict=True)
        if result.errors:
            return _problems(422, result.errors, current_language.get())  # type: ignore[return-value]
        notices.override_assessment(session, incident, notice, org, user, result.override)
        return notice_out(notice, org)


def _act(
    request: Request[Any, Any, Any],
    incident_id: uuid.UUID,
    controller: str,
    key: str,
    data: dict[str, Any],
) -> NoticeOut:
    user = user_of(request)
    with session_scope(engine_of(request), write=True) as session:
        incident, notice, org = notices.notice_for(session, user, incident_id, controller)
        notices.require_officer_of(user, org)
        result = validate_act(key, data, now=utcnow(), earliest=incident.discovered_at, strict=True)
        if result.errors:
            return _problems(422, result.errors, current_language.get())  # type: ignore[return-value]
        if result.met_at is None:  # validate_act names the field when it has no instant
            raise Invalid([Problem(ACT_FIELDS[key][0], "required")])
        notices.record_act(
            session,
            notice,
            org,
            user,
            key,
            met_at=result.met_at,
            text=result.text,
            late_reason=result.late_reason,
        )
        return notice_out(notice, org)


@post(
    NOTICE_PATH + "/authority-notified",
    name="api_notice_authority",
    tags=["notices"],
    status_code=200,
    operation_class=_body_operation(ACT_SCHEMAS["gdpr_authority"]),
    responses={**NOTICE_ERRORS, 422: ERROR_RESPONSES[422]},
)
@in_thread
def authority_notified(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    controller: FromPath[str],
    data: JSONBody[dict[str, Any]],
) -> NoticeOut:
    """When the controller notified the supervisory authority, and the authority's number.
    Meets the 72-hour duty."""
    return _act(request, incident_id, controller, "gdpr_authority", data)


@post(
    NOTICE_PATH + "/data-subjects-informed",
    name="api_notice_data_subjects",
    tags=["notices"],
    status_code=200,
    operation_class=_body_operation(ACT_SCHEMAS["gdpr_data_subjects"]),
    responses={**NOTICE_ERRORS, 422: ERROR_RESPONSES[422]},
)
@in_thread
def data_subjects_informed(
    request: Request[Any, Any, Any],
    incident_id: FromPath[uuid.UUID],
    controller: FromPath[str],
    data: JSONBody[dict[str, Any]],
) -> NoticeOut:
    """When and how the persons were informed (Art. 34)."""
    return _act(request, incident_id, controller, "gdpr_data_subjects", data)


handlers = [
    me,
    create_incident,
    list_incidents,
    get_incident,
    update_incident,
    send_notice,
    acknowledge_notice,
    decide_notice,
    override_assessment,
    authority_notified,
    data_subjects_informed,
]
