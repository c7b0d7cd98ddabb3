"""The JSON API for notices: send, acknowledge, decide, the officer's estimate and the
controller's acts (authority notified, persons informed)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get, post, put
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIType, Reference, Schema
from litestar.params import FromPath, JSONBody
from litestar.response import Response
from litestar.types import ControllerRouterHandler
from msgspec import Struct

from incidents import batches
from incidents.controllers.api_common import ERROR_RESPONSES, Errors, NoticeOut, SendOut, notice_out
from incidents.controllers.api_schema import _body_operation
from incidents.controllers.common import Config, Db, IncidentId, Principal, in_thread
from incidents.controllers.notices import At, Target
from incidents.errors import NotFound
from incidents.usecases import notices as cases
from incidents.usecases.notices import Found
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


def _object_schema(properties: dict[str, Schema | Reference], required: list[str]) -> Schema:
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
        "dora_major": Schema(
            type=[OpenAPIType.BOOLEAN, OpenAPIType.NULL],
            description="Required for a DORA entity when it is a breach: a major "
            "ICT-related incident (then record when it was classified: acts/dora_classified)",
        ),
        "late_reason": Schema(
            type=OpenAPIType.STRING,
            max_length=4000,
            description="Required when the 72 hours have passed and the authority is notified",
        ),
    },
    ["is_breach", "authority_reason"],
)
WITHDRAW_SCHEMA = _object_schema(
    {"reason": Schema(type=OpenAPIType.STRING, max_length=4000, description="Why it is withdrawn")},
    required=["reason"],
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
# The acts recorded by key: the notification to an authority (the EU's under the GDPR,
# the ICO under the UK GDPR), the reports under NIS2 and DORA, DORA's classification.
OTHER_ACTS = (
    "gdpr_authority",
    "uk_gdpr_authority",
    "nis2_early_warning",
    "nis2_notification",
    "nis2_final_report",
    "dora_classified",
    "dora_initial",
    "dora_intermediate",
    "dora_final",
)
OTHER_ACT_SCHEMA = _object_schema(
    {
        "made_at": _INSTANT,
        "notified_at": Schema(
            type=OpenAPIType.STRING, description="gdpr_authority, uk_gdpr_authority: when"
        ),
        "classified_at": Schema(
            type=OpenAPIType.STRING, description="dora_classified: when, instead of made_at"
        ),
        "reference": Schema(type=OpenAPIType.STRING, max_length=200),
        "late_reason": Schema(type=OpenAPIType.STRING, max_length=4000),
    },
    [],
)


SEND_ERRORS = {
    **NOTICE_ERRORS,
    409: ResponseSpec(
        Errors, description="The incident is a draft, or the controller has no address"
    ),
}
WITHDRAW_CONFLICT = ResponseSpec(Errors, description="Not sent yet, or withdrawn already")
Body = JSONBody[dict[str, Any]]


def provide_target(
    engine: Db, user: Principal, incident_id: IncidentId, controller: FromPath[str]
) -> Target:
    """``at``: the notice of the path (its controller's slug)."""
    return Target(engine, user, incident_id, controller)


def _post(
    path: str, name: str, body: Schema | None = None, conflict: ResponseSpec | None = None
) -> post:
    """An act on the notice: 200 with the notice; its body's schema, and then 422 too;
    ``conflict``: the 409 it can answer."""
    errors = {**NOTICE_ERRORS, 409: conflict} if conflict else NOTICE_ERRORS
    if body is None:
        return post(path, name=name, status_code=200, responses=errors)
    responses = {**errors, 422: ERROR_RESPONSES[422]}
    operation = _body_operation(body)
    return post(path, name=name, status_code=200, operation_class=operation, responses=responses)


def _out(found: Found) -> NoticeOut:
    return notice_out(found.notice, found.org)


class NoticeApiController(Controller):
    """One notice of an incident, by its controller's slug. A domain error is answered by
    the app's mapping (404, 403, 409; 422 with every problem of the input)."""

    path = NOTICE_PATH
    tags = ["notices"]
    dependencies = {"at": Provide(provide_target, sync_to_thread=False)}

    @post("/send", name="api_notice_send", status_code=200, responses=SEND_ERRORS)
    @in_thread
    def send_notice(self, at: At, settings: Config) -> SendOut:
        """Send the notice (or, after a correction, the follow-up) to this controller. Sending
        the same incident version again sends nothing and answers ``"sent": false``."""
        results = cases.send(at.engine, at.user, at.incident_id, [at.slug], settings.base_url)
        return SendOut(sent=any(r.sent for r in results), notice=_out(cases.notice(*at)))

    @_post("/acknowledge", "api_notice_acknowledge")
    @in_thread
    def acknowledge_notice(self, at: At) -> NoticeOut:
        """The controller's privacy officer confirms receipt (the first time counts)."""
        return _out(cases.acknowledge(*at))

    @_post("/decision", "api_notice_decision", DECISION_SCHEMA)
    @in_thread
    def decide_notice(self, at: At, data: Body) -> NoticeOut:
        """The officer's decision; each call records a new version."""
        return _out(cases.decide(*at, data, strict=True))

    @_post("/assessment", "api_notice_assessment", OVERRIDE_SCHEMA)
    @in_thread
    def override_assessment(self, at: At, data: Body) -> NoticeOut:
        """The officer's own estimate of the severity and advice, with the reason. Kept beside
        the computed assessment (never instead of it); each call records a new version."""
        return _out(cases.override_assessment(*at, data, strict=True))

    @_post("/authority-notified", "api_notice_authority", ACT_SCHEMAS["gdpr_authority"])
    @in_thread
    def authority_notified(self, at: At, data: Body) -> NoticeOut:
        """When the controller notified its own supervisory authority (the ICO for a
        controller in GB), and the authority's number. Meets the duty's hours (72; 96 under
        the Omnibus). Another authority: acts/gdpr_authority or acts/uk_gdpr_authority."""
        return _out(cases.record_act(*at, cases.OWN_AUTHORITY, data, strict=True))

    @_post("/data-subjects-informed", "api_notice_data_subjects", ACT_SCHEMAS["gdpr_data_subjects"])
    @in_thread
    def data_subjects_informed(self, at: At, data: Body) -> NoticeOut:
        """When and how the persons were informed (Art. 34)."""
        return _out(cases.record_act(*at, "gdpr_data_subjects", data, strict=True))

    @_post("/acts/{key:str}", "api_notice_act", OTHER_ACT_SCHEMA)
    @in_thread
    def record_other_act(self, at: At, key: FromPath[str], data: Body) -> NoticeOut:
        """The notification to an authority (gdpr_authority, uk_gdpr_authority: notified_at,
        reference), a report to the CSIRT (nis2_early_warning, nis2_notification, nis2_final_report)
        or to the competent authority under DORA (dora_initial, dora_intermediate,
        dora_final), or when the incident was classified as major under DORA
        (dora_classified, field classified_at): when (made_at), and its reference. Each
        starts or meets a clock; recording it again corrects it. 404 for another key."""
        if key not in OTHER_ACTS:
            raise NotFound()
        return _out(cases.record_act(*at, key, data, strict=True))

    @_post("/withdraw", "api_notice_withdraw", WITHDRAW_SCHEMA, WITHDRAW_CONFLICT)
    @in_thread
    def withdraw_notice(self, at: At, settings: Config, data: Body) -> NoticeOut:
        """Withdraw a sent notice after investigation (not a breach), with the reason: the
        controller is told by e-mail and its duties lapse. Staff only; once."""
        return _out(cases.withdraw(*at, data, settings.base_url))


SCOPE_SCHEMA = _object_schema(
    {
        "affected_min": Schema(type=OpenAPIType.INTEGER, minimum=0),
        "affected_max": Schema(type=OpenAPIType.INTEGER, minimum=0),
        "records_approx": Schema(type=OpenAPIType.INTEGER, minimum=0),
        "data_types": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.STRING)),
    },
    [],
)


