"""Invitations (issue 16). An administrator invites a person by e-mail address, name, role
and organisation; the person gets an e-mail in their language with a one-time link
``/invitations/{token}`` (256 random bits; only the SHA-256 of the token is stored), valid
seven days. With it they choose a password (the usual policy) and are logged in. Sending
an invitation again makes a new token (the earlier link stops working) and a new week;
revoking ends it. An accepted, revoked, expired or unknown link is the same "not found".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, literal, update
from sqlalchemy import func as sa_func
from sqlmodel import Session, col, select

from forms.display import format_datetime
from incidents import audit, documents
from incidents.accounts import (
    InputError,
    check_name,
    check_new_password,
    create_user,
    organisation_for_role,
    valid_email,
)
from incidents.db import contains
from incidents.errors import Conflict, NotFound, Problem
from incidents.i18n import LANGUAGES
from incidents.i18n import gettext as _
from incidents.models import (
    Invitation,
    InvitationLink,
    Organisation,
    OrgKind,
    OutboxMessage,
    Role,
    User,
    utcnow,
)
from incidents.security import digest

VALID_FOR = timedelta(days=7)
_table = Invitation.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Sent:
    """An invitation as written, with its link (shown to nobody but the e-mail)."""

    invitation: Invitation
    organisation: Organisation
    link: str


def link_of(base_url: str, token: str) -> str:
    return f"{base_url}/invitations/{token}"


def _new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def invite(
    session: Session,
    base_url: str,
    *,
    email: str,
    name: str,
    role: str,
    org_slug: str | None,
    actor_id: int | None,
    now: datetime | None = None,
) -> Sent:
    """Invite a person: the invitation and its e-mail, written in this transaction. An
    open invitation of the same address is replaced (its link stops working). InputError
    lists every problem: the address (not valid, or it has an account already), the
    name, the role and the organisation that goes with it."""
    now = now or utcnow()
    email = email.strip().lower()
    name = name.strip()
    problems: list[Problem] = []
    if not valid_email(email):
        problems.append(Problem("email", _("enter an e-mail address like name@example.com")))
    elif session.exec(select(User.id).where(User.email == email)).first() is not None:
        message = _("{email} has an account already").format(email=email)
        problems.append(Problem("email", message))
    check_name(name, problems)
    org, org_problems = organisation_for_role(session, role, org_slug)
    problems.extend(org_problems)
    if problems:
        raise InputError(problems)
    assert org is not None
    return _create(session, base_url, email, name, role, org, actor_id, now)


def _create(
    session: Session,
    base_url: str,
    email: str,
    name: str,
    role: str,
    org: Organisation,
    actor_id: int | None,
    now: datetime,
) -> Sent:
    """The invitation (replacing an open one of the address) and its e-mail."""
    assert org.id is not None
    for earlier in session.exec(
        select(Invitation).where(Invitation.email == email, _open(now))
    ).all():
        earlier.revoked_at = now
        session.add(earlier)
    token = _new_token()
    invitation = Invitation(
        token_hash=digest(token),
        email=email,
        name=name,
        role=role,
        organisation_id=org.id,
        language=_language_for(session, org),
        invited_by_id=actor_id,
        created_at=now,
        sent_at=now,
        expires_at=now + VALID_FOR,
    )
    session.add(invitation)
    session.flush()
    sent = Sent(invitation, org, link_of(base_url, token))
    _mail(session, sent, actor_id)
    _record(session, "invitation.sent", invitation, actor_id)
    return sent


def invite_addresses(
    session: Session, base_url: str, org: Organisation, actor_id: int | None, now: datetime
) -> int:
    """Invite a controller's notification addresses as its officers (an import or the
    organisation's form asked for it), so that its first notice reaches someone who can
    log in: each address that has no account and no open invitation gets one, without a
    name (the person gives it when accepting). Returns how many were invited."""
    addresses = sorted({a.strip().lower() for a in org.notification_emails if valid_email(a)})
    if not addresses or org.kind != OrgKind.controller:
        return 0
    with_account = set(session.exec(select(User.email).where(col(User.email).in_(addresses))))
    invited = set(
        session.exec(
            select(Invitation.email).where(col(Invitation.email).in_(addresses), _open(now))
        )
    )
    count = 0
    for email in addresses:
        if email not in with_account and email not in invited:
            _create(session, base_url, email, "", Role.officer, org, actor_id, now)
            count += 1
    return count


def invite_controllers(
    session: Session, base_url: str, slugs: list[str], actor_id: int | None, now: datetime
) -> int:
    """``invite_addresses`` for the controllers of an import."""
    orgs = session.exec(select(Organisation).where(col(Organisation.slug).in_(slugs))).all()
    return sum(invite_addresses(session, base_url, org, actor_id, now) for org in orgs)


def _language_for(session: Session, org: Organisation) -> str:
    """An officer reads in their controller's language; staff in the processor's."""
    if org.kind == OrgKind.controller:
        return org.language if org.language in LANGUAGES else "en"
    return org.language if org.language in LANGUAGES else "nl"


def _pending() -> Any:
    """Neither accepted nor revoked (expired or not)."""
    return col(Invitation.accepted_at).is_(None) & col(Invitation.revoked_at).is_(None)


def _open(now: datetime) -> Any:
    return _pending() & (col(Invitation.expires_at) > now)


def _still_pending(invitation_id: int | None, *more: Any) -> Any:
    """An UPDATE's condition: this invitation, still neither accepted nor revoked (the row
    lock makes one of two writers at once find it so)."""
    return update(_table).where(
        _table.c.id == invitation_id,
        _table.c.accepted_at.is_(None),
        _table.c.revoked_at.is_(None),
        *more,
    )


def send_again(
    session: Session,
    base_url: str,
    invitation_id: int,
    actor_id: int | None,
    now: datetime,
    seen: int | None = None,
) -> Sent:
    """Send an invitation that is not accepted or revoked again (an expired one too): a
    new link valid another week; the earlier link stops working. NotFound otherwise.
    ``seen``: how many times it had been sent when the administrator asked; Conflict if
    it was sent again meanwhile (two clicks, two administrators: one e-mail, not two
    with a dead link in the first)."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        raise NotFound()
    org = session.get(Organisation, invitation.organisation_id)
    assert org is not None
    token = _new_token()
    seen = invitation.times_sent if seen is None else seen
    renewed = session.connection().execute(
        _still_pending(invitation_id, _table.c.times_sent == seen).values(
            token_hash=digest(token),
            sent_at=now,
            expires_at=now + VALID_FOR,
            times_sent=seen + 1,
        )
    )
    if not renewed.rowcount:
        raise Conflict(
            _("This invitation was sent again or ended a moment ago: nothing more was sent.")
        )
    session.refresh(invitation)
    sent = Sent(invitation, org, link_of(base_url, token))
    _mail(session, sent, actor_id)
    _record(session, "invitation.resent", invitation, actor_id)
    return sent


