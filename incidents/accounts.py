"""Organisations, users and API tokens: the rules shared by the command line and the
admin pages. Each function checks everything first and reports every problem at once."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from forms.values import whole_number
from incidents import audit, authorities, documents
from incidents.auth import revoke_all_sessions, revoke_all_tokens
from incidents.errors import Invalid, Problem
from incidents.i18n import gettext as _
from incidents.jurisdiction import DEFAULT_COUNTRY, countries, zones, zones_of
from incidents.models import (
    LANGUAGES,
    ApiToken,
    Organisation,
    OrgKind,
    Role,
    User,
    UserSession,
    utcnow,
)
from incidents.security import (
    PasswordPolicyError,
    check_password_policy,
    digest,
    hash_password,
    new_token,
)

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
EMAIL_RE = re.compile(
    r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
MAX_CONTRACT_HOURS = 24 * 31


class InputError(Invalid, ValueError):
    """Bad input; ``problems`` names every field that is wrong."""


def valid_email(value: str) -> bool:
    return len(value) <= 254 and EMAIL_RE.match(value) is not None


def parse_emails(raw: str | Iterable[str]) -> list[str]:
    items = re.split(r"[\s,;]+", raw) if isinstance(raw, str) else list(raw)
    return [item.strip().lower() for item in items if item and item.strip()]


def read_hours(raw: int | str | None, problems: list[Problem]) -> int | None:
    """Contract hours from the command line (int) or a form (text; empty means none)."""
    if raw is None or isinstance(raw, int):
        return raw
    raw = raw.strip()
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]+", raw):  # 0-9 only: isdigit() also says yes to ² and ٣
        problems.append(
            Problem("contract_hours", _("enter the hours as a whole number, or leave it empty"))
        )
        return None
    hours = whole_number(raw)  # None: more than nine digits, refused as too many hours
    return MAX_CONTRACT_HOURS + 1 if hours is None else hours


def check_name(name: str, problems: list[Problem]) -> None:
    if not name or len(name) > 200:
        problems.append(Problem("name", _("enter a name of 1-200 characters")))


def create_organisation(
    session: Session,
    *,
    slug: str,
    name: str,
    kind: str,
    contract_hours: int | str | None = None,
    language: str = "",
    emails: Iterable[str] = (),
    regimes: Iterable[str] = (),
    country: str = DEFAULT_COUNTRY,
    timezone: str = "",
    authority: str = "",
    actor_id: int | None = None,
) -> Organisation:
    problems: list[Problem] = []
    contract_hours = read_hours(contract_hours, problems)
    place = read_place(country, timezone, problems)
    flags = read_regimes(regimes, problems)
    lead = read_authority(authority, problems)
    language = language or ("nl" if place[0] == "NL" else "en")  # left out: the country's
    slug = slug.strip().lower()
    name = name.strip()
    email_list = parse_emails(emails)
    if not SLUG_RE.match(slug):
        problems.append(Problem("slug", _("use 1-64 lower-case letters, digits and dashes")))
    elif session.exec(select(Organisation).where(Organisation.slug == slug)).first():
        problems.append(
            Problem("slug", _("an organisation with slug {slug} already exists").format(slug=slug))
        )
    check_name(name, problems)
    if kind not in {k.value for k in OrgKind}:
        problems.append(Problem("kind", _("must be processor or controller")))
    elif kind == OrgKind.processor:
        if documents.processor(session) is not None:
            problems.append(Problem("kind", _("there is already a processor organisation")))
        if contract_hours is not None:
            problems.append(Problem("contract_hours", _("only a controller has contract hours")))
        if flags:
            problems.append(Problem("regimes", _("only a controller is under NIS2 or DORA")))
    problems.extend(check_controller_settings(contract_hours, language, email_list))
    if problems:
        raise InputError(problems)
    org = Organisation(slug=slug, name=name, kind=kind)
    _apply_settings(org, name, contract_hours, language, email_list, flags)
    org.country, org.timezone, org.authority = *place, lead
    session.add(org)
    session.flush()
    audit.record(session, "organisation.created", actor_id=actor_id, organisation_id=org.id)
    return org


def read_place(country: str, timezone: str, problems: list[Problem]) -> tuple[str, str]:
    """The country (an ISO 3166 code) and time zone of an organisation; an empty time zone
    is the country's main one (Europe/London for GB)."""
    country = country.strip().upper()
    timezone = timezone.strip()
    if country not in countries():
        problems.append(Problem("country", _("choose a country (a code like NL or GB)")))
        return country, timezone
    timezone = timezone or next(iter(zones_of(country)), "")
    if timezone not in zones():
        problems.append(Problem("timezone", _("choose a time zone like Europe/London")))
    return country, timezone


