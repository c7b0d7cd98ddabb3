"""The JSON API for invitations (issue 16): an administrator invites a person and lists
the invitations. The link itself is only ever in the e-mail to the person."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import get, post
from litestar.params import JSONBody, QueryParameter
from litestar.response import Response
from msgspec import Struct

from forms.values import clean_text, whole_number
from forms.words import format_number
from incidents import invitations
from incidents.controllers.api_common import _iso, error_responses, read_limit
from incidents.controllers.common import (
    Config,
    Db,
    Principal,
    Reply,
    error_response,
    in_thread,
    lang,
)
from incidents.i18n import gettext as _
from incidents.models import Invitation, Organisation
from incidents.usecases import invitations as invitation_cases


class InvitationOut(Struct):
    id: int
    email: str
    name: str
    role: str
    org: str  # the organisation's slug
    state: str  # open, expired, accepted or revoked
    sent_at: str
    expires_at: str
    times_sent: int


def _out(invitation: Invitation, org: Organisation, state: str) -> InvitationOut:
    assert invitation.id is not None
    return InvitationOut(
        id=invitation.id,
        email=invitation.email,
        name=invitation.name,
        role=invitation.role,
        org=org.slug,
        state=state,
        sent_at=_iso(invitation.sent_at) or "",
        expires_at=_iso(invitation.expires_at) or "",
        times_sent=invitation.times_sent,
    )


@post(
    "/api/v1/invitations",
    name="api_invitation_create",
    tags=["accounts"],
    status_code=201,
    responses=error_responses(400, 401, 403, 422),
)
@in_thread
def create_invitation(
    engine: Db, user: Principal, settings: Config, data: JSONBody[dict[str, Any]]
) -> InvitationOut:
    """Invite a person: ``{"email", "name", "role": "staff|officer|admin", "org"}`` (``org``:
    the controller's slug for an officer; left out for staff and administrators). They get
    an e-mail in their language with a link, valid seven days and usable once, to choose
    a password. An open invitation of the same address is replaced. 422 lists every
    problem (an address with an account already too). Administrators only."""
    values = {key: data.get(key) for key in ("email", "name", "role", "org")}
    text = {key: value if isinstance(value, str) else "" for key, value in values.items()}
    sent = invitation_cases.invite(engine, user, settings, text)
    return _out(sent.invitation, sent.organisation, "open")


@get(
    "/api/v1/invitations",
    name="api_invitations",
    tags=["accounts"],
    responses=error_responses(400, 401, 403),
)
@in_thread
def list_invitations(
    engine: Db,
    user: Principal,
    wanted: Annotated[str | None, QueryParameter(name="state", max_length=20)] = None,
    search: Annotated[str, QueryParameter(name="q", max_length=200)] = "",
    limit: Annotated[str | None, QueryParameter(name="limit", max_length=12)] = None,
    page: Annotated[str, QueryParameter(name="page", max_length=12)] = "1",
) -> Response[list[InvitationOut]]:
    """The invitations with their state, the most recently sent first (administrators):
    ``state`` open, expired, accepted or revoked; ``q`` a part of the address, name or
    organisation; ``limit`` 1-500 (100) to a ``page`` (from 1). The header
    ``X-Total-Count`` says how many match; ``Link`` (rel="next") leads to the next page."""
    problems: list[dict[str, str | None]] = []
    state = wanted
    if state is not None and state not in invitations.STATES:
        message = _("Use one of: %(values)s") % {"values": ", ".join(invitations.STATES)}
        problems.append({"field": "state", "message": message})
    size = read_limit(limit, invitation_cases.API_PAGE_SIZE, problems)
    number = whole_number(page) or 0
    if not 1 <= number <= 1_000_000:
        problems.append(
            {
                "field": "page",
                "message": _("Use a number from 1 to %(max)s")
                % {"max": format_number(1_000_000, lang())},
            }
        )
    if problems:
        raise Reply(error_response(400, problems))
    found = invitation_cases.listing(
        engine, user, state=state, query=clean_text(search), page=number, size=size
    )
    headers = {"x-total-count": str(found.total)}
    if number * size < found.total:
        query = urlencode(
            {k: v for k, v in (("state", state), ("q", search), ("limit", size)) if v}
            | {"page": number + 1}
        )
        headers["link"] = f'</api/v1/invitations?{query}>; rel="next"'
    return Response([_out(i, o, s) for i, o, s in found.rows], headers=headers)


handlers = [create_invitation, list_invitations]