def revoke(session: Session, invitation_id: int, actor_id: int | None, now: datetime) -> None:
    """End an invitation that is still open (its link then answers "not found")."""
    done = session.connection().execute(_still_pending(invitation_id).values(revoked_at=now))
    if not done.rowcount:
        raise NotFound()
    invitation = session.get(Invitation, invitation_id)
    assert invitation is not None
    _record(session, "invitation.revoked", invitation, actor_id)


def find_open(session: Session, token: str, now: datetime) -> Invitation | None:
    """The open invitation of this link, or None (unknown, accepted, revoked, expired):
    the invitation's own link, valid seven days from its last sending, or a link a notice
    carried (InvitationLink), valid seven days from that notice."""
    if not token or len(token) > 100:
        return None
    hashed = digest(token)
    pending = _pending()
    own = session.exec(
        select(Invitation).where(
            Invitation.token_hash == hashed, pending, col(Invitation.sent_at) > now - VALID_FOR
        )
    ).first()
    if own is not None:
        return own
    return session.exec(
        select(Invitation)
        .join(InvitationLink, col(InvitationLink.invitation_id) == col(Invitation.id))
        .where(InvitationLink.token_hash == hashed, pending, col(InvitationLink.expires_at) > now)
    ).first()


# --- links carried by notices ----------------------------------------------------------------


