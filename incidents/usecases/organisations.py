"""The organisations overview for processor staff."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from incidents.db import session_scope
from incidents.errors import NotFound
from incidents.models import Organisation, User


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