@put(
    "/api/v1/incidents/{incident_id:uuid}/controllers/{controller:str}/scope",
    name="api_controller_scope",
    tags=["notices"],
    status_code=200,
    operation_class=_body_operation(SCOPE_SCHEMA),
    responses={**NOTICE_ERRORS, 422: ERROR_RESPONSES[422]},
    dependencies={"at": Provide(provide_target, sync_to_thread=False)},
)
@in_thread
def put_scope(at: At, settings: Config, data: Body) -> NoticeOut:
    """This controller's own figures, where they differ from the incident's totals: the
    persons affected (``affected_min``, ``affected_max``), the records (``records_approx``)
    and the kinds of data (``data_types``, the questionnaire's options). A key left out or
    null takes the incident's figure; ``{}`` drops them all. Its notice, report and
    assessment use them; a change after the notice went out makes a follow-up due. Staff
    only; 422 lists every problem."""
    found = cases.set_scope(at.engine, at.user, settings, at.incident_id, at.slug, data)
    return _out(found)


class BatchOut(Struct):
    """A "send to all": its notices waiting, rendered (the outbox delivers them),
    delivered and failed (with the controller and the reason)."""

    batch: str
    total: int
    queued: int
    rendered: int
    delivered: int
    failed: int
    finished: bool
    failures: list[dict[str, str]]


def _batch_out(found: batches.Progress) -> BatchOut:
    return BatchOut(
        batch=str(found.batch_id),
        total=found.total,
        queued=found.queued,
        rendered=found.rendered,
        delivered=found.delivered,
        failed=found.failed,
        finished=found.finished,
        failures=[{"controller": name, "error": error} for name, error in found.failures],
    )


BATCH_PATH = "/api/v1/incidents/{incident_id:uuid}/notices"


@post(
    f"{BATCH_PATH}/send",
    name="api_notices_send",
    tags=["notices"],
    status_code=202,
    responses={**NOTICE_ERRORS, 409: SEND_ERRORS[409]},
)
@in_thread
def send_to_all(
    engine: Db, user: Principal, settings: Config, incident_id: IncidentId
) -> Response[BatchOut]:
    """Send to every controller that needs this version, as background work: 202 at once
    with the batch; the workers render and deliver each notice exactly once. Follow it at
    ``Location``. 409 when nothing can be sent (a draft, nothing new, a controller
    without an address)."""
    found = cases.send_all(engine, user, settings, incident_id, inline=False)
    location = f"/api/v1/incidents/{incident_id}/notices/batches/{found.batch_id}"
    return Response(_batch_out(found), status_code=202, headers={"location": location})


@get(
    f"{BATCH_PATH}/batches/{{batch_id:uuid}}",
    name="api_notices_batch",
    tags=["notices"],
    responses=NOTICE_ERRORS,
)
@in_thread
def batch_progress(
    engine: Db, user: Principal, incident_id: IncidentId, batch_id: FromPath[uuid.UUID]
) -> BatchOut:
    """Where a "send to all" stands."""
    return _batch_out(batches.batch_progress(engine, user, incident_id, batch_id))


handlers: list[ControllerRouterHandler] = [
    NoticeApiController,
    put_scope,
    send_to_all,
    batch_progress,
]