def awaiting(session: Session, org: Organisation, addresses: list[str]) -> list[Invitation]:
    """The invitations of this controller's officers, among ``addresses``, that are
    neither accepted nor revoked (expired ones too: a notice renews them) and whose
    address has no account: a notice to them carries a link to choose a password. The
    latest invitation of each address."""
    if not addresses:
        return []
    rows = session.exec(
        select(Invitation)
        .where(
            col(Invitation.email).in_(addresses),
            Invitation.organisation_id == org.id,
            Invitation.role == Role.officer,
            _pending(),
        )
        .order_by(col(Invitation.id).desc())
    ).all()
    with_account = set(
        session.exec(select(User.email).where(col(User.email).in_([r.email for r in rows])))
    )
    latest: dict[str, Invitation] = {}
    for row in rows:
        if row.email not in with_account:
            latest.setdefault(row.email, row)
    return sorted(latest.values(), key=lambda i: i.email)


@dataclass(frozen=True)
class NoticeLink:
    """A link to be carried by one notice e-mail: its token (in the e-mail only) and how
    long it will be valid, for the text."""

    invitation_id: int
    email: str
    token: str
    link: str
    until: datetime


def prepare_link(base_url: str, invitation: Invitation, now: datetime) -> NoticeLink:
    assert invitation.id is not None
    token = _new_token()
    return NoticeLink(
        invitation.id, invitation.email, token, link_of(base_url, token), now + VALID_FOR
    )


def lock(session: Session, invitation_ids: list[int]) -> None:
    """Lock these invitations' rows, in the order of their ids (PostgreSQL; SQLite's
    writers take turns anyway)."""
    if invitation_ids:
        session.exec(
            select(Invitation.id)
            .where(col(Invitation.id).in_(sorted(set(invitation_ids))))
            .order_by(col(Invitation.id))
            .with_for_update()
        ).all()


def add_link(
    session: Session, prepared: NoticeLink, notice_id: Any, actor_id: int | None, now: datetime
) -> bool:
    """Keep a link a notice e-mail is about to carry, in the transaction that writes the
    e-mail; False if the invitation was accepted or revoked meanwhile (the address then
    gets the notice without a link). The invitation stays open until the link's end."""
    until = literal(prepared.until, type_=_table.c.expires_at.type)
    later = case((_table.c.expires_at < until, until), else_=_table.c.expires_at)
    renewed = session.connection().execute(
        _still_pending(prepared.invitation_id).values(expires_at=later)
    )
    if not renewed.rowcount:
        return False
    session.add(
        InvitationLink(
            invitation_id=prepared.invitation_id,
            token_hash=digest(prepared.token),
            notice_id=notice_id,
            created_at=now,
            expires_at=prepared.until,
        )
    )
    invitation = session.get(Invitation, prepared.invitation_id)
    assert invitation is not None
    _record(session, "invitation.sent_with_notice", invitation, actor_id)
    return True


def accept(
    session: Session, token: str, *, name: str, password: str, confirm: str, now: datetime
) -> User:
    """The person of an open invitation chooses a password (and may correct their name):
    their account is made and the invitation ends. NotFound when the link is not open
    (also when another request accepted it a moment before: it is marked in a conditional
    UPDATE, so one of two at once wins); InputError for the name and password."""
    invitation = find_open(session, token, now)
    if invitation is None:
        raise NotFound()
    problems: list[Problem] = []
    name = name.strip() or invitation.name
    check_name(name, problems)
    check_new_password(password, confirm, problems)
    if problems:
        raise InputError(problems)
    marked = session.connection().execute(_still_pending(invitation.id).values(accepted_at=now))
    if not marked.rowcount:
        raise NotFound()
    org = session.get(Organisation, invitation.organisation_id)
    assert org is not None
    user = create_user(
        session,
        email=invitation.email,
        name=name,
        role=invitation.role,
        password=password,
        org_slug=org.slug,
        actor_id=invitation.invited_by_id,
    )
    user.language = invitation.language
    session.add(user)
    session.connection().execute(
        update(_table).where(_table.c.id == invitation.id).values(user_id=user.id)
    )
    audit.record(
        session,
        "invitation.accepted",
        actor_id=user.id,
        organisation_id=invitation.organisation_id,
        user_id=user.id,
        invitation_id=invitation.id,
    )
    return user


