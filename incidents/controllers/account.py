"""The user's own account: password, language, API tokens and sessions."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from incidents.controllers.auth import Form, Page, Req, problems, remember_device
from incidents.controllers.common import Config, Db, Principal, client_address, flash, in_thread
from incidents.errors import Invalid
from incidents.i18n import gettext as _
from incidents.principal import CurrentUser
from incidents.usecases import accounts


def _render(engine: Db, user: CurrentUser, **extra: Any) -> Template:
    page = accounts.account_page(engine, user)
    context = {"tokens": page.tokens, "logins": page.logins, "errors": [], "values": {}}
    context.update(extra)
    return Template("account/index.html", context=context)


def _back(request: Req, message: str) -> Redirect:
    """To the account page, with a message."""
    flash(request, message)
    return Redirect(request.app.route_reverse("account"), status_code=303)


class AccountController(Controller):
    path = "/account"

    @get("/", name="account")
    @in_thread
    def account(self, engine: Db, user: Principal) -> Template:
        return _render(engine, user)

    @post("/password", name="account_password", status_code=200)
    @in_thread
    def change_password(
        self, request: Req, engine: Db, user: Principal, settings: Config, data: Form
    ) -> Page:
        try:
            login = accounts.change_password(
                engine,
                settings,
                user,
                current=str(data.get("current_password", "")),
                new=str(data.get("new_password", "")),
                confirm=str(data.get("confirm_password", "")),
                address=client_address(request),
            )
        except Invalid as exc:
            return _render(engine, user, errors=problems(exc))
        request.set_session({"sid": login.sid})
        message = _(
            "Your password has been changed. Other sessions have been logged out and "
            "your API tokens revoked."
        )
        response = _back(request, message)
        # The old known-device cookies ended with the password; this browser gets a new one.
        remember_device(response, settings, login)
        return response

    @post("/tokens", name="account_token_create", status_code=200)
    @in_thread
    def create_token(self, engine: Db, user: Principal, data: Form) -> Template:
        label = str(data.get("label", "")).strip()
        try:
            token = accounts.create_token(engine, user, label)
        except Invalid as exc:
            return _render(engine, user, errors=problems(exc), values={"label": label})
        return _render(engine, user, new_token=token)

    @post("/tokens/{token_id:int}/revoke", name="account_token_revoke")
    @in_thread
    def revoke_token(
        self, request: Req, engine: Db, user: Principal, token_id: FromPath[int]
    ) -> Redirect:
        accounts.revoke_token(engine, user, token_id)
        return _back(request, _("The token has been revoked."))

    @post("/sessions/revoke-others", name="account_sessions_revoke")
    @in_thread
    def revoke_other_sessions(self, request: Req, engine: Db, user: Principal) -> Redirect:
        accounts.revoke_other_sessions(engine, user)
        return _back(request, _("All your other sessions have been logged out."))


handlers = [AccountController]
