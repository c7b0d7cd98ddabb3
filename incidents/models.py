"""SQLModel tables. Every datetime is timezone-aware UTC (SQLModel's UTCDateTime)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Index,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    inspect,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from incidents import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata

# JSON on every database, stored as JSONB on PostgreSQL (indexable, compact).
JSONType = JSON().with_variant(JSONB(), "postgresql")


# PostgreSQL-only trigram indexes for the register's text search live in the migrations,
# not in the models; schema comparisons leave them out.
TRIGRAM_INDEXES = ("ix_incident_summary_trgm", "ix_incident_reference_trgm")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    return not (type_ == "index" and name in TRIGRAM_INDEXES)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for the statements that bypass the ORM (bulk
    UPDATEs, claims). SQLModel sets ``__table__`` on the class but does not declare it, so
    a type checker does not see it; the mapper's table is the same object."""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


def utcnow() -> datetime:
    """Now, from the app's one clock (``incidents.clock``), which tests can move."""
    return clock.now()


class OrgKind(StrEnum):
    processor = "processor"
    controller = "controller"


class Role(StrEnum):
    staff = "staff"
    officer = "officer"
    admin = "admin"


class IncidentStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    closed = "closed"


LANGUAGES = ("nl", "en")


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint("kind IN ('processor', 'controller')", name="kind"),
        CheckConstraint("language IN ('nl', 'en')", name="language"),
        CheckConstraint("contract_hours IS NULL OR contract_hours > 0", name="contract_hours"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    contract_hours: int | None = Field(default=None)
    language: str = Field(default="nl", max_length=2)
    notification_emails: list[str] = Field(default_factory=list, sa_type=JSONType)
    nis2: bool = Field(default=False)
    country: str = Field(default="NL", max_length=2)
    timezone: str = Field(default="Europe/Amsterdam", max_length=64)
    # DORA (issue 17): a financial entity; and one without weekend relief for its initial
    # and intermediate reports (credit institutions, CCPs, trading venues, NIS2 entities).
    dora: bool = Field(default=False)
    dora_no_weekend_relief: bool = Field(default=False)
    # The lead supervisory authority (a key of incidents.authorities) when it is not its
    # country's own; empty: its country's.
    authority: str = Field(default="", max_length=32)
    # The groups a controller belongs to (the services it uses, a hosting cluster), sorted.
    groups: list[str] = Field(default_factory=list, sa_type=JSONType)
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint("role IN ('staff', 'officer', 'admin')", name="role"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    password_hash: str = Field(max_length=255)
    language: str | None = Field(default=None, max_length=2)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime = Field(default_factory=utcnow)
    # Two-factor login (TOTP, RFC 6238): the secret sealed with the app's key (set while
    # enrolling, before it is confirmed), when it was confirmed, and the time step of the
    # last code accepted (a code is never accepted twice).
    totp_secret: str | None = Field(default=None, max_length=255)
    totp_enabled_at: datetime | None = Field(default=None)
    totp_last_step: int | None = Field(default=None, sa_type=BigInteger)


class RecoveryCode(SQLModel, table=True):
    """One of a user's ten single-use codes for logging in without the authenticator app;
    only the hash is stored."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = Field(default=None)


class UserSession(SQLModel, table=True):
    """A login. The encrypted session cookie carries the id; only its hash is stored."""

    __tablename__ = "user_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = Field(default=None)
    revoked_reason: str | None = Field(default=None, max_length=32)


class Invitation(SQLModel, table=True):
    """An administrator's invitation to a person (issue 16): an e-mail with a one-time
    link whose token is 256 random bits, of which only the hash is stored. Its own link is
    valid seven days from ``sent_at``; sent again, a new token replaces it (the earlier
    link stops working). A notice to the address adds an InvitationLink; ``expires_at`` is
    the end of the latest link. Ends when accepted (an account is made) or revoked."""

    __tablename__ = "invitation"
    __table_args__ = (CheckConstraint("role IN ('staff', 'officer', 'admin')", name="role"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    email: str = Field(max_length=254, index=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    organisation_id: int = Field(foreign_key="organisation.id")
    language: str = Field(max_length=2)  # of the e-mail and the page it links to
    invited_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime = Field(default_factory=utcnow)  # the last time it was sent
    times_sent: int = Field(default=1)
    expires_at: datetime
    accepted_at: datetime | None = Field(default=None)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")  # once accepted
    revoked_at: datetime | None = Field(default=None)


class InvitationLink(SQLModel, table=True):
    """A further link to an invitation, carried by a notice e-mail to an invited address
    that has no account yet (issue 16): valid seven days from that notice, alongside the
    invitation's own link. Only its hash is kept; it ends with the invitation (accepted or
    revoked)."""

    __tablename__ = "invitation_link"

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    notice_id: uuid.UUID | None = Field(default=None)  # the notice whose e-mail carried it
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class PasswordReset(SQLModel, table=True):
    """A link to choose a new password (issue 16), asked for on /password-reset: valid one
    hour, used once; only the token's hash is stored."""

    __tablename__ = "password_reset"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = Field(default=None)


class HeldInput(SQLModel, table=True):
    """A questionnaire step posted after its login had ended (idle or too old): the input
    is held, for the same person only, until they have logged in again, and then saved
    as the draft of that step. Only the hash of the token the login page carries is kept."""

    __tablename__ = "held_input"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    path: str = Field(max_length=300)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = Field(default=None)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16)
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = Field(default=None)
    revoked_at: datetime | None = Field(default=None)


