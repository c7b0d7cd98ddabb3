"""The JSON API for incidents under /api/v1 (bearer tokens), validated by the same forms/
code as the browser. Errors: ``{"errors": [{"field": ..., "message": ...}]}`` listing every problem."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, JSONBody
from litestar.response import Response
from litestar.types import ControllerRouterHandler

from forms.values import FieldError
from incidents import register, service
from incidents.clock import now
from incidents.controllers.api_common import (
    _VERSION,
    ERROR_RESPONSES,
    IF_MATCH,
    PATCH_CONTROL_KEYS,
    VERSION_HELP,
    CloseIn,
    Errors,
    IncidentList,
    IncidentOut,
    Me,
    NoticeList,
    ObligationList,
    VersionConflictOut,
    _problems,
    _split,
    error_responses,
    incident_out,
    notice_out,
    obligation_out,
    page_params,
    slug_cursor,
)
from incidents.controllers.api_schema import _AnswersOperation, _ChangeOperation
from incidents.controllers.common import (
    Config,
    Db,
    IncidentId,
    Principal,
    Reply,
    in_thread,
    one_error,
)
from incidents.i18n import current_language
from incidents.i18n import gettext as _
from incidents.usecases import incidents
from incidents.usecases import register as register_uc
from incidents.usecases import statistics as statistics_cases

OBLIGATION_STATUSES = ("pending", "open", "met", "overdue", "not_applicable")
CONFLICT = ResponseSpec(Errors, description="The incident is not in a state that allows this")
LIFE = {**error_responses(401, 403, 404), 409: CONFLICT}  # deleting, reopening
CLOSE = {**error_responses(400, 401, 403, 404, 422), 409: CONFLICT}


@get(
    "/api/v1/me",
    name="api_me",
    tags=["account"],
    sync_to_thread=False,
    responses=error_responses(401),
)
def me(user: Principal) -> Me:
    """The user the token belongs to."""
    return Me(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        organisation=user.organisation_slug,
        organisation_kind=user.organisation_kind,
    )


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


class IncidentApiController(Controller):
    path = "/api/v1/incidents"
    tags = ["incidents"]

    @post(
        "/",
        name="api_incident_create",
        operation_class=_AnswersOperation,
        responses=error_responses(400, 401, 403, 422),
        status_code=201,
    )
    @in_thread
    def create_incident(
        self, engine: Db, user: Principal, settings: Config, data: JSONBody[dict[str, Any]]
    ) -> IncidentOut:
        """File an incident. With ``"draft": true`` it is saved as a draft without the submit
        checks; otherwise every required answer must be there and it is submitted at once."""
        answers, controls, errors = _split(data)
        submit = not controls.get("draft", False)
        view = incidents.create(
            engine,
            user,
            settings,
            answers,
            submit=submit,
            via="api",
            errors=errors,
            groups=controls.get("controller_groups"),
        )
        return incident_out(view)

    @get("/", name="api_incident_list", responses=error_responses(400, 401))
    @in_thread
    def list_incidents(
        self, request: Request[Any, Any, Any], engine: Db, user: Principal, settings: Config
    ) -> IncidentList:
        """The register, newest first. Filters: ``status``, ``controller``, ``q`` (reference or
        summary), ``since`` and ``until`` (discovery date or date-time), ``sort``; pages with
        ``limit`` (1-200) and the ``next_cursor`` of the previous page as ``cursor``."""
        params = request.query_params
        try:
            chosen = register_uc.filters(settings.zone, params, limit=params.get("limit"))
        except register.FilterError as exc:
            raise Reply(one_error(400, exc.field, str(exc))) from None
        views, next_cursor = register_uc.listing(engine, user, chosen)
        return IncidentList(items=[incident_out(v) for v in views], next_cursor=next_cursor)

    @get("/{incident_id:uuid}", name="api_incident", responses=error_responses(401, 404))
    @in_thread
    def get_incident(self, engine: Db, user: Principal, incident_id: IncidentId) -> IncidentOut:
        """One incident: answers, obligations and notices (an officer sees only their own)."""
        return incident_out(incidents.get(engine, user, incident_id))

    @get(
        "/{incident_id:uuid}/notices",
        name="api_incident_notices",
        responses=error_responses(400, 401, 404),
    )
    @in_thread
    def list_notices(
        self, request: Request[Any, Any, Any], engine: Db, user: Principal, incident_id: IncidentId
    ) -> NoticeList:
        """The incident's notices by controller slug, ``limit`` (1-500, default 100) at a
        time; the ``next_cursor`` of a page, sent back as ``cursor``, gives the next. An
        officer sees only their own."""
        found, _status, cursor = _notices_page(request, engine, user, incident_id)
        return NoticeList(items=[notice_out(n, o) for n, o in found.notices], next_cursor=cursor)

    @get(
        "/{incident_id:uuid}/obligations",
        name="api_incident_obligations",
        responses=error_responses(400, 401, 404),
    )
    @in_thread
    def list_obligations(
        self, request: Request[Any, Any, Any], engine: Db, user: Principal, incident_id: IncidentId
    ) -> ObligationList:
        """The incident's obligations, the duties of ``limit`` controllers (1-500, default
        100) at a time by slug, optionally only those with ``status`` (pending, open, met,
        overdue, not_applicable); ``next_cursor`` as for the notices."""
        found, status, cursor = _notices_page(
            request, engine, user, incident_id, OBLIGATION_STATUSES
        )
        items = [obligation_out(o) for o in found.obligations if status in (None, o.status)]
        return ObligationList(items=items, next_cursor=cursor)

    @patch(
        "/{incident_id:uuid}",
        name="api_incident_update",
        operation_class=_ChangeOperation,
        responses={**ERROR_RESPONSES, 409: VERSION_CONFLICT},
    )
    @in_thread
    def update_incident(
        self,
        engine: Db,
        user: Principal,
        settings: Config,
        incident_id: IncidentId,
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
        return _update(engine, user, settings, incident_id, data, if_match)

    @delete("/{incident_id:uuid}", name="api_incident_delete", status_code=204, responses=LIFE)
    @in_thread
    def delete_incident(self, engine: Db, user: Principal, incident_id: IncidentId) -> None:
        """Delete a draft (204): its answers are gone, the audit log keeps that it was deleted.
        A submitted or closed incident is never deleted (409): close it instead."""
        incidents.delete_draft(engine, user, incident_id, via="api")

    @post("/{incident_id:uuid}/close", name="api_incident_close", status_code=200, responses=CLOSE)
    @in_thread
    def close_incident(
        self, engine: Db, user: Principal, incident_id: IncidentId, data: JSONBody[CloseIn]
    ) -> IncidentOut:
        """Close a submitted incident with a closing note (status ``closed``). While a duty
        is still open it is refused (422 at ``with_open_duties``) unless
        ``"with_open_duties": true`` says the note explains why."""
        return incident_out(incidents.close(engine, user, incident_id, data, via="api"))

    @post("/{incident_id:uuid}/reopen", name="api_incident_reopen", status_code=200, responses=LIFE)
    @in_thread
    def reopen_incident(self, engine: Db, user: Principal, incident_id: IncidentId) -> IncidentOut:
        """Reopen a closed incident (status ``submitted`` again)."""
        return incident_out(incidents.reopen(engine, user, incident_id, via="api"))


def _notices_page(
    request: Request[Any, Any, Any],
    engine: Db,
    user: Principal,
    incident_id: uuid.UUID,
    statuses: tuple[str, ...] = (),
) -> tuple[incidents.NoticePage, str | None, str | None]:
    """The page of notices a list asks for, the ``status`` asked, the next page's cursor."""
    after, limit, status = page_params(request.query_params, statuses)
    found = incidents.notices_page(engine, user, incident_id, after, limit)
    return found, status, slug_cursor(found.last) if found.last else None