def check_controller_settings(
    contract_hours: int | None, language: str, emails: list[str]
) -> list[Problem]:
    problems: list[Problem] = []
    if contract_hours is not None and not 1 <= contract_hours <= MAX_CONTRACT_HOURS:
        problems.append(
            Problem(
                "contract_hours",
                _("enter a whole number of hours from 1 to {max}").format(max=MAX_CONTRACT_HOURS),
            )
        )
    if language not in LANGUAGES:
        problems.append(Problem("language", _("must be nl or en")))
    bad = [e for e in emails if not valid_email(e)]
    if bad:
        problems.append(
            Problem("emails", _("not an e-mail address: {values}").format(values=", ".join(bad)))
        )
    return problems


def update_organisation(
    session: Session,
    org: Organisation,
    *,
    name: str,
    contract_hours: int | str | None,
    language: str,
    emails: Iterable[str],
    regimes: Iterable[str],
    actor_id: int | None,
    country: str | None = None,
    timezone: str | None = None,
    authority: str | None = None,
) -> Organisation:
    email_list = parse_emails(emails)
    problems: list[Problem] = []
    contract_hours = read_hours(contract_hours, problems)
    country = org.country if country is None else country
    timezone = org.timezone if timezone is None else timezone
    if country.strip().upper() != org.country and timezone.strip() == org.timezone:
        timezone = ""  # a new country, the zone left as it was: the new country's own
    place = read_place(country, timezone, problems)
    flags = read_regimes(regimes, problems)
    lead = org.authority if authority is None else read_authority(authority, problems)
    problems.extend(check_controller_settings(contract_hours, language, email_list))
    name = name.strip()
    check_name(name, problems)
    if org.kind == OrgKind.processor and contract_hours is not None:
        problems.append(Problem("contract_hours", _("only a controller has contract hours")))
    if org.kind == OrgKind.processor and flags:
        problems.append(Problem("regimes", _("only a controller is under NIS2 or DORA")))
    if problems:
        raise InputError(problems)
    changed = sorted(
        key
        for key, old, new in (
            ("name", org.name, name),
            ("contract_hours", org.contract_hours, contract_hours),
            ("language", org.language, language),
            ("notification_emails", org.notification_emails, email_list),
            ("regimes", regimes_of(org), sorted(flags)),
            ("country", org.country, place[0]),
            ("timezone", org.timezone, place[1]),
            ("authority", org.authority, lead),
        )
        if old != new
    )
    _apply_settings(org, name, contract_hours, language, email_list, flags)
    org.country, org.timezone, org.authority = *place, lead
    session.add(org)
    audit.record(
        session, "organisation.updated", actor_id=actor_id, organisation_id=org.id, fields=changed
    )
    return org


def _apply_settings(
    org: Organisation,
    name: str,
    contract_hours: int | None,
    language: str,
    emails: list[str],
    flags: frozenset[str],
) -> None:
    org.name, org.contract_hours, org.language = name, contract_hours, language
    org.notification_emails = emails
    org.nis2, org.dora = "nis2" in flags, "dora" in flags
    org.dora_no_weekend_relief = "dora_no_weekend_relief" in flags


# The regimes a controller can be under besides the GDPR (the API's and the CLI's names).
REGIME_FLAGS = ("nis2", "dora", "dora_no_weekend_relief")


def regimes_of(org: Organisation) -> list[str]:
    return [flag for flag in REGIME_FLAGS if getattr(org, flag)]


