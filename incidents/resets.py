"""Password reset (issue 16). Anyone may ask for a link on /password-reset by e-mail
address: the answer is the same whether or not the address has an account (the caller
also pads the time). An active account gets an e-mail in its language with a link
``/password-reset/{token}`` (256 random bits, only the hash stored) valid one hour and
usable once. Limits: requests per client address (refused with a wait, which says
nothing about accounts) and e-mails per account (beyond it, silently none, so a stranger
cannot fill someone's mailbox). A reset ends every session and API token of the account.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from forms.display import format_datetime
from incidents import audit, documents
from incidents.accounts import InputError, check_new_password, set_password, valid_email
from incidents.auth import within_limit
from incidents.errors import NotFound, Problem
from incidents.i18n import LANGUAGES
from incidents.i18n import gettext as _
from incidents.models import Organisation, OutboxMessage, PasswordReset, User
from incidents.security import digest, keyed_digest
from incidents.settings import Settings

VALID_FOR = timedelta(hours=1)
MAILS_PER_ACCOUNT = 3  # reset e-mails to one account within the login window
_table = PasswordReset.__table__  # type: ignore[attr-defined]


def link_of(base_url: str, token: str) -> str:
    return f"{base_url}/password-reset/{token}"


def ask(session: Session, settings: Settings, email: str, address: str, now: datetime) -> int:
    """A request for a link, in the caller's transaction: the seconds to wait when this
    client address asked too often (nothing else is done then), 0 otherwise, whether or
    not a link was sent. The same work is done either way: a token is made and the
    e-mail rendered; only an active account's are written."""
    key = partial(keyed_digest, settings.secret_key)
    email = email.strip().lower()[:254]
    wait = within_limit(
        session, settings, key("reset-address:" + address), settings.login_attempts_per_address, now
    )
    if wait:
        return wait
    user = (
        session.exec(select(User).where(User.email == email, col(User.is_active))).first()
        if valid_email(email)  # no NUL or other junk reaches the database
        else None
    )
    token = secrets.token_urlsafe(32)
    reset = PasswordReset(
        token_hash=digest(token),
        user_id=user.id if user and user.id else 0,
        created_at=now,
        expires_at=now + VALID_FOR,
    )
    mail = _mail(session, user, link_of(settings.base_url, token), reset)
    if user is None:
        return 0
    if within_limit(session, settings, key("reset-account:" + email), MAILS_PER_ACCOUNT, now):
        return 0  # enough links went to this address for now: none more, and no sign of it
    session.add(reset)
    session.add(mail)
    audit.record(
        session,
        "user.password_reset_asked",
        actor_id=None,
        organisation_id=user.organisation_id,
        user_id=user.id,
    )
    return 0


def find_open(session: Session, token: str, now: datetime) -> PasswordReset | None:
    """The reset of this link if it is unused and within its hour, else None."""
    if not token or len(token) > 100:
        return None
    return session.exec(
        select(PasswordReset).where(
            PasswordReset.token_hash == digest(token),
            col(PasswordReset.used_at).is_(None),
            col(PasswordReset.expires_at) > now,
        )
    ).first()


def reset(session: Session, token: str, password: str, confirm: str, now: datetime) -> User:
    """Set the new password with an open link: the link and the account's other links end,
    and so do every session and API token of the account. NotFound when the link is not
    open (or another request used it a moment before: one of two at once wins);
    InputError for the password."""
    found = find_open(session, token, now)
    if found is None:
        raise NotFound()
    problems: list[Problem] = []
    check_new_password(password, confirm, problems)
    if problems:
        raise InputError(problems)
    used = session.connection().execute(
        update(_table)
        .where(_table.c.user_id == found.user_id, _table.c.used_at.is_(None))
        .values(used_at=now)
    )
    user = session.get(User, found.user_id)
    if not used.rowcount or user is None or not user.is_active:
        raise NotFound()
    set_password(session, user, password, actor_id=user.id)
    return user


def _mail(session: Session, user: User | None, link: str, reset: PasswordReset) -> OutboxMessage:
    """The e-mail with the link, in the account's language (rendered for a stranger's
    address too, and then not written, so both take the same work)."""
    org = session.get(Organisation, user.organisation_id) if user else None
    language = (user.language if user else None) or (org.language if org else "en")
    language = language if language in LANGUAGES else "en"
    zone = documents.zone_of(org) if org else ZoneInfo("UTC")
    with documents.language(language):
        subject = _("Choose a new Breachdesk password")
        text, html = documents.email_bodies(
            "password_reset",
            language,
            zone,
            {
                "name": user.name if user else "",
                "link": link,
                "until": format_datetime(reset.expires_at, zone, language),
                "subject": subject,
            },
        )
    return OutboxMessage(
        dedupe_key=f"password_reset:{reset.token_hash}",
        kind="password_reset",
        recipients=[user.email] if user else [],
        subject=subject,
        body_text=text,
        body_html=html,
        created_at=reset.created_at,
        next_attempt_at=reset.created_at,
    )