STATES = ("open", "expired", "accepted", "revoked")


@dataclass(frozen=True)
class Listing:
    """One page of the invitations, with how many match in all."""

    rows: list[tuple[Invitation, Organisation, str]]
    total: int


def _in_state(state: str, now: datetime) -> Any:
    return {
        "open": _open(now),
        "expired": _pending() & (col(Invitation.expires_at) <= now),
        "accepted": col(Invitation.accepted_at).is_not(None),
        "revoked": col(Invitation.accepted_at).is_(None) & col(Invitation.revoked_at).is_not(None),
    }[state]


def listing(
    session: Session,
    now: datetime,
    *,
    state: str | None = None,
    query: str = "",
    offset: int = 0,
    limit: int = 50,
) -> Listing:
    """The invitations with their organisation and state (open, expired, accepted,
    revoked), the most recently sent first: those in ``state``, whose address, name or
    organisation contains ``query``; ``limit`` of them from ``offset``."""
    where: list[Any] = []
    if state:
        where.append(_in_state(state, now))
    if query := query.strip():
        where.append(
            contains(col(Invitation.email), query)
            | contains(col(Invitation.name), query)
            | contains(col(Organisation.name), query)
        )
    joined = (
        select(Invitation, Organisation)
        .join(Organisation, col(Organisation.id) == col(Invitation.organisation_id))
        .where(*where)
    )
    total = session.exec(select(sa_func.count()).select_from(joined.subquery())).one()
    rows = session.exec(
        joined.order_by(col(Invitation.sent_at).desc(), col(Invitation.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return Listing([(i, o, state_of(i, now)) for i, o in rows], total)


def state_of(invitation: Invitation, now: datetime) -> str:
    if invitation.accepted_at:
        return "accepted"
    if invitation.revoked_at:
        return "revoked"
    return "expired" if invitation.expires_at <= now else "open"


def _record(session: Session, action: str, invitation: Invitation, actor_id: int | None) -> None:
    # The address is personal data: the audit keeps the invitation's id, not the address.
    audit.record(
        session,
        action,
        actor_id=actor_id,
        organisation_id=invitation.organisation_id,
        invitation_id=invitation.id,
        role=invitation.role,
    )


# --- the e-mail ------------------------------------------------------------------------------


def _mail(session: Session, sent: Sent, actor_id: int | None) -> None:
    invitation, org = sent.invitation, sent.organisation
    inviter = session.get(User, actor_id) if actor_id else None
    own = documents.processor(session)
    zone = documents.zone_of(org)
    with documents.language(invitation.language):
        processor = own.name if own else "Breachdesk"
        subject = _("Your invitation to Breachdesk from %(processor)s") % {"processor": processor}
        text, html = documents.email_bodies(
            "invitation",
            invitation.language,
            zone,
            {
                "invitation": invitation,
                "org": org,
                "processor": processor,
                "inviter": inviter.name if inviter else None,
                "link": sent.link,
                "until": format_datetime(invitation.expires_at, zone, invitation.language),
                "subject": subject,
            },
        )
    session.add(
        OutboxMessage(
            dedupe_key=f"invitation:{invitation.id}:{invitation.times_sent}",
            kind="invitation",
            recipients=[invitation.email],
            subject=subject,
            body_text=text,
            body_html=html,
            created_at=invitation.sent_at,
            next_attempt_at=invitation.sent_at,
        )
    )
