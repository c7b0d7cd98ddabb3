"""The JSON API for notices: send, acknowledge, decide, the officer's estimate and the
controller's acts (authority notified, persons informed)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, post
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import FromPath, JSONBody
from litestar.response import Response

from forms.decision import ACT_FIELDS, validate_act, validate_decision, validate_override
from incidents import notices
from incidents.controllers.api_common import (
    ERROR_RESPONSES,
    Errors,
    NoticeOut,
    SendOut,
    _problems,
    _require_staff,
    notice_out,
)
from incidents.controllers.api_schema import _body_operation
from incidents.controllers.common import engine_of, in_thread, user_of
from incidents.db import session_scope
from incidents.errors import Invalid, Problem
from incidents.i18n import current_language
from incidents.models import utcnow
from notify.assessment import LEVELS

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
    send_notice,
    acknowledge_notice,
    decide_notice,
    override_assessment,
    authority_notified,
    data_subjects_informed,
]
