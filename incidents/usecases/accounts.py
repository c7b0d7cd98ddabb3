"""Accounts: the user's own account page (password, API tokens, logins) and the
administration of organisations and users. The rules themselves live in
incidents/accounts.py; a refusal is ``accounts.InputError`` (an ``Invalid``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from incidents import accounts, audit, invitations
from incidents.auth import check_own_password, revoke_all_sessions
from incidents.clock import now
from incidents.db import session_scope
from incidents.errors import Invalid, NotFound, Problem
from incidents.i18n import gettext as _
from incidents.jurisdiction import DEFAULT_COUNTRY
from incidents.models import ApiToken, Organisation, OrgKind, Role, User, UserSession, utcnow
from incidents.principal import CurrentUser
from incidents.settings import Settings
from incidents.usecases.auth import Login, new_login, wait_message

# --- the user's own account -----------------------------------------------------------


@dataclass(frozen=True)
class AccountPage:
    tokens: list[ApiToken]  # newest first, revoked ones too
    logins: list[UserSession]  # the live ones, newest first


def account_page(engine: Engine, user: CurrentUser) -> AccountPage:
    with session_scope(engine) as session:
        tokens = accounts.tokens_of(session, user.id)
        logins = accounts.live_sessions(session, user.id, utcnow())
    return AccountPage(tokens=tokens, logins=logins)


def _own(session: Session, user: CurrentUser) -> User:
    row = session.get(User, user.id)
    if row is None:
        raise NotFound()
    return row


def change_password(
    engine: Engine,
    settings: Settings,
    user: CurrentUser,
    *,
    current: str,
    new: str,
    confirm: str,
    address: str,
) -> Login:
    """Change the user's own password: the current one is checked (counted like a login
    from ``address``), every session and API token ends, and this browser gets a new
    login. Invalid names ``current_password``, ``confirm_password`` or ``new_password``."""
    problems: list[Problem] = []
    check = check_own_password(engine, settings, user.id, current, address)
    if check.limited:
        problems.append(Problem("current_password", wait_message(check.retry_after)))
    elif check.user is None:
        problems.append(Problem("current_password", _("Enter your current password")))
    if new != confirm:
        problems.append(Problem("confirm_password", _("The two new passwords differ")))
    if problems:
        raise Invalid(problems)
    with session_scope(engine, write=True) as session:
        row = _own(session, user)
        try:
            accounts.set_password(session, row, new, actor_id=user.id)
        except accounts.InputError as exc:  # raised before anything is written
            raise Invalid(Problem("new_password", p.message) for p in exc.problems) from exc
        return new_login(session, settings, row)


def create_token(engine: Engine, user: CurrentUser, label: str) -> str:
    """A new API token of the user's own, named ``label``; the token is shown once."""
    label = label.strip()
    if not label:
        raise Invalid([Problem("label", _("Enter a name for the token"))])
    if len(label) > 100:
        raise Invalid([Problem("label", _("Use at most 100 characters"))])
    with session_scope(engine, write=True) as session:
        return accounts.create_token(session, _own(session, user), label, actor_id=user.id)


def revoke_token(engine: Engine, user: CurrentUser, token_id: int) -> None:
    """End one of the user's own API tokens; NotFound for another's or a revoked one."""
    with session_scope(engine, write=True) as session:
        if not accounts.revoke_token(session, token_id, user.id, actor_id=user.id):
            raise NotFound()


def revoke_other_sessions(engine: Engine, user: CurrentUser) -> None:
    """Log out every other session of the user; this one stays."""
    with session_scope(engine, write=True) as session:
        revoke_all_sessions(session, user.id, "logout_others", keep=user.session_id_hash)
        audit.record(
            session, "user.sessions_revoked", actor_id=user.id, organisation_id=user.organisation_id
        )


# --- administration: organisations -----------------------------------------------------


@dataclass(frozen=True)
class OrganisationForm:
    org: Organisation | None  # None: a new one
    values: dict[str, str]


def _organisation(session: Session, slug: str) -> Organisation:
    org = accounts.find_organisation(session, slug)
    if org is None:
        raise NotFound()
    return org


def new_organisation_form() -> OrganisationForm:
    """The form for a new controller organisation."""
    return OrganisationForm(org=None, values={"language": "nl", "country": DEFAULT_COUNTRY})


def organisation_form(engine: Engine, slug: str) -> OrganisationForm:
    """The form to edit an organisation, as stored; NotFound for an unknown slug."""
    with session_scope(engine) as session:
        org = _organisation(session, slug)
    values = {
        "name": org.name,
        "contract_hours": "" if org.contract_hours is None else str(org.contract_hours),
        "language": org.language,
        "emails": "\n".join(org.notification_emails),
        **{flag: "yes" for flag in accounts.regimes_of(org)},
        "country": org.country,
        "timezone": org.timezone,
        "authority": org.authority,
    }
    return OrganisationForm(org=org, values=values)


