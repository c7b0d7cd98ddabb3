"""Administration: organisations, contract settings and users (admins only)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Response, Template

from forms.values import clean_text, whole_number
from incidents import controller_csv, invitations, webhooks
from incidents.auth import admin_only
from incidents.controllers.common import (
    Config,
    Db,
    Form,
    MultiPart,
    Page,
    Principal,
    Req,
    done,
    form_problems,
    in_thread,
    typed,
    uploaded_text,
)
from incidents.errors import Conflict, Invalid
from incidents.i18n import gettext as _
from incidents.i18n import ngettext
from incidents.models import Organisation
from incidents.usecases import accounts, organisations
from incidents.usecases import invitations as invitation_cases
from incidents.usecases import twofactor as two_factor_cases
from incidents.usecases import webhooks as webhook_cases
from incidents.usecases.accounts import UserForm

Id = FromPath[int]


def _org_form(
    org: Organisation | None, values: dict[str, str], exc: Invalid | None = None
) -> Template:
    errors = form_problems(exc.problems) if exc else []
    context = {"org": org, "values": values, "errors": errors}
    return Template("admin/org_form.html", context=context)


def _user_form(
    form: UserForm, values: dict[str, str] | None = None, exc: Invalid | None = None
) -> Template:
    context = {
        "form": form,
        "values": form.values if values is None else values,
        "errors": form_problems(exc.problems) if exc else [],
    }
    return Template("admin/user_form.html", context=context)


def _import_page(
    text: str,
    errors: list[dict[str, Any]] | None = None,
    plan: controller_csv.Plan | None = None,
    status_code: int = 200,
) -> Template:
    context = {
        "csv": text,
        "errors": errors or [],
        "plan": plan,
        "columns": controller_csv.COLUMNS,
    }
    return Template("admin/org_import.html", context=context, status_code=status_code)


def _invited(count: int) -> str:
    """The flash's tail for addresses invited as officers (none: nothing)."""
    if not count:
        return ""
    return " " + ngettext(
        "%(num)d address has been invited as a privacy officer.",
        "%(num)d addresses have been invited as privacy officers.",
        count,
    ) % {"num": count}


class AdminOrganisationController(Controller):
    path = "/admin/organisations"
    guards = [admin_only]

    @get("/export.csv", name="admin_org_export")
    @in_thread
    def org_export(self, engine: Db, user: Principal) -> Response[str]:
        """Every controller as the import reads it (an export imported again changes nothing)."""
        body = controller_csv.to_csv(organisations.export_controllers(engine, user))
        return Response(
            body,
            media_type="text/csv",
            headers={"content-disposition": 'attachment; filename="controllers.csv"'},
        )

    @get("/import", name="admin_org_import", sync_to_thread=False)
    def org_import_form(self) -> Template:
        return _import_page("")

    @post("/import", name="admin_org_import_send", status_code=200)
    async def org_import(
        self, request: Req, engine: Db, user: Principal, settings: Config, data: MultiPart
    ) -> Page:
        """A preview first: what will be created and changed, or every row's problems;
        then the import of exactly what the preview showed (409 if it changed meanwhile)."""
        text, errors = await uploaded_text(data, controller_csv.MAX_BYTES)
        if errors:
            return _import_page("", errors)
        if not text.strip():
            return _import_page(
                text, [{"field": "file", "message": _("Choose a CSV file, or paste its text.")}]
            )
        confirmed = data.get("action") == "import"
        digest = str(data.get("digest") or "") or None
        try:
            if not confirmed:
                plan = await anyio.to_thread.run_sync(
                    organisations.preview_import, engine, user, text
                )
                return _import_page(text, plan=plan)
            invite = settings.base_url if data.get("invite") == "yes" else None
            plan = await anyio.to_thread.run_sync(
                lambda: organisations.import_controllers(
                    engine, user, text, expected=digest, invite_base_url=invite
                )
            )
        except Invalid as exc:
            # Every problem at the text, which the page shows again (an upload's too).
            problems = [
                {"field": "csv", "message": f"{p.field}: {p.message}"} for p in exc.problems
            ]
            return _import_page(text, problems)
        except Conflict as exc:
            plan = await anyio.to_thread.run_sync(organisations.preview_import, engine, user, text)
            message = exc.message or _("The organisations changed meanwhile.")
            return _import_page(text, [{"field": None, "message": message}], plan, 409)
        counts = plan.summary()
        message = _(
            "Controllers imported: %(created)s added, %(updated)s changed, %(unchanged)s unchanged."
        ) % {
            "created": counts["create"],
            "updated": counts["update"],
            "unchanged": counts["unchanged"],
        }
        return done(request, message + _invited(plan.invited), "organisations")

    @get("/new", name="admin_org_new", sync_to_thread=False)
    def org_new(self) -> Template:
        form = accounts.new_organisation_form()
        return _org_form(form.org, form.values)

    @post("/new", name="admin_org_create", status_code=200)
    @in_thread
    def org_create(
        self, request: Req, engine: Db, user: Principal, settings: Config, data: Form
    ) -> Page:
        values = typed(data)
        try:
            slug, invited = accounts.create_organisation(engine, user, values, settings.base_url)
        except Invalid as exc:
            return _org_form(None, values, exc)
        message = _("The organisation has been added.") + _invited(invited)
        return done(request, message, "organisation", slug=slug)

    @get("/{slug:str}", name="admin_org_edit")
    @in_thread
    def org_edit(self, engine: Db, slug: FromPath[str]) -> Template:
        form = accounts.organisation_form(engine, slug)
        return _org_form(form.org, form.values)

    @post("/{slug:str}", name="admin_org_update", status_code=200)
    @in_thread
    def org_update(
        self,
        request: Req,
        engine: Db,
        user: Principal,
        settings: Config,
        slug: FromPath[str],
        data: Form,
    ) -> Page:
        values = typed(data)
        try:
            invited = accounts.update_organisation(engine, user, slug, values, settings.base_url)
        except Invalid as exc:
            return _org_form(accounts.organisation_form(engine, slug).org, values, exc)
        message = _("The changes have been saved.") + _invited(invited)
        return done(request, message, "organisation", slug=slug)


