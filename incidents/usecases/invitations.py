"""Invitations (issue 16): an administrator invites, sends again, revokes and lists; the
person invited accepts with the link and is logged in. The rules are in
incidents/invitations.py; a refusal is ``accounts.InputError`` (an ``Invalid``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from incidents import invitations
from incidents.clock import now
from incidents.db import session_scope
from incidents.errors import NotAllowed
from incidents.models import Invitation, Organisation
from incidents.principal import CurrentUser
from incidents.settings import Settings
from incidents.usecases.auth import Login, new_login


def _admin(user: CurrentUser) -> None:
    if not user.is_admin:
        raise NotAllowed("Only administrators invite people")


def invite(
    engine: Engine, actor: CurrentUser | None, settings: Settings, values: Mapping[str, str]
) -> invitations.Sent:
    """Invite a person (``email``, ``name``, ``role``, ``org``): the invitation and its
    e-mail in one transaction. ``actor`` None: the command line."""
    if actor is not None:
        _admin(actor)
    with session_scope(engine, write=True) as session:
        return invitations.invite(
            session,
            settings.base_url,
            email=values.get("email", ""),
            name=values.get("name", ""),
            role=values.get("role", ""),
            org_slug=values.get("org") or None,
            actor_id=actor.id if actor else None,
            now=now(),
        )


def send_again(
    engine: Engine,
    actor: CurrentUser,
    settings: Settings,
    invitation_id: int,
    seen: int | None = None,
) -> invitations.Sent:
    """Send again (``seen``: the times sent the administrator saw; Conflict if more)."""
    _admin(actor)
    with session_scope(engine, write=True) as session:
        return invitations.send_again(
            session, settings.base_url, invitation_id, actor.id, now(), seen
        )


def revoke(engine: Engine, actor: CurrentUser, invitation_id: int) -> None:
    _admin(actor)
    with session_scope(engine, write=True) as session:
        invitations.revoke(session, invitation_id, actor.id, now())


PAGE_SIZE = 50  # on the administrator's page
API_PAGE_SIZE = 100  # in the API, unless it asks for another limit


def listing(
    engine: Engine,
    actor: CurrentUser,
    *,
    state: str | None = None,
    query: str = "",
    page: int = 1,
    size: int = PAGE_SIZE,
) -> invitations.Listing:
    """One page of the invitations (``page`` from 1), filtered by state and a text."""
    _admin(actor)
    with session_scope(engine) as session:
        return invitations.listing(
            session, now(), state=state, query=query, offset=(page - 1) * size, limit=size
        )


@dataclass(frozen=True)
class Opened:
    invitation: Invitation
    organisation: Organisation


def opened(engine: Engine, token: str) -> Opened | None:
    """The open invitation of a link with its organisation, or None."""
    with session_scope(engine) as session:
        found = invitations.find_open(session, token, now())
        if found is None:
            return None
        org = session.get(Organisation, found.organisation_id)
        assert org is not None
        return Opened(found, org)


def accept(engine: Engine, settings: Settings, token: str, values: Mapping[str, str]) -> Login:
    """Accept the invitation of ``token`` with the chosen password: the account is made
    and logged in, in one transaction. NotFound when the link is not open; InputError."""
    with session_scope(engine, write=True) as session:
        user = invitations.accept(
            session,
            token,
            name=values.get("name", ""),
            password=values.get("password", ""),
            confirm=values.get("confirm_password", ""),
            now=now(),
        )
        return new_login(session, settings, user)
