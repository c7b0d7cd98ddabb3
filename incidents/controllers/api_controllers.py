"""The JSON API for the controllers (issue 15): the list with their settings, and an import
of a CSV of controllers (``text/csv``), created or updated by slug, all or nothing."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from litestar import Request, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from litestar.response import Response
from msgspec import Struct

from incidents import controller_csv
from incidents.controllers.api_common import Errors, error_responses
from incidents.controllers.common import Config, Db, Principal, in_thread, one_error
from incidents.i18n import gettext as _
from incidents.usecases import organisations


class ControllerOut(Struct):
    slug: str
    name: str
    language: str
    country: str
    timezone: str
    contract_hours: int | None
    emails: list[str]
    nis2: bool
    dora: bool
    dora_no_weekend_relief: bool
    authority: str  # the lead supervisory authority chosen ("": its country's own)
    groups: list[str]
    regimes: list[str]  # nis2, dora, dora_no_weekend_relief: the flags above as one list


class ImportedOut(Struct):
    slug: str
    action: str  # create, update or unchanged
    fields: list[str]  # what an update changed


class ImportOut(Struct):
    dry_run: bool  # True: nothing was written
    created: int
    updated: int
    unchanged: int
    invited: int  # addresses invited as officers (?invite_officers=true)
    controllers: list[ImportedOut]


@get(
    "/api/v1/controllers",
    name="api_controllers",
    tags=["controllers"],
    responses=error_responses(401, 403),
)
@in_thread
def list_controllers(engine: Db, user: Principal) -> list[ControllerOut]:
    """Every controller with its settings, by slug (staff and administrators)."""
    return [
        ControllerOut(**controller_csv.as_json(org))
        for org in organisations.export_controllers(engine, user)
    ]


@post(
    "/api/v1/controllers/import",
    name="api_controllers_import",
    tags=["controllers"],
    status_code=200,
    responses={
        **error_responses(400, 401, 403),
        409: ResponseSpec(Errors, description="Another import created one of them at that moment"),
        413: ResponseSpec(Errors, description="The CSV is larger than 5,000,000 bytes"),
        415: ResponseSpec(Errors, description="The body is not text/csv"),
        422: ResponseSpec(Errors, description="Problems in the file, each by line and column"),
    },
)
async def import_controllers(
    request: Request[Any, Any, Any],
    engine: Db,
    user: Principal,
    settings: Config,
    dry_run: Annotated[bool, QueryParameter(name="dry_run")] = False,
    invite_officers: Annotated[bool, QueryParameter(name="invite_officers")] = False,
) -> Response[Any]:
    """Create or update controllers from a CSV (``Content-Type: text/csv``, UTF-8; the first
    line names the columns: slug, name, language, country, timezone, contract_hours,
    emails, nis2, groups; several addresses or groups separated by ``;``). All or nothing:
    422 lists every problem by line and column. ``?dry_run=true`` says what would change
    and writes nothing. ``?invite_officers=true`` invites the notification addresses of the
    file's controllers that have no account as their officers (``invited`` counts them).
    Administrators only."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "text/csv":
        return one_error(415, "body", _("Send the controllers as text/csv."))
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return one_error(400, "body", _("The CSV is not UTF-8 text."))
    if dry_run:
        found = await anyio.to_thread.run_sync(organisations.preview_import, engine, user, text)
    else:
        invite = settings.base_url if invite_officers else None
        found = await anyio.to_thread.run_sync(
            lambda: organisations.import_controllers(engine, user, text, invite_base_url=invite)
        )
    counts = found.summary()
    out = ImportOut(
        dry_run=dry_run,
        created=counts["create"],
        updated=counts["update"],
        unchanged=counts["unchanged"],
        invited=found.invited,
        controllers=[
            ImportedOut(c.slug, c.action, list(c.fields) if c.action == "update" else [])
            for c in found.changes
        ],
    )
    return Response(out, status_code=200)


handlers = [list_controllers, import_controllers]
