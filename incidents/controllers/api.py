"""The JSON API for incidents under /api/v1 (bearer tokens), validated by the same forms/
code as the browser. Errors: ``{"errors": [{"field": ..., "message": ...}]}`` listing every problem."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.response import Response

from forms.answers import FieldError, validate, whole_number
from forms.questionnaire import QUESTIONS
from incidents import audit, register, service
from incidents.controllers.api_common import (
    _VERSION,
    ERROR_RESPONSES,
    IF_MATCH,
    PATCH_CONTROL_KEYS,
    VERSION_HELP,
    IncidentList,
    IncidentOut,
    Me,
    VersionConflictOut,
    _problems,
    _require_staff,
    _split,
    incident_out,
)
from incidents.controllers.api_schema import _AnswersOperation, _ChangeOperation
from incidents.controllers.common import engine_of, in_thread, settings_of, user_of
from incidents.db import session_scope
from incidents.i18n import current_language
from incidents.i18n import gettext as _
from incidents.models import IncidentStatus


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


handlers = [me, create_incident, list_incidents, get_incident, update_incident]
