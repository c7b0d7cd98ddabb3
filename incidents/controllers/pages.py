"""Home, the organisations overview and the health check."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import func
from sqlmodel import select

from incidents import service, timeline
from incidents.auth import staff_only
from incidents.controllers.common import engine_of, in_thread, user_of
from incidents.db import session_scope
from incidents.models import Organisation, User, utcnow


@get(
    "/healthz",
    name="healthz",
    opt={"exclude_from_auth": True},
    include_in_schema=False,
    sync_to_thread=False,
)
def healthz() -> dict[str, str]:
    """The app's own trivial endpoint: no database, no template."""
    return {"status": "ok"}


@get("/", name="home")
@in_thread
def home(request: Request[Any, Any, Any]) -> Template:
    """The deadlines dashboard: every open duty, overdue first, then soonest first."""
    user = user_of(request)
    controller = request.query_params.get("controller") or None
    now = utcnow()
    with session_scope(engine_of(request)) as session:
        organisation = session.get(Organisation, user.organisation_id)
        controllers = service.controllers_by_slug(session) if user.is_staff else {}
        chosen = controllers.get(controller) if controller else None
        rows = service.open_obligations(
            session,
            user,
            controller_id=chosen.id if chosen else (-1 if controller else None),
            now=now,
        )
    return Template(
        "home.html",
        context={
            "rows": rows,
            "now": now,
            "organisation": organisation,
            "controllers": sorted(controllers.values(), key=lambda o: o.name.lower()),
            "controller": controller,
            "countdown": timeline.countdown,
            "regime_label": timeline.regime_label,
        },
    )


@get("/organisations", name="organisations", guards=[staff_only])
@in_thread
def organisations(request: Request[Any, Any, Any]) -> Template:
    with session_scope(engine_of(request)) as session:
        rows = session.exec(
            select(Organisation, func.count(User.id))  # type: ignore[arg-type]
            .join(User, User.organisation_id == Organisation.id, isouter=True)  # type: ignore[arg-type]
            .group_by(Organisation.id)  # type: ignore[arg-type]
            .order_by(Organisation.kind.desc(), Organisation.name)  # type: ignore[attr-defined]
        ).all()
    return Template(
        "organisations/list.html",
        context={"rows": rows},
    )


@get("/organisations/{slug:str}", name="organisation", guards=[staff_only])
@in_thread
def organisation(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    with session_scope(engine_of(request)) as session:
        org = session.exec(select(Organisation).where(Organisation.slug == slug)).first()
        if org is None:
            raise NotFoundException()
        users = list(
            session.exec(
                select(User).where(User.organisation_id == org.id).order_by(User.name)
            ).all()
        )
    return Template(
        "organisations/detail.html",
        context={"org": org, "users": users},
    )


handlers = [healthz, home, organisations, organisation]
