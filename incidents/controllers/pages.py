"""Home (the deadlines dashboard), the organisations overview and the health check."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from incidents.auth import staff_only
from incidents.clock import now
from incidents.controllers.common import Db, Principal, in_thread
from incidents.timeline import alike, together
from incidents.usecases import dashboard, organisations


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


def _per_incident(rows: list[Any]) -> list[tuple[Any, list[Any], Any]]:
    """The open duties with the controllers they concern: one row per incident, duty and
    due minute, however many controllers share it (in the order of the most urgent)."""
    groups = together(rows, lambda row: (row[0].id, *alike(row[2])))
    return [(group[0][0], [org for _i, org, _o in group], group[0][2]) for group in groups]


class HomeController(Controller):
    path = "/"

    @get("/", name="home")
    @in_thread
    def home(
        self, engine: Db, user: Principal, controller: FromQuery[str | None] = None
    ) -> Template:
        """The deadlines dashboard: every open duty, overdue first, then soonest first."""
        at = now()
        board = dashboard.dashboard(engine, user, controller or None, at)
        context = {
            "rows": _per_incident(board.rows),
            "now": at,
            "organisation": board.organisation,
            "controllers": board.controllers,
            "controller": controller or None,
        }
        return Template("home.html", context=context)


class OrganisationController(Controller):
    path = "/organisations"
    guards = [staff_only]

    @get("/", name="organisations")
    @in_thread
    def organisations(self, engine: Db) -> Template:
        rows = organisations.overview(engine)
        return Template("organisations/list.html", context={"rows": rows})

    @get("/{slug:str}", name="organisation")
    @in_thread
    def organisation(self, engine: Db, slug: FromPath[str]) -> Template:
        org, users = organisations.detail(engine, slug)
        return Template("organisations/detail.html", context={"org": org, "users": users})


handlers: list[ControllerRouterHandler] = [healthz, HomeController, OrganisationController]
