"""The user's own account: password, language, API tokens and sessions."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import update
from sqlmodel import Session, select

from incidents import accounts, audit
from incidents.auth import check_own_password, start_session
from incidents.controllers.auth import remember_device, wait_message
from incidents.controllers.common import (
    client_address,
    engine_of,
    flash,
    in_thread,
    settings_of,
    user_of,
)
from incidents.db import session_scope
from incidents.errors import NotFound
from incidents.i18n import gettext as _
from incidents.models import ApiToken, User, UserSession, utcnow
from incidents.principal import CurrentUser


def _account_context(session: Session, user: CurrentUser) -> dict[str, Any]:
    now = utcnow()
    tokens = session.exec(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())  # type: ignore[attr-defined]
    ).all()
    logins = session.exec(
        select(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),  # type: ignore[union-attr]
            UserSession.expires_at > now,
        )
        .order_by(UserSession.created_at.desc())  # type: ignore[attr-defined]
    ).all()
    return {"tokens": list(tokens), "logins": list(logins), "errors": [], "values": {}}


def _render(request: Request[Any, Any, Any], status: int = 200, **extra: Any) -> Template:
    user = user_of(request)
    with session_scope(engine_of(request)) as session:
        context = _account_context(session, user)
    context.update(extra)
    return Template("account/index.html", context=context, status_code=status)


@get("/account", name="account")
@in_thread
def account(request: Request[Any, Any, Any]) -> Template:
    return _render(request)


@post("/account/password", name="account_password", status_code=200)
@in_thread
def change_password(
    request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    user = user_of(request)
    current = str(data.get("current_password", ""))
    new = str(data.get("new_password", ""))
    confirm = str(data.get("confirm_password", ""))
    errors: list[dict[str, str]] = []
    settings = settings_of(request)
    check = check_own_password(
        engine_of(request), settings, user.id, current, client_address(request)
    )
    if check.limited:
        errors.append({"field": "current_password", "message": wait_message(check.retry_after)})
    elif check.user is None:
        errors.append({"field": "current_password", "message": _("Enter your current password")})
    if new != confirm:
        errors.append({"field": "confirm_password", "message": _("The two new passwords differ")})
    if not errors:
        with session_scope(engine_of(request), write=True) as session:
            row = session.get(User, user.id)
            if row is None:
                raise NotFoundException()
            try:
                accounts.set_password(session, row, new, actor_id=user.id)
            except accounts.InputError as exc:  # raised before anything is written
                errors.extend({"field": "new_password", "message": p.message} for p in exc.problems)
            else:
                # Every session ended with the password change; this browser gets a fresh one.
                sid = start_session(session, row, settings)
    if errors:
        return _render(request, errors=errors)
    request.set_session({"sid": sid})
    flash(
        request,
        _(
            "Your password has been changed. Other sessions have been logged out and "
            "your API tokens revoked."
        ),
    )
    response = Redirect(request.app.route_reverse("account"), status_code=303)
    # The old known-device cookies ended with the password; this browser gets a new one.
    remember_device(response, settings, row)
    return response


@post("/account/tokens", name="account_token_create", status_code=200)
@in_thread
def create_token(request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]]) -> Template:
    user = user_of(request)
    label = str(data.get("label", "")).strip()
    if not label:
        return _render(
            request,
            errors=[{"field": "label", "message": _("Enter a name for the token")}],
            values={"label": label},
        )
    if len(label) > 100:
        return _render(
            request,
            errors=[{"field": "label", "message": _("Use at most 100 characters")}],
            values={"label": label},
        )
    with session_scope(engine_of(request), write=True) as session:
        row = session.get(User, user.id)
        if row is None:
            raise NotFound()
        token = accounts.create_token(session, row, label, actor_id=user.id)
    return _render(request, new_token=token)


@post("/account/tokens/{token_id:int}/revoke", name="account_token_revoke")
@in_thread
def revoke_token(request: Request[Any, Any, Any], token_id: FromPath[int]) -> Redirect:
    user = user_of(request)
    with session_scope(engine_of(request), write=True) as session:
        if not accounts.revoke_token(session, token_id, user.id, actor_id=user.id):
            raise NotFoundException()
    flash(request, _("The token has been revoked."))
    return Redirect(request.app.route_reverse("account"), status_code=303)


@post("/account/sessions/revoke-others", name="account_sessions_revoke")
@in_thread
def revoke_other_sessions(request: Request[Any, Any, Any]) -> Redirect:
    user = user_of(request)
    with session_scope(engine_of(request), write=True) as session:
        session.execute(
            update(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.id_hash != user.session_id_hash,
                UserSession.revoked_at.is_(None),  # type: ignore[union-attr]
            )
            .values(revoked_at=utcnow(), revoked_reason="logout_others")
        )
        audit.record(
            session, "user.sessions_revoked", actor_id=user.id, organisation_id=user.organisation_id
        )
    flash(request, _("All your other sessions have been logged out."))
    return Redirect(request.app.route_reverse("account"), status_code=303)


handlers = [account, change_password, create_token, revoke_token, revoke_other_sessions]