class AdminUserController(Controller):
    path = "/admin/users"
    guards = [admin_only]

    @get("/", name="admin_users")
    @in_thread
    def users(self, engine: Db) -> Template:
        return Template("admin/users.html", context={"rows": accounts.list_users(engine)})

    @get("/new", name="admin_user_new")
    @in_thread
    def user_new(self, engine: Db) -> Template:
        return _user_form(accounts.user_form(engine, None))

    @post("/new", name="admin_user_create", status_code=200)
    @in_thread
    def user_create(self, request: Req, engine: Db, user: Principal, data: Form) -> Page:
        values = typed(data)
        password = values.pop("password", "")
        try:
            accounts.create_user(engine, user, values, password)
        except Invalid as exc:
            return _user_form(accounts.user_form(engine, None), values, exc)
        return done(request, _("The user has been added."), "admin_users")

    @get("/{user_id:int}", name="admin_user_edit")
    @in_thread
    def user_edit(self, engine: Db, user_id: Id) -> Template:
        return _user_form(accounts.user_form(engine, user_id))

    @post("/{user_id:int}", name="admin_user_update", status_code=200)
    @in_thread
    def user_update(
        self, request: Req, engine: Db, user: Principal, user_id: Id, data: Form
    ) -> Page:
        values = typed(data)
        try:
            accounts.update_user(engine, user, user_id, values)
        except Invalid as exc:  # nothing was changed: the checks run before any write
            return _user_form(accounts.user_form(engine, user_id), values, exc)
        return done(request, _("The changes have been saved."), "admin_users")

    @post("/{user_id:int}/password", name="admin_user_password", status_code=200)
    @in_thread
    def user_password(
        self, request: Req, engine: Db, user: Principal, user_id: Id, data: Form
    ) -> Page:
        password = str(data.get("password", ""))
        try:
            accounts.set_user_password(engine, user, user_id, password)
        except Invalid as exc:
            return _user_form(accounts.user_form(engine, user_id), exc=exc)
        message = _(
            "The password has been set. The user's sessions have been logged out and "
            "their API tokens revoked."
        )
        return done(request, message, "admin_users")


class AdminTwoFactorController(Controller):
    path = "/admin/users"
    guards = [admin_only]

    @post("/{user_id:int}/two-factor-reset", name="admin_user_two_factor_reset", status_code=200)
    @in_thread
    def reset(self, request: Req, engine: Db, user: Principal, user_id: Id) -> Page:
        try:
            found = two_factor_cases.admin_reset(engine, user, user_id)
        except Invalid as exc:
            return _user_form(accounts.user_form(engine, user_id), exc=exc)
        message = _(
            "The two-factor login of %(name)s is reset: they are logged out and told by "
            "e-mail, and set it up again at their next login."
        ) % {"name": found.name}
        return done(request, message, "admin_user_edit", user_id=user_id)


