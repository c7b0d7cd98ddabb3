"""The organisations overview for processor staff; controllers imported and exported in bulk."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from incidents import controller_csv, invitations
from incidents.clock import now
from incidents.db import session_scope
from incidents.errors import Conflict, NotAllowed, NotFound
from incidents.i18n import gettext as _
from incidents.models import Organisation, User
from incidents.principal import CurrentUser


def overview(engine: Engine) -> list[tuple[Organisation, int]]:
    """Every organisation (the processor first, then the controllers by name) with the
    number of its users."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(Organisation, func.count(col(User.id)))
            .join(User, col(User.organisation_id) == col(Organisation.id), isouter=True)
            .group_by(col(Organisation.id))
            .order_by(col(Organisation.kind).desc(), col(Organisation.name))
        ).all()
    return [(org, count) for org, count in rows]


def detail(engine: Engine, slug: str) -> tuple[Organisation, list[User]]:
    """One organisation and its users, by name; NotFound for an unknown slug."""
    with session_scope(engine) as session:
        org = session.exec(select(Organisation).where(Organisation.slug == slug)).first()
        if org is None:
            raise NotFound()
        users = session.exec(
            select(User).where(User.organisation_id == org.id).order_by(col(User.name))
        ).all()
    return org, list(users)


# --- controllers in bulk (issue 15) ------------------------------------------------------


def _require(user: CurrentUser, admin: bool) -> None:
    if not (user.is_admin if admin else user.is_staff):
        raise NotAllowed("Only administrators import controllers" if admin else "Staff only")


def preview_import(engine: Engine, user: CurrentUser, text: str) -> controller_csv.Plan:
    """What importing the CSV would do (InputError: every problem of the file)."""
    _require(user, admin=True)
    rows = controller_csv.read(text)
    with session_scope(engine) as session:
        return controller_csv.plan(session, rows)


def import_controllers(
    engine: Engine,
    user: CurrentUser,
    text: str,
    *,
    expected: str | None = None,
    invite_base_url: str | None = None,
) -> controller_csv.Plan:
    """Create or update the CSV's controllers by slug, all or nothing (InputError lists
    every problem and nothing is written; Conflict: the organisations changed since the
    preview whose digest is ``expected``, or another import created one of them at the
    same moment). With ``invite_base_url``, the notification addresses of the file's
    controllers are invited as their officers in the same transaction (issue 16)."""
    _require(user, admin=True)
    rows = controller_csv.read(text)
    try:
        with session_scope(engine, write=True) as session:
            found = controller_csv.apply(session, rows, actor_id=user.id, expected=expected)
            if invite_base_url is None:
                return found
            slugs = [change.slug for change in found.changes]
            invited = invitations.invite_controllers(
                session, invite_base_url, slugs, user.id, now()
            )
            return replace(found, invited=invited)
    except IntegrityError as exc:
        raise Conflict(
            _("Another change to the organisations came first: nothing was imported. Try again.")
        ) from exc


def export_controllers(engine: Engine, user: CurrentUser) -> list[Organisation]:
    """Every controller with its settings, by slug (staff and administrators)."""
    _require(user, admin=False)
    with session_scope(engine) as session:
        return controller_csv.controllers(session)
