"""Administration: organisations, contract settings and users (admins only)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session, select

from incidents import accounts
from incidents.auth import admin_only
from incidents.controllers.common import engine_of, flash, in_thread, user_of
from incidents.db import session_scope
from incidents.i18n import gettext as _
from incidents.models import Organisation, OrgKind, Role, User


def _problems(exc: accounts.InputError) -> list[dict[str, str]]:
    return [
        {"field": p.field, "message": p.message[:1].upper() + p.message[1:]} for p in exc.problems
    ]


def _organisations(session: Session) -> list[Organisation]:
    return list(
        session.exec(
            select(Organisation).order_by(Organisation.kind.desc(), Organisation.name)
        ).all()
    )  # type: ignore[attr-defined]


# --- organisations --------------------------------------------------------------------


@get("/admin/organisations/new", name="admin_org_new", guards=[admin_only], sync_to_thread=False)
def org_new(request: Request[Any, Any, Any]) -> Template:
    return Template(
        "admin/org_form.html", context={"org": None, "values": {"language": "nl"}, "errors": []}
    )


@post(
    "/admin/organisations/new",
    name="admin_org_create",
    guards=[admin_only],
    status_code=200,
)
@in_thread
def org_create(
    request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    actor = user_of(request)
    values = {k: str(v) for k, v in data.items() if k != "_csrf_token"}
    errors: list[dict[str, str]] = []
    with session_scope(engine_of(request), write=True) as session:
        try:
            org = accounts.create_organisation(
                session,
                slug=values.get("slug", ""),
                name=values.get("name", ""),
                kind=OrgKind.controller,
                contract_hours=values.get("contract_hours", ""),
                language=values.get("language", "nl"),
                emails=values.get("emails", ""),
                nis2=values.get("nis2") == "yes",
                actor_id=actor.id,
            )
            slug = org.slug
        except accounts.InputError as exc:
            session.rollback()
            errors.extend(_problems(exc))
    if errors:
        return Template(
            "admin/org_form.html", context={"org": None, "values": values, "errors": errors}
        )
    flash(request, _("The organisation has been added."))
    return Redirect(request.app.route_reverse("organisation", slug=slug), status_code=303)


def _org_or_404(session: Session, slug: str) -> Organisation:
    org = accounts.find_organisation(session, slug)
    if org is None:
        raise NotFoundException()
    return org


@get(
    "/admin/organisations/{slug:str}",
    name="admin_org_edit",
    guards=[admin_only],
)
@in_thread
def org_edit(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    with session_scope(engine_of(request)) as session:
        org = _org_or_404(session, slug)
    values = {
        "name": org.name,
        "contract_hours": "" if org.contract_hours is None else str(org.contract_hours),
        "language": org.language,
        "emails": "\n".join(org.notification_emails),
        "nis2": "yes" if org.nis2 else "",
    }
    return Template("admin/org_form.html", context={"org": org, "values": values, "errors": []})


@post(
    "/admin/organisations/{slug:str}",
    name="admin_org_update",
    guards=[admin_only],
    status_code=200,
)
@in_thread
def org_update(
    request: Request[Any, Any, Any], slug: FromPath[str], data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    actor = user_of(request)
    values = {k: str(v) for k, v in data.items() if k != "_csrf_token"}
    errors: list[dict[str, str]] = []
    with session_scope(engine_of(request), write=True) as session:
        org = _org_or_404(session, slug)
        try:
            accounts.update_organisation(
                session,
                org,
                name=values.get("name", ""),
                contract_hours=values.get("contract_hours", ""),
                language=values.get("language", ""),
                emails=values.get("emails", ""),
                nis2=values.get("nis2") == "yes",
                actor_id=actor.id,
            )
        except accounts.InputError as exc:  # raised before anything is changed
            errors.extend(_problems(exc))
    if errors:
        return Template(
            "admin/org_form.html", context={"org": org, "values": values, "errors": errors}
        )
    flash(request, _("The changes have been saved."))
    return Redirect(request.app.route_reverse("organisation", slug=slug), status_code=303)


# --- users ----------------------------------------------------------------------------


@get("/admin/users", name="admin_users", guards=[admin_only])
@in_thread
def users(request: Request[Any, Any, Any]) -> Template:
    with session_scope(engine_of(request)) as session:
        rows = session.exec(
            select(User, Organisation)
            .join(Organisation, Organisation.id == User.organisation_id)  # type: ignore[arg-type]
            .order_by(Organisation.name, User.name)
        ).all()
    return Template("admin/users.html", context={"rows": rows})


def _user_form(
    session: Session, user: User | None, values: dict[str, str], errors: list[dict[str, str]]
) -> Template:
    return Template(
        "admin/user_form.html",
        context={
            "user": user,
            "values": values,
            "errors": errors,
            "organisations": _organisations(session),
            "roles": [r.value for r in Role],
        },
    )


@get("/admin/users/new", name="admin_user_new", guards=[admin_only])
@in_thread
def user_new(request: Request[Any, Any, Any]) -> Template:
    with session_scope(engine_of(request)) as session:
        return _user_form(session, None, {"role": "staff"}, [])


@post(
    "/admin/users/new",
    name="admin_user_create",
    guards=[admin_only],
    status_code=200,
)
@in_thread
def user_create(
    request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    actor = user_of(request)
    values = {k: str(v) for k, v in data.items() if k != "_csrf_token"}
    password = values.pop("password", "")
    with session_scope(engine_of(request), write=True) as session:
        try:
            accounts.create_user(
                session,
                email=values.get("email", ""),
                name=values.get("name", ""),
                role=values.get("role", ""),
                password=password,
                org_slug=values.get("org") or None,
                actor_id=actor.id,
            )
        except accounts.InputError as exc:
            session.rollback()
            return _user_form(session, None, values, _problems(exc))
    flash(request, _("The user has been added."))
    return Redirect(request.app.route_reverse("admin_users"), status_code=303)


def _user_or_404(session: Session, user_id: int) -> tuple[User, Organisation]:
    row = session.exec(
        select(User, Organisation)
        .join(Organisation, Organisation.id == User.organisation_id)  # type: ignore[arg-type]
        .where(User.id == user_id)
    ).first()
    if row is None:
        raise NotFoundException()
    return row[0], row[1]


@get("/admin/users/{user_id:int}", name="admin_user_edit", guards=[admin_only])
@in_thread
def user_edit(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Template:
    with session_scope(engine_of(request)) as session:
        user, org = _user_or_404(session, user_id)
        values = {
            "name": user.name,
            "role": user.role,
            "org": org.slug,
            "active": "yes" if user.is_active else "",
        }
        return _user_form(session, user, values, [])


@post(
    "/admin/users/{user_id:int}",
    name="admin_user_update",
    guards=[admin_only],
    status_code=200,
)
@in_thread
def user_update(
    request: Request[Any, Any, Any], user_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    actor = user_of(request)
    values = {k: str(v) for k, v in data.items() if k != "_csrf_token"}
    with session_scope(engine_of(request), write=True) as session:
        user, _org = _user_or_404(session, user_id)
        errors: list[dict[str, str]] = []
        if user.id == actor.id and (values.get("role") != "admin" or values.get("active") != "yes"):
            errors.append(
                {"field": "role", "message": _("You cannot remove your own administrator access")}
            )
        else:
            try:
                accounts.update_user(
                    session,
                    user,
                    name=values.get("name", ""),
                    role=values.get("role", ""),
                    org_slug=values.get("org") or None,
                    is_active=values.get("active") == "yes",
                    actor_id=actor.id,
                )
            except accounts.InputError as exc:
                errors = _problems(exc)
        if errors:  # nothing was changed: the checks run before any write
            return _user_form(session, user, values, errors)
    flash(request, _("The changes have been saved."))
    return Redirect(request.app.route_reverse("admin_users"), status_code=303)


@post(
    "/admin/users/{user_id:int}/password",
    name="admin_user_password",
    guards=[admin_only],
    status_code=200,
)
@in_thread
def user_password(
    request: Request[Any, Any, Any], user_id: FromPath[int], data: URLEncodedBody[dict[str, Any]]
) -> Template | Redirect:
    actor = user_of(request)
    with session_scope(engine_of(request), write=True) as session:
        user, org = _user_or_404(session, user_id)
        try:
            accounts.set_password(session, user, str(data.get("password", "")), actor_id=actor.id)
        except accounts.InputError as exc:  # raised before anything is written
            values = {
                "name": user.name,
                "role": user.role,
                "org": org.slug,
                "active": "yes" if user.is_active else "",
            }
            return _user_form(session, user, values, _problems(exc))
    flash(
        request,
        _(
            "The password has been set. The user's sessions have been logged out and "
            "their API tokens revoked."
        ),
    )
    return Redirect(request.app.route_reverse("admin_users"), status_code=303)


handlers = [
    org_new,
    org_create,
    org_edit,
    org_update,
    users,
    user_new,
    user_create,
    user_edit,
    user_update,
    user_password,
]