def _update(
    engine: Db,
    user: Principal,
    settings: Config,
    incident_id: uuid.UUID,
    data: dict[str, Any],
    if_match: str | None,
) -> IncidentOut:
    """The PATCH: the body and If-Match read, the change made, its refusals answered."""
    answers, controls, errors = _split(data, PATCH_CONTROL_KEYS)
    bases, bad_bases = _base_version(if_match, controls)
    change = incidents.Change(
        answers,
        bases,
        bad_bases,
        bool(controls.get("submit")),
        str(controls.get("note", "")),
        errors,
    )
    try:
        view = incidents.update(engine, user, settings, incident_id, change)
    except incidents.BadVersion as exc:
        raise Reply(_problems(400, exc.errors, current_language.get())) from None
    except service.VersionConflict as exc:
        raise Reply(_version_conflict(exc)) from None
    except incidents.SavedMeanwhile as exc:
        raise exc.__cause__ or exc from None  # answered as any lost race (app.py)
    return incident_out(view)


@get(
    "/api/v1/statistics",
    name="api_statistics",
    tags=["statistics"],
    responses=error_responses(400, 401),
)
@in_thread
def statistics_api(
    request: Request[Any, Any, Any], engine: Db, user: Principal, settings: Config
) -> dict[str, Any]:
    """The figures of the statistics page for the incidents discovered from ``since`` to
    ``until`` (dates, or date-times with an offset) and, optionally, affecting
    ``controller``: incidents, per month, by cause and kind of data, notices sent with the
    hours from discovery (median, 90th percentile) and the share within the contract
    hours, the decisions, the duties open now by age. An officer's are its controller's."""
    params = request.query_params
    wanted = {key: params.get(key) or None for key in ("since", "until", "controller")}
    try:
        chosen = register.make_filters(
            settings.zone,
            since=wanted["since"],
            until=wanted["until"],
            controller=wanted["controller"],
        )
    except register.FilterError as exc:
        raise Reply(one_error(400, exc.field, str(exc))) from None
    found, _controllers = statistics_cases.figures(
        engine, user, chosen, zone=settings.zone, lang="en", now=now()
    )
    return found.as_json()


handlers: list[ControllerRouterHandler] = [me, IncidentApiController, statistics_api]
