"""What the JSON API under /api/v1 shares: the response bodies, the error answers, the
request schema built from the questionnaire, and the translation of rows into JSON."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

from litestar.exceptions import PermissionDeniedException
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Response
from msgspec import Struct

from forms.questionnaire import Text
from forms.values import CORRECTION_NOTE_MAX, FieldError
from incidents.accounts import SLUG_RE
from incidents.controllers.common import Reply, error_response
from incidents.i18n import current_language
from incidents.i18n import gettext as _
from incidents.models import Notice, Organisation
from incidents.principal import CurrentUser
from incidents.usecases.incidents import IncidentView
from notify.assessment import Assessment, assessment_of
from notify.obligations import Obligation

CONTROL_KEYS = {"draft", "submit", "note", "controller_groups"}
PATCH_CONTROL_KEYS = {"draft", "submit", "note", "version"}
NOTE_MAX = CORRECTION_NOTE_MAX  # a correction's note, as on the page
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
    # The law the duty comes from (gdpr, uk_gdpr, gdpr_omnibus, cyberbeveiligingswet,
    # nis2, dora) and to whom it is owed: an authority's key (nl_ap, gb_ico; a controller
    # without an EU/EEA establishment: the keys of each authority where the persons live,
    # separated by commas), "nl_ncsc", "csirt", "competent_authority", "controller" or
    # "data_subjects".
    regime: str
    authority: str | None


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
    # With many controllers the incident carries the first EMBEDDED of its notices (by
    # slug) and their controllers' obligations; the totals say how many there are, and
    # ``notices_next`` / ``obligations_next`` are the paged lists with the rest.
    notices_total: int = 0
    obligations_total: int = 0
    controller_groups: list[str] = []  # the groups its controllers were chosen by
    notices_next: str | None = None
    obligations_next: str | None = None


class NoticeList(Struct):
    items: list[NoticeOut]
    next_cursor: str | None  # the next page: send it back as ``cursor``


class ObligationList(Struct):
    items: list[ObligationOut]
    next_cursor: str | None


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


EMBEDDED = 100  # notices (and their controllers' obligations) in an incident's JSON
PAGE_MAX = 500  # controllers in one page of an incident's notices or obligations
_CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def slug_cursor(slug: str) -> str:
    """The link to the page after this controller (opaque: URL-safe base64 of its slug)."""
    return base64.urlsafe_b64encode(slug.encode()).decode().rstrip("=")


def read_limit(text: str | None, default: int, problems: list[dict[str, str | None]]) -> int:
    """A page's ``limit``: 1-PAGE_MAX, ``default`` when not given; a problem otherwise."""
    if text is None:
        return default
    number = int(text) if text.isdigit() and len(text) <= 4 else 0
    if not 1 <= number <= PAGE_MAX:
        message = _("Use a number from 1 to %(max)s") % {"max": PAGE_MAX}
        problems.append({"field": "limit", "message": message})
    return number


def page_params(
    params: Mapping[str, str], statuses: Sequence[str] = ()
) -> tuple[str | None, int, str | None]:
    """``cursor`` (the slug after which the page starts), ``limit`` (1-PAGE_MAX, default
    EMBEDDED) and, where ``statuses`` are given, ``status`` from a page's query; Reply 400
    listing every one that cannot be read."""
    problems: list[dict[str, str | None]] = []
    after = None
    if cursor := params.get("cursor"):
        try:
            if not _CURSOR.match(cursor):
                raise ValueError(cursor)
            after = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            if not SLUG_RE.match(after):
                raise ValueError(cursor)
        except ValueError:  # bad base64 and UTF-8 too
            message = _("This page link is not valid; start again from the first page")
            problems.append({"field": "cursor", "message": message})
    limit = read_limit(params.get("limit"), EMBEDDED, problems)
    status = params.get("status") or None
    if statuses and status is not None and status not in statuses:
        message = _("Use one of: %(values)s") % {"values": ", ".join(statuses)}
        problems.append({"field": "status", "message": message})
    if problems:
        raise Reply(error_response(400, problems))
    return after, limit, status


def obligation_out(o: Obligation) -> ObligationOut:
    return ObligationOut(
        key=o.key,
        controller=o.controller,
        starts_at=_iso(o.starts_at),
        due_at=_iso(o.due_at),
        status=o.status,
        met_at=_iso(o.met_at),
        regime=o.law,
        authority=o.authority,
    )


def incident_out(view: IncidentView, embedded: int | None = EMBEDDED) -> IncidentOut:
    """The incident as JSON, from what the use case gathered: its first ``embedded``
    notices by controller slug with their obligations (None: all of them)."""
    incident = view.incident
    live = sorted(
        ((n, o) for n, o in view.notices if n.removed_at is None), key=lambda p: p[1].slug
    )
    shown = live if embedded is None else live[:embedded]
    slugs = {org.slug for _n, org in shown}
    obligations = [o for o in view.obligations if o.controller in slugs]
    more = len(shown) < len(live)
    base = f"/api/v1/incidents/{incident.id}"
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
        obligations=[obligation_out(o) for o in obligations],
        notices=[notice_out(notice, org) for notice, org in shown],
        closed_at=_iso(incident.closed_at),
        closing_note=incident.closing_note,
        notices_total=len(live),
        obligations_total=len(view.obligations),
        controller_groups=list(incident.controller_groups),
        notices_next=f"{base}/notices?cursor={slug_cursor(shown[-1][1].slug)}" if more else None,
        obligations_next=(
            f"{base}/obligations?cursor={slug_cursor(shown[-1][1].slug)}" if more else None
        ),
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