class LoginFailure(SQLModel, table=True):
    """A failed login, keyed by a keyed hash of the account name or of the client address."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow)


class Incident(SQLModel, table=True):
    __tablename__ = "incident"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'submitted', 'closed')", name="status"),
        UniqueConstraint("reference_year", "reference_number", name="uq_incident_reference_seq"),
        # Keyset pagination of the register: (sort column, id) for each sort order.
        Index("ix_incident_created_id", "created_at", "id"),
        Index("ix_incident_status_created_id", "status", "created_at", "id"),
        Index("ix_incident_discovered_id", "discovered_at", "id"),
        Index("ix_incident_persons_id", "affected_max", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    reference: str | None = Field(default=None, max_length=32, unique=True)
    reference_year: int | None = Field(default=None)
    reference_number: int | None = Field(default=None)
    status: str = Field(default=IncidentStatus.draft.value, max_length=16)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    version: int = Field(default=0)  # 0 while a draft; 1 at submission; +1 per correction
    # Copies of answers the register filters, searches and sorts on.
    summary: str = Field(default="", sa_type=Text)
    discovered_at: datetime | None = Field(default=None)
    affected_max: int | None = Field(default=None, sa_type=BigInteger)
    created_by_id: int = Field(foreign_key="user_account.id")
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = Field(default=None)
    # Closed (status "closed"): when, and the closing note. Reopening clears both.
    closed_at: datetime | None = Field(default=None)
    closing_note: str = Field(default="", sa_type=Text)
    # A deleted draft: its answers are gone; the row stays for the audit log's sake.
    deleted_at: datetime | None = Field(default=None)
    # The groups the affected controllers were chosen by ("*": all controllers); the
    # answer ``controllers`` holds the controllers they were resolved to then.
    controller_groups: list[str] = Field(default_factory=list, sa_type=JSONType)


class SendBatch(SQLModel, table=True):
    """One "send to all": the notices it sends are rendered and delivered by the worker
    (issue 15), so the request that asks returns at once, however many controllers."""

    __tablename__ = "send_batch"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    incident_id: uuid.UUID = Field(foreign_key="incident.id", index=True)
    requested_by_id: int = Field(foreign_key="user_account.id")
    base_url: str = Field(max_length=500)  # the notices' links point here
    total: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = Field(default=None)  # every item rendered or failed


class SendBatchItem(SQLModel, table=True):
    """One notice of a batch: ``queued``, then ``rendered`` (its send and e-mail written;
    the outbox delivers it) or ``failed``. A worker claims it for a lease; one that dies
    leaves it to another once the lease has run out, and the send's uniqueness keeps it
    from being sent twice."""

    __tablename__ = "send_batch_item"
    __table_args__ = (
        UniqueConstraint("batch_id", "notice_id", name="uq_send_batch_item_notice"),
        CheckConstraint("state IN ('queued', 'rendered', 'failed')", name="state"),
        Index("ix_send_batch_item_state_lease", "state", "lease_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: uuid.UUID = Field(foreign_key="send_batch.id", index=True)
    notice_id: uuid.UUID = Field(foreign_key="notice.id")
    state: str = Field(default="queued", max_length=16)
    attempts: int = Field(default=0)
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None)
    send_id: int | None = Field(default=None, foreign_key="notice_send.id")
    error: str = Field(default="", max_length=500)
    done_at: datetime | None = Field(default=None)


class ReferenceCounter(SQLModel, table=True):
    """The last reference number given out per year (INC-2026-0001, -0002, ...)."""

    __tablename__ = "reference_counter"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = Field(default=0)


class IncidentVersion(SQLModel, table=True):
    """Every saved state of the answers: draft steps, the submission, each correction."""

    __tablename__ = "incident_version"
    __table_args__ = (UniqueConstraint("incident_id", "version", name="uq_incident_version"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: uuid.UUID = Field(foreign_key="incident.id", index=True)
    version: int
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    kind: str = Field(max_length=16)  # draft, submitted, correction
    note: str = Field(default="", max_length=2000)
    created_by_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)


class Notice(SQLModel, table=True):
    """The processor's notice to one affected controller about one incident."""

    __tablename__ = "notice"
    __table_args__ = (
        UniqueConstraint("incident_id", "controller_id", name="uq_notice_incident_controller"),
        Index("ix_notice_controller_incident", "controller_id", "incident_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    incident_id: uuid.UUID = Field(foreign_key="incident.id", index=True)
    controller_id: int = Field(foreign_key="organisation.id")
    removed_at: datetime | None = Field(default=None)  # the controller was taken off the incident
    # Withdrawn by the processor after investigation (not a breach): when, and why.
    withdrawn_at: datetime | None = Field(default=None)
    withdrawal_reason: str = Field(default="", sa_type=Text)
    version: int = Field(default=0)  # how many notices were sent to this controller
    incident_version: int | None = Field(default=None)  # incident version last sent
    sent_at: datetime | None = Field(default=None)
    delivered_at: datetime | None = Field(default=None)
    acknowledged_at: datetime | None = Field(default=None)
    acknowledged_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    decision: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    # The officer's letter to the persons (Art. 34(2)) as last saved; empty: not drafted yet.
    letter_text: str = Field(default="", sa_type=Text)
    letter_language: str | None = Field(default=None, max_length=2)
    letter_updated_at: datetime | None = Field(default=None)
    # The officer's own severity assessment, when it differs from the computed one (latest;
    # every version in assessment_override).
    assessment_override: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    # This controller's own figures (affected_min, affected_max, records_approx, data_types)
    # where they differ from the incident's totals; empty: the incident's figures apply.
    # Each change counts up scope_version; the notice sent last carried sent_scope_version.
    scope: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    scope_version: int = Field(default=0)
    sent_scope_version: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    # When the reminder worker looks at this notice next: the first instant one of its
    # duties reaches a reminder stage (half time, 90 %, overdue) that has not been written;
    # None: nothing ahead. A new notice, and one whose facts change (delivery, decision, an
    # act, a correction of the discovery time, the controller's hours), is due at once
    # (incidents/signals.py); the worker sets the next instant (incidents/reminders.py).
    next_reminder_at: datetime | None = Field(
        default_factory=utcnow, index=True, sa_column_kwargs={"default": utcnow}
    )


class NoticeSend(SQLModel, table=True):
    """One notice sent to one controller (the first, then each follow-up): exactly what it
    said, in the controller's language. One per notice, incident version and version of
    the controller's own figures, so sending the same twice sends once."""

    __tablename__ = "notice_send"
    __table_args__ = (
        UniqueConstraint(
            "notice_id", "incident_version", "scope_version", name="uq_notice_send_version"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    notice_id: uuid.UUID = Field(foreign_key="notice.id", index=True)
    number: int  # 1: the first notice; 2, 3...: follow-ups (Art. 33(4))
    incident_version: int
    scope_version: int = Field(default=0)  # the controller's own figures it carried
    language: str = Field(max_length=2)
    answers: dict[str, Any] = Field(
        default_factory=dict, sa_type=JSONType
    )  # as this controller saw them
    subject: str = Field(max_length=500)
    body_html: str = Field(sa_type=Text)  # the notice itself, for the page and the e-mail
    body_text: str = Field(sa_type=Text)
    sent_by_id: int = Field(foreign_key="user_account.id")
    sent_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = Field(default=None)


class NoticeMessage(SQLModel, table=True):
    """A question of the controller's privacy officer, or the processor's answer to one."""

    __tablename__ = "notice_message"
    __table_args__ = (CheckConstraint("side IN ('controller', 'processor')", name="side"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: uuid.UUID = Field(foreign_key="notice.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="notice_message.id")
    side: str = Field(max_length=16)
    body: str = Field(sa_type=Text)
    author_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)


class DecisionVersion(SQLModel, table=True):
    """Every decision the officer records; the notice holds the latest."""

    __tablename__ = "decision_version"
    __table_args__ = (UniqueConstraint("notice_id", "version", name="uq_decision_version"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: uuid.UUID = Field(foreign_key="notice.id", index=True)
    version: int
    decision: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    decided_by_id: int = Field(foreign_key="user_account.id")
    decided_at: datetime = Field(default_factory=utcnow)


class AssessmentOverride(SQLModel, table=True):
    """Every severity assessment an officer recorded in place of the computed advice, with
    the reason and the computed values it was set beside."""

    __tablename__ = "assessment_override"
    __table_args__ = (
        UniqueConstraint("notice_id", "version", name="uq_assessment_override_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    notice_id: uuid.UUID = Field(foreign_key="notice.id", index=True)
    version: int
    incident_version: int
    override: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    created_by_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Append-only: the database refuses UPDATE and DELETE (triggers in the migrations).

    Details never hold answers or contact data, only identifiers and field names.
    """

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    action: str = Field(max_length=64)
    incident_id: uuid.UUID | None = Field(default=None, foreign_key="incident.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)


class ObligationRecord(SQLModel, table=True):
    """An act that meets a controller's obligation (authority notified, persons informed,
    CSIRT reports) and/or the reason it was late. One row per notice and obligation."""

    __tablename__ = "obligation_record"
    __table_args__ = (UniqueConstraint("notice_id", "key", name="uq_obligation_record_notice_key"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: uuid.UUID = Field(foreign_key="notice.id", index=True)
    key: str = Field(max_length=32)
    met_at: datetime | None = Field(default=None)
    reference: str = Field(default="", max_length=200)
    detail: str = Field(default="", max_length=2000)
    late_reason: str = Field(default="", max_length=4000)
    recorded_by_id: int = Field(foreign_key="user_account.id")
    recorded_at: datetime = Field(default_factory=utcnow)


class Task(SQLModel, table=True):
    """A step of an incident's action plan (issue 18): what, who, by when, and its state.
    ``version`` counts the changes: a change made on an older version is refused (409)."""

    __tablename__ = "task"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'done', 'cancelled')", name="state"),
        Index("ix_task_state_due", "state", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: uuid.UUID = Field(foreign_key="incident.id", index=True)
    title: str = Field(max_length=200)
    owner_id: int | None = Field(default=None, foreign_key="user_account.id")
    due_at: datetime | None = Field(default=None)
    state: str = Field(default="open", max_length=16)
    version: int = Field(default=1)
    created_by_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Evidence(SQLModel, table=True):
    """A file attached to an incident (issue 18), append-only: removing it records when,
    who and why; purging deletes its content, never the record."""

    __tablename__ = "evidence"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    incident_id: uuid.UUID = Field(foreign_key="incident.id", index=True)
    filename: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)
    note: str = Field(default="", sa_type=Text)
    # The controllers' slugs it is shared with ("*": every controller of the incident).
    shared_with: list[str] = Field(default_factory=list, sa_type=JSONType)
    content: bytes | None = Field(default=None, sa_type=LargeBinary)  # in the database
    stored_path: str = Field(default="", max_length=100)  # or in BREACHDESK_EVIDENCE_DIR
    uploaded_by_id: int = Field(foreign_key="user_account.id")
    uploaded_at: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = Field(default=None)
    removed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    removal_reason: str = Field(default="", sa_type=Text)
    purged_at: datetime | None = Field(default=None)
    purged_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class WebhookEndpoint(SQLModel, table=True):
    """An outgoing webhook (issue 18): where to POST which events, signed with ``secret``
    (HMAC-SHA256). ``after_event`` is the last audit event looked at for it: events are
    taken from the audit log, each once."""

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=1000)
    secret: str = Field(max_length=200, repr=False)
    events: list[str] = Field(default_factory=list, sa_type=JSONType)
    with_answers: bool = Field(default=False)  # the body carries the incident's answers
    active: bool = Field(default=True)
    after_event: int = Field(default=0)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: its body, and how its delivery went. Unique per endpoint
    and event: each event is delivered once, retried until the endpoint answers 2xx."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "audit_event_id", name="uq_webhook_delivery_event"),
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status"),
        Index("ix_webhook_delivery_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", index=True)
    audit_event_id: int = Field(foreign_key="audit_event.id")
    event: str = Field(max_length=64)
    body: str = Field(sa_type=Text)
    status: str = Field(default="queued", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    lease_until: datetime | None = Field(default=None)
    last_status: int | None = Field(default=None)  # the endpoint's last HTTP status
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = Field(default=None)


class OutboxMessage(SQLModel, table=True):
    """An e-mail written in the same transaction as the act that causes it, delivered
    later by the worker. ``dedupe_key`` makes each message exist at most once (and gives
    it a stable Message-ID). A worker claims a message for a lease (``claimed_by``,
    ``claimed_at``, ``lease_until``): a message left ``sending`` by a worker that died is
    claimed again once its lease has run out."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed', 'skipped')", name="status"
        ),
        Index("ix_outbox_message_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=32)
    recipients: list[str] = Field(default_factory=list, sa_type=JSONType)
    subject: str = Field(max_length=500)
    body_text: str = Field(sa_type=Text)
    body_html: str = Field(default="", sa_type=Text)
    # Where the recipient's reply goes (a notice: the processor's contact for the breach).
    reply_to: str = Field(default="", max_length=254)
    incident_id: uuid.UUID | None = Field(default=None, foreign_key="incident.id", index=True)
    status: str = Field(default="queued", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = Field(default=None)
    last_error: str = Field(default="", max_length=500)
    # A notice's e-mail: the send it belongs to (delivery starts the controller's clock)
    # and its PDF.
    notice_send_id: int | None = Field(default=None, foreign_key="notice_send.id", index=True)
    attachment_name: str = Field(default="", max_length=200)
    attachment: bytes | None = Field(default=None, sa_type=LargeBinary)
    # A reminder: the notice and the duty (obligation key) it is about, checked again just
    # before it is sent (a duty met or a notice sent meanwhile is not reminded about). A
    # notice deleted (its controller taken off a draft) leaves its reminders without one.
    notice_id: uuid.UUID | None = Field(
        default=None, foreign_key="notice.id", ondelete="SET NULL", index=True
    )
    duty: str = Field(default="", max_length=32)
    claimed_by: str = Field(default="", max_length=100)
    claimed_at: datetime | None = Field(default=None)
    lease_until: datetime | None = Field(default=None)