def read_regimes(raw: Iterable[str], problems: list[Problem]) -> frozenset[str]:
    """The regime flags: nis2, dora, dora_no_weekend_relief (which needs dora)."""
    found = {item.strip().lower() for item in raw if item and item.strip()}
    unknown = sorted(found - set(REGIME_FLAGS))
    if unknown:
        problems.append(
            Problem(
                "regimes",
                _("unknown regime {values}: use nis2, dora or dora_no_weekend_relief").format(
                    values=", ".join(unknown)
                ),
            )
        )
    if "dora_no_weekend_relief" in found and "dora" not in found:
        problems.append(
            Problem(
                "dora_no_weekend_relief",
                _("only a financial entity under DORA can be without the weekend relief"),
            )
        )
    return frozenset(found & set(REGIME_FLAGS))


def read_authority(raw: str | None, problems: list[Problem]) -> str:
    """A lead supervisory authority chosen in place of the country's own ("": its own)."""
    key = (raw or "").strip().lower()
    if key and authorities.by_key(key) is None:
        problems.append(Problem("authority", _("choose a supervisory authority from the list")))
        return ""
    return key


def find_organisation(session: Session, slug: str) -> Organisation | None:
    return session.exec(
        select(Organisation).where(Organisation.slug == slug.strip().lower())
    ).first()


def password_message(exc: PasswordPolicyError) -> str:
    if exc.code == "empty":
        return _("the password is empty")
    return _("the password must have at least 10 characters")


def check_new_password(password: str, confirm: str, problems: list[Problem]) -> None:
    """A password chosen by its owner (an invitation, a reset): the policy, and the same
    password typed twice; the problems at ``password`` and ``confirm_password``."""
    try:
        check_password_policy(password)
    except PasswordPolicyError as exc:
        problems.append(Problem("password", password_message(exc)))
    if password != confirm:
        problems.append(Problem("confirm_password", _("the two passwords are not the same")))


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    org_slug: str | None = None,
    actor_id: int | None = None,
    password_hash: str | None = None,
) -> User:
    """Add a user. ``password_hash`` may carry a ready argon2 hash of ``password``."""
    problems: list[Problem] = []
    email = email.strip().lower()
    name = name.strip()
    if not valid_email(email):
        problems.append(Problem("email", _("enter an e-mail address like name@example.com")))
    elif session.exec(select(User).where(User.email == email)).first():
        problems.append(
            Problem("email", _("a user with e-mail {email} already exists").format(email=email))
        )
    check_name(name, problems)
    org, org_problems = organisation_for_role(session, role, org_slug)
    problems.extend(org_problems)
    try:
        check_password_policy(password)
    except PasswordPolicyError as exc:
        problems.append(Problem("password", password_message(exc)))
    if problems:
        raise InputError(problems)
    assert org is not None and org.id is not None
    user = User(
        email=email,
        name=name,
        role=role,
        organisation_id=org.id,
        password_hash=password_hash or hash_password(password),
    )
    session.add(user)
    session.flush()
    _record(session, "user.created", user, actor_id, role=role)
    return user


def organisation_for_role(
    session: Session, role: str, org_slug: str | None
) -> tuple[Organisation | None, list[Problem]]:
    if role not in {r.value for r in Role}:
        return None, [Problem("role", _("must be staff, officer or admin"))]
    officer = role == Role.officer
    if officer and not org_slug:
        return None, [Problem("org", _("an officer needs --org: the controller it belongs to"))]
    if not org_slug:
        org = documents.processor(session)
        if org is None:
            return None, [Problem("org", _("create the processor organisation first (create-org)"))]
        return org, []
    org = find_organisation(session, org_slug)
    if org is None:
        message = _("no organisation with slug {slug}").format(slug=org_slug)
    elif officer and org.kind != OrgKind.controller:
        message = _("an officer belongs to a controller organisation")
    elif not officer and org.kind != OrgKind.processor:
        message = _("staff and admins belong to the processor organisation")
    else:
        return org, []
    return None, [Problem("org", message)]