def _invitations_page(
    engine: Db,
    user: Principal,
    values: dict[str, str] | None = None,
    exc: Invalid | None = None,
    shown: tuple[str, str, int] = ("", "", 1),
    conflict: str = "",
) -> Template:
    """The invitation form and one page of the invitations (``shown``: the state, the
    text searched for and the page); ``conflict``: why an act lost a race (409)."""
    form = accounts.user_form(engine, None)
    state, query, page = shown
    found = invitation_cases.listing(engine, user, state=state or None, query=query, page=page)
    pages = max(1, -(-found.total // invitation_cases.PAGE_SIZE))
    if page > pages:  # a page past the end (fewer invitations now): the last one
        page = pages
        found = invitation_cases.listing(engine, user, state=state or None, query=query, page=page)
    context = {
        "form": form,
        "values": {"role": "officer"} if values is None else values,
        "errors": [{"field": None, "message": conflict}]
        if conflict
        else (form_problems(exc.problems) if exc else []),
        "rows": found.rows,
        "total": found.total,
        "shown": {"state": state, "q": query, "page": min(page, pages), "pages": pages},
        "states": invitations.STATES,
    }
    return Template("admin/invitations.html", context=context, status_code=409 if conflict else 200)


class AdminInvitationController(Controller):
    """Invite a person by e-mail; the invitations sent, to send again or revoke."""

    path = "/admin/invitations"
    guards = [admin_only]

    @get("/", name="admin_invitations")
    @in_thread
    def invitations(
        self,
        engine: Db,
        user: Principal,
        wanted: Annotated[str, QueryParameter(name="state", max_length=20)] = "",
        search: Annotated[str, QueryParameter(name="q", max_length=200)] = "",
        page: Annotated[str, QueryParameter(name="page", max_length=12)] = "1",
    ) -> Template:
        """The invitations, the most recently sent first, 50 to a page: by state (open,
        expired, accepted, revoked) and by a part of the address, name or organisation."""
        state = wanted if wanted in invitations.STATES else ""
        shown = (state, clean_text(search), whole_number(page) or 1)
        return _invitations_page(engine, user, shown=shown)

    @post("/", name="admin_invitation_create", status_code=200)
    @in_thread
    def invite(
        self, request: Req, engine: Db, user: Principal, settings: Config, data: Form
    ) -> Page:
        values = typed(data)
        try:
            sent = invitation_cases.invite(engine, user, settings, values)
        except Invalid as exc:
            return _invitations_page(engine, user, values, exc)
        message = _("The invitation has been sent to %(email)s.") % {"email": sent.invitation.email}
        return done(request, message, "admin_invitations")

    @post("/{invitation_id:int}/resend", name="admin_invitation_resend", status_code=303)
    @in_thread
    def resend(
        self,
        request: Req,
        engine: Db,
        user: Principal,
        settings: Config,
        invitation_id: Id,
        data: Form,
    ) -> Page:
        seen = whole_number(str(data.get("times_sent", "")))
        try:
            sent = invitation_cases.send_again(engine, user, settings, invitation_id, seen)
        except Conflict as exc:
            return _invitations_page(engine, user, conflict=exc.message)
        message = _(
            "The invitation has been sent to %(email)s again; the link in the earlier "
            "invitation e-mail no longer works."
        ) % {"email": sent.invitation.email}
        return done(request, message, "admin_invitations")

    @post("/{invitation_id:int}/revoke", name="admin_invitation_revoke")
    @in_thread
    def revoke(self, request: Req, engine: Db, user: Principal, invitation_id: Id) -> Page:
        invitation_cases.revoke(engine, user, invitation_id)
        return done(request, _("The invitation has been revoked."), "admin_invitations")


def _webhooks_page(
    engine: Db, values: dict[str, str] | None = None, exc: Invalid | None = None
) -> Template:
    found = webhook_cases.overview(engine)
    context = {
        "endpoints": found.endpoints,
        "deliveries": found.deliveries,
        "events": list(webhooks.EVENTS),
        "values": values or {},
        "errors": form_problems(exc.problems) if exc else [],
    }
    return Template("admin/webhooks.html", context=context)


class AdminWebhookController(Controller):
    """Outgoing webhooks: the endpoints, a new one, and the last deliveries."""

    path = "/admin/webhooks"
    guards = [admin_only]

    @get("/", name="admin_webhooks")
    @in_thread
    def webhooks_page(self, engine: Db) -> Template:
        return _webhooks_page(engine)

    @post("/", name="admin_webhook_add", status_code=200)
    @in_thread
    def add(self, request: Req, engine: Db, user: Principal, data: Form) -> Page:
        values = typed(data)
        try:
            webhook_cases.add(engine, user, values)
        except Invalid as exc:
            values.pop("secret", None)  # not shown again
            return _webhooks_page(engine, values, exc)
        return done(request, _("The webhook is added."), "admin_webhooks")

    @post("/{endpoint_id:int}/active", name="admin_webhook_active")
    @in_thread
    def active(
        self, request: Req, engine: Db, user: Principal, endpoint_id: Id, data: Form
    ) -> Page:
        on = typed(data).get("active") == "yes"
        webhook_cases.set_active(engine, user, endpoint_id, on)
        message = _("The webhook is on again.") if on else _("The webhook is off.")
        return done(request, message, "admin_webhooks")


handlers = [
    AdminWebhookController,
    AdminOrganisationController,
    AdminUserController,
    AdminTwoFactorController,
    AdminInvitationController,
]
