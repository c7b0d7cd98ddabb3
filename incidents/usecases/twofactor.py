"""Two-factor login on the account page (issue 16): set it up, new recovery codes, turn
it off; an administrator's reset of a user's second factor. The rules are in
incidents/twofactor.py."""

from __future__ import annotations

import html
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from incidents import audit, documents, twofactor
from incidents.auth import revoke_all_sessions
from incidents.clock import now
from incidents.db import session_scope
from incidents.errors import Invalid, NotAllowed, NotFound, Problem
from incidents.i18n import gettext as _
from incidents.models import Organisation, OutboxMessage, User
from incidents.principal import CurrentUser
from incidents.settings import Settings


@dataclass(frozen=True)
class TwoFactorPage:
    on: bool
    required: bool  # the user's role requires it (BREACHDESK_REQUIRE_2FA)
    enrolment: twofactor.Enrolment | None  # while it is off: the secret to add to the app
    codes_left: int


def _own(session: Session, user: CurrentUser) -> User:
    row = session.get(User, user.id)
    if row is None:
        raise NotFound()
    return row


def page(engine: Engine, settings: Settings, user: CurrentUser) -> TwoFactorPage:
    """The account's two-factor state; while it is off, a secret waiting to be confirmed
    (made now if there is none)."""
    with session_scope(engine, write=True) as session:
        row = _own(session, user)
        required = row.role in settings.require_2fa
        if twofactor.enabled(row):
            left = twofactor.recovery_codes_left(session, user.id)
            return TwoFactorPage(True, required, None, left)
        own = documents.processor(session)
        issuer = f"Breachdesk ({own.name})" if own else "Breachdesk"
        return TwoFactorPage(False, required, twofactor.start(session, settings, row, issuer), 0)


def _count_try(engine: Engine, settings: Settings, user: CurrentUser) -> None:
    """Count a code against the account's limit in a transaction of its own, committed
    before the code is checked: a wrong code counts too."""
    with session_scope(engine, write=True) as session:
        twofactor.count_try(session, settings, user.id, now())


def confirm(engine: Engine, settings: Settings, user: CurrentUser, code: str) -> list[str]:
    """Turn two-factor login on with a code from the app: the recovery codes, shown once."""
    _count_try(engine, settings, user)
    with session_scope(engine, write=True) as session:
        return twofactor.confirm(session, settings, _own(session, user), code, now())


def new_codes(engine: Engine, settings: Settings, user: CurrentUser, code: str) -> list[str]:
    _count_try(engine, settings, user)
    with session_scope(engine, write=True) as session:
        return twofactor.new_recovery_codes(session, settings, _own(session, user), code, now())


def turn_off(engine: Engine, settings: Settings, user: CurrentUser, code: str) -> None:
    """Turn it off, confirmed with a code from the app; not when the role requires it."""
    if user.role in settings.require_2fa:
        raise Invalid([Problem("code", _("Your role requires two-factor login: it stays on."))])
    _count_try(engine, settings, user)
    with session_scope(engine, write=True) as session:
        row = _own(session, user)
        twofactor.check(session, settings, row, code, now(), recovery=False)
        twofactor.turn_off(session, row, user.id, "own")


def admin_reset(engine: Engine, actor: CurrentUser, user_id: int) -> User:
    """An administrator resets a user's second factor (they lost their phone): it is off,
    the user's sessions end, they are told by e-mail, and it is in the audit log. At the
    next login they set it up again (if their role requires it) or may do so."""
    if not actor.is_admin:
        raise NotAllowed("Only administrators reset a second factor")
    with session_scope(engine, write=True) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound()
        if not twofactor.enabled(user) and user.totp_secret is None:
            raise Invalid([Problem("two_factor", _("This user has no second factor to reset."))])
        twofactor.turn_off(session, user, actor.id, "admin")
        revoke_all_sessions(session, user_id, "2fa_reset")
        org = session.get(Organisation, user.organisation_id)
        _tell(session, user, org, actor.name)
        audit.record(
            session,
            "user.sessions_ended",
            actor_id=actor.id,
            organisation_id=user.organisation_id,
            user_id=user.id,
        )
        return user


def _tell(session: Session, user: User, org: Organisation | None, by: str) -> None:
    language = user.language or (org.language if org else "en")
    with documents.language(language):
        subject = _("Your Breachdesk two-factor login was reset")
        text = _(
            "Hello %(name)s,\n\n%(by)s, an administrator, has reset the two-factor login of "
            "your Breachdesk account: your authenticator app's codes and your recovery codes "
            "no longer work, and you have been logged out.\n\nAt your next login you set up "
            "two-factor login again. If you did not ask for this, tell your administrator."
        ) % {"name": user.name, "by": by}
    session.add(
        OutboxMessage(
            dedupe_key=f"2fa_reset:{user.id}:{now().isoformat()}",
            kind="security",
            recipients=[user.email],
            subject=subject,
            body_text=text,
            body_html="".join(f"<p>{html.escape(part)}</p>" for part in text.split("\n\n")),
        )
    )