def update_user(
    session: Session,
    user: User,
    *,
    name: str,
    role: str,
    org_slug: str | None,
    is_active: bool,
    actor_id: int | None,
) -> User:
    problems: list[Problem] = []
    name = name.strip()
    check_name(name, problems)
    org, org_problems = organisation_for_role(session, role, org_slug)
    problems.extend(org_problems)
    if problems:
        raise InputError(problems)
    assert org is not None and org.id is not None
    access_changed = (user.role, user.organisation_id, user.is_active) != (role, org.id, is_active)
    user.name, user.role, user.is_active = name, role, is_active
    user.organisation_id = org.id
    session.add(user)
    # A token carries the access it was made with: a changed role, controller or a
    # deactivation ends it for good (reactivation gives no old token back).
    tokens_revoked = _end_access(session, user, "access_changed") if access_changed else 0
    _record(
        session,
        "user.updated",
        user,
        actor_id,
        role=role,
        active=is_active,
        sessions_revoked=access_changed,
        tokens_revoked=tokens_revoked,
    )
    return user


def _end_access(session: Session, user: User, reason: str) -> int:
    """End every session and API token of the user; returns how many tokens ended."""
    assert user.id is not None
    revoke_all_sessions(session, user.id, reason)
    return revoke_all_tokens(session, user.id)


def _record(
    session: Session, action: str, user: User, actor_id: int | None, **details: Any
) -> None:
    """An audit event about ``user``."""
    audit.record(
        session,
        action,
        actor_id=actor_id,
        organisation_id=user.organisation_id,
        user_id=user.id,
        **details,
    )


def set_password(session: Session, user: User, password: str, *, actor_id: int | None) -> None:
    """Set a new password and end every session and API token of the user."""
    try:
        user.password_hash = hash_password(password)
    except PasswordPolicyError as exc:
        raise InputError([Problem("password", password_message(exc))]) from exc
    user.password_changed_at = utcnow()
    session.add(user)
    tokens_revoked = _end_access(session, user, "password_changed")
    _record(session, "user.password_changed", user, actor_id, tokens_revoked=tokens_revoked)


def create_token(session: Session, user: User, label: str = "", *, actor_id: int | None) -> str:
    """Create an API token; returns the token, which is never stored or shown again."""
    label = label.strip()
    if len(label) > 100:
        raise InputError([Problem("label", _("use at most 100 characters"))])
    token = new_token()
    assert user.id is not None
    row = ApiToken(user_id=user.id, token_hash=digest(token), prefix=token[:10], label=label)
    session.add(row)
    session.flush()
    _record(session, "token.created", user, actor_id, token_id=row.id)
    return token


def revoke_token(session: Session, token_id: int, user_id: int, *, actor_id: int | None) -> bool:
    result = session.execute(
        update(ApiToken)
        .where(
            col(ApiToken.id) == token_id,
            col(ApiToken.user_id) == user_id,
            col(ApiToken.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
    )
    revoked = bool(getattr(result, "rowcount", 0))
    if revoked:
        audit.record(
            session, "token.revoked", actor_id=actor_id, user_id=user_id, token_id=token_id
        )
    return revoked


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    """A user's API tokens, newest first (revoked ones too)."""
    return list(
        session.exec(
            select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(col(ApiToken.created_at).desc())
        ).all()
    )


def live_sessions(session: Session, user_id: int, now: datetime) -> list[UserSession]:
    """A user's logins that have neither been revoked nor expired, newest first."""
    return list(
        session.exec(
            select(UserSession)
            .where(
                UserSession.user_id == user_id,
                col(UserSession.revoked_at).is_(None),
                col(UserSession.expires_at) > now,
            )
            .order_by(col(UserSession.created_at).desc())
        ).all()
    )


def set_language(session: Session, user_id: int, language: str) -> None:
    """The language a user's pages are shown in."""
    row = session.get(User, user_id)
    if row is not None:
        row.language = language
        session.add(row)


def all_organisations(session: Session) -> list[Organisation]:
    """Every organisation: the processor first, then the controllers by name."""
    return list(
        session.exec(
            select(Organisation).order_by(col(Organisation.kind).desc(), col(Organisation.name))
        ).all()
    )


def users_with_organisations(
    session: Session, user_id: int | None = None
) -> list[tuple[User, Organisation]]:
    """Users with their organisation, by organisation and name (``user_id``: just that one)."""
    query = select(User, Organisation).join(
        Organisation, col(Organisation.id) == col(User.organisation_id)
    )
    if user_id is not None:
        query = query.where(User.id == user_id)
    rows = session.exec(query.order_by(col(Organisation.name), col(User.name))).all()
    return [(user, org) for user, org in rows]
