"""The JSON API for invitations (issue 16): an administrator invites a person and lists
the invitations. The link itself is only ever in the e-mail to the person."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import JSONBody
from msgspec import Struct

from incidents.controllers.api_common import _iso, error_responses
from incidents.controllers.common import Config, Db, Principal, in_thread
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
    responses=error_responses(401, 403),
)
@in_thread
def list_invitations(engine: Db, user: Principal) -> list[InvitationOut]:
    """Every invitation with its state, the most recently sent first (administrators)."""
    return [_out(i, o, state) for i, o, state in invitation_cases.listing(engine, user)]


handlers = [create_invitation, list_invitations]