def create_organisation(
    engine: Engine, actor: CurrentUser, values: Mapping[str, str], base_url: str
) -> tuple[str, int]:
    """Add a controller organisation from the form's fields; returns its slug and how
    many of its addresses were invited as officers (``invite``: yes)."""
    with session_scope(engine, write=True) as session:
        org = accounts.create_organisation(
            session,
            slug=values.get("slug", ""),
            name=values.get("name", ""),
            kind=OrgKind.controller,
            contract_hours=values.get("contract_hours", ""),
            language=values.get("language", "nl"),
            emails=values.get("emails", ""),
            regimes=_regimes(values),
            country=values.get("country") or DEFAULT_COUNTRY,
            timezone=values.get("timezone", ""),
            authority=values.get("authority", ""),
            actor_id=actor.id,
        )
        return org.slug, _invite(session, org, actor, values, base_url)


def _regimes(values: Mapping[str, str]) -> list[str]:
    """The regimes ticked on the form (a box each)."""
    return [flag for flag in accounts.REGIME_FLAGS if values.get(flag) == "yes"]


def _invite(
    session: Session, org: Organisation, actor: CurrentUser, values: Mapping[str, str], url: str
) -> int:
    if values.get("invite") != "yes":
        return 0
    return invitations.invite_addresses(session, url, org, actor.id, now())


def update_organisation(
    engine: Engine, actor: CurrentUser, slug: str, values: Mapping[str, str], base_url: str
) -> int:
    """Change an organisation's name and contract settings from the form's fields; returns
    how many of its addresses were invited as officers (``invite``: yes)."""
    with session_scope(engine, write=True) as session:
        org = _organisation(session, slug)
        accounts.update_organisation(
            session,
            org,
            name=values.get("name", ""),
            contract_hours=values.get("contract_hours", ""),
            language=values.get("language", ""),
            emails=values.get("emails", ""),
            regimes=_regimes(values),
            country=values.get("country"),  # left out (a processor): as it is
            timezone=values.get("timezone"),
            authority=values.get("authority"),
            actor_id=actor.id,
        )
        return _invite(session, org, actor, values, base_url)


# --- administration: users -------------------------------------------------------------


@dataclass(frozen=True)
class UserForm:
    user: User | None  # None: a new one
    values: dict[str, str]
    organisations: list[Organisation]  # to choose from: the processor first
    roles: list[str]


def list_users(engine: Engine) -> list[tuple[User, Organisation]]:
    """Every user with their organisation, by organisation and name."""
    with session_scope(engine) as session:
        return accounts.users_with_organisations(session)


def _user(session: Session, user_id: int) -> tuple[User, Organisation]:
    rows = accounts.users_with_organisations(session, user_id)
    if not rows:
        raise NotFound()
    return rows[0]


def user_form(engine: Engine, user_id: int | None) -> UserForm:
    """The form for a new user (``user_id`` None) or to edit one, as stored."""
    with session_scope(engine) as session:
        organisations = accounts.all_organisations(session)
        user, values = None, {"role": "staff"}
        if user_id is not None:
            user, org = _user(session, user_id)
            values = {
                "name": user.name,
                "role": user.role,
                "org": org.slug,
                "active": "yes" if user.is_active else "",
            }
    return UserForm(user, values, organisations, [r.value for r in Role])


def create_user(
    engine: Engine, actor: CurrentUser, values: Mapping[str, str], password: str
) -> None:
    """Add a user from the form's fields."""
    with session_scope(engine, write=True) as session:
        accounts.create_user(
            session,
            email=values.get("email", ""),
            name=values.get("name", ""),
            role=values.get("role", ""),
            password=password,
            org_slug=values.get("org") or None,
            actor_id=actor.id,
        )


def update_user(
    engine: Engine, actor: CurrentUser, user_id: int, values: Mapping[str, str]
) -> None:
    """Change a user's name, role, organisation and whether they may log in; an admin
    cannot take their own administrator access away."""
    with session_scope(engine, write=True) as session:
        user, _org = _user(session, user_id)
        if user.id == actor.id and (values.get("role") != "admin" or values.get("active") != "yes"):
            message = _("You cannot remove your own administrator access")
            raise Invalid([Problem("role", message)])
        accounts.update_user(
            session,
            user,
            name=values.get("name", ""),
            role=values.get("role", ""),
            org_slug=values.get("org") or None,
            is_active=values.get("active") == "yes",
            actor_id=actor.id,
        )


def set_user_password(engine: Engine, actor: CurrentUser, user_id: int, password: str) -> None:
    """Give a user a new password; their sessions and API tokens end."""
    with session_scope(engine, write=True) as session:
        user, _org = _user(session, user_id)
        accounts.set_password(session, user, password, actor_id=actor.id)
