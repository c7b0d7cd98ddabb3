"""What the JSON API under /api/v1 shares: the response bodies, the error answers, the
request schema built from the questionnaire, and the translation of rows into JSON."""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from litestar.exceptions import PermissionDeniedException
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Response
from msgspec import Struct

from forms.questionnaire import Text
from forms.values import FieldError
from incidents.controllers.common import error_response
from incidents.i18n import current_language
from incidents.models import Notice, Organisation
from incidents.principal import CurrentUser
from incidents.usecases.incidents import IncidentView
from notify.assessment import Assessment, assessment_of

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
    withdrawn_at: str | None = None  # the processor withdrew it (not a breach), and why
    withdrawal_reason: str = ""
    # The controller's own figures where they differ from the incident's totals.
    scope: dict[str, Any] = {}


class SendOut(Struct):
    sent: bool  # False: this version had been sent to the controller already
    notice: NoticeOut


class RecommendationOut(Struct):
    notify_authority: bool
    inform_data_subjects: bool
    art34_ground: str | None
    reasons: list[str]
    # The factor that makes the advice lower than the score alone (None: it is not lower).
    lowered_by: str | None = None


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
    closed_at: str | None = None
    closing_note: str = ""


# Closing an incident: the closing note (required), and ``with_open_duties`` true to close
# while duties are still open (the note then says why). Read by the use case, after the
# incident is known to be visible, so a stranger's malformed body is a 404 like any other.
CloseIn = dict[str, Any]


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


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    """The documented error bodies of a handler, by status code."""
    return {code: ERROR_RESPONSES[code] for code in codes}


# --- helpers --------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    """An instant as ISO 8601 in UTC with Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _problems(status: int, errors: list[FieldError], language: str) -> Response[Any]:
    return error_response(status, [e.as_json(language) for e in errors])


def incident_out(view: IncidentView) -> IncidentOut:
    """The incident as JSON, from what the use case gathered."""
    incident = view.incident
    return IncidentOut(
        id=str(incident.id),
        reference=incident.reference,
        status=incident.status,
        version=incident.version,
        created_at=_iso(incident.created_at) or "",
        updated_at=_iso(incident.updated_at) or "",
        submitted_at=_iso(incident.submitted_at),
        answers=view.answers,
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
            for o in view.obligations
        ],
        notices=[
            notice_out(notice, org) for notice, org in view.notices if notice.removed_at is None
        ],
        closed_at=_iso(incident.closed_at),
        closing_note=incident.closing_note,
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
        withdrawn_at=_iso(notice.withdrawn_at),
        withdrawal_reason=notice.withdrawal_reason,
        scope=dict(notice.scope),
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
