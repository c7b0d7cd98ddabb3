"""Sending as background work (issue 15). "Send to all" writes a batch: one item per
notice that needs sending, and returns. Workers claim an item at a time for a lease
(several processes, on several machines with PostgreSQL: ``FOR UPDATE SKIP LOCKED``),
render the notice and write its send and e-mail exactly as a send from the page does
(``notices.send_notices``), and the outbox delivers it. A worker that dies leaves its item
to another once the lease has run out; a notice is never sent twice because a send is
unique per notice, incident version and figures' version: the second attempt finds it
sent and records that send.

States of an item: ``queued``, ``rendered`` (the send and the e-mail are written; the
outbox delivers it: ``delivered`` once the e-mail went out), ``failed`` (with the reason).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from incidents import audit, documents, leases, notices, service
from incidents.auth import principal_by_id
from incidents.clock import now as clock_now
from incidents.db import session_scope
from incidents.errors import Conflict, NotAllowed, NotFound
from incidents.i18n import gettext as _
from incidents.logs import get_logger
from incidents.models import (
    IncidentStatus,
    Notice,
    NoticeSend,
    Organisation,
    OutboxMessage,
    SendBatch,
    SendBatchItem,
)
from incidents.principal import CurrentUser
from incidents.settings import Settings

log = get_logger("breachdesk.worker")
_items = SendBatchItem.__table__  # type: ignore[attr-defined]
_batches = SendBatch.__table__  # type: ignore[attr-defined]
# A page's "send to all" with this few notices renders them within the request (a few
# seconds at most); more are left to the workers and the page shows their progress.
INLINE_MAX = 5


@dataclass
class Progress:
    """Where a batch stands: how many notices are queued, rendered (waiting for the
    outbox), delivered and failed, and the controllers that failed with the reason."""

    batch_id: uuid.UUID
    total: int
    queued: int = 0
    rendered: int = 0
    delivered: int = 0
    failed: int = 0
    created_at: datetime | None = None
    finished_at: datetime | None = None
    failures: list[tuple[str, str]] = field(default_factory=list)
    sent_to: list[str] = field(default_factory=list)  # the controllers rendered or delivered

    @property
    def finished(self) -> bool:
        return self.queued == 0 and self.rendered == 0


# --- asking: the request ---------------------------------------------------------------------


def queue(
    engine: Engine,
    user: CurrentUser,
    incident_id: uuid.UUID,
    base_url: str,
    *,
    hold_up_to: int = 0,
    lease_seconds: int = 300,
) -> tuple[SendBatch, str | None]:
    """A batch of every notice that needs sending and is not waiting in another batch
    (staff; an officer is told NotFound, another role NotAllowed). NoticeError, and
    nothing written, when there is nothing to send or a controller has no address.

    A batch of at most ``hold_up_to`` items is claimed for the caller in the same
    transaction (the token is returned with it), so that a worker woken by the new rows
    cannot take one of them while the page renders them itself; if the caller dies, the
    lease runs out and a worker takes them over."""
    with session_scope(engine, write=True) as session:
        incident = service.visible_incident(session, user, incident_id, lock=True)
        if not user.is_staff:
            raise NotFound() if user.is_officer else NotAllowed()
        if incident.status != IncidentStatus.submitted:
            raise notices.NoticeError(_("Only a submitted incident is sent to the controllers."))
        waiting = on_the_way(session, incident.id)
        due = [
            (n, o)
            for n, o in service.notices_of(session, user, incident.id)
            if notices.needs_sending(incident, n) and n.id not in waiting
        ]
        if not due:
            raise notices.NoticeError(
                _(
                    "Nothing to send: every controller has this version already, or it is on its way."
                )
            )
        without = sorted(o.name for _n, o in due if not notices.controller_addresses(session, o))
        if without:
            named = ", ".join(without[:5])
            if len(without) > 5:
                named += " " + _("and %(count)s more") % {"count": len(without) - 5}
            raise notices.NoticeError(
                _("%(names)s: no e-mail address. Add one (administration) before sending.")
                % {"names": named}
            )
        batch = SendBatch(
            incident_id=incident.id, requested_by_id=user.id, base_url=base_url, total=len(due)
        )
        session.add(batch)
        session.flush()
        token = leases.new_token() if len(due) <= hold_up_to else None
        lease = clock_now() + timedelta(seconds=lease_seconds) if token else None
        session.add_all(
            SendBatchItem(
                batch_id=batch.id,
                notice_id=n.id,
                claimed_by=token,
                lease_until=lease,
                attempts=1 if token else 0,
            )
            for n, _o in due
        )
        audit.on_incident(session, user, "notices.queued", incident.id, count=len(due))
        return batch, token


# --- working: the worker -------------------------------------------------------------------


def _claimable(now: datetime) -> Any:
    return and_(
        _items.c.state == "queued",
        or_(_items.c.lease_until.is_(None), _items.c.lease_until <= now),
    )


def _anything_queued(engine: Engine, now: datetime) -> bool:
    with session_scope(engine) as session:
        found = session.execute(core_select(_items.c.id).where(_claimable(now)).limit(1)).first()
    return found is not None


def claim(
    engine: Engine, settings: Settings, now: datetime, batch_id: uuid.UUID | None = None
) -> tuple[int, str] | None:
    """Claim the oldest queued item (of ``batch_id``, or of any batch) for a lease: its id
    and this claim's token, or None when there is none."""
    token = leases.new_token()
    claimable = _claimable(now)
    if batch_id is not None:
        claimable = and_(claimable, _items.c.batch_id == batch_id)
    row = leases.claim_one(
        engine,
        _items,
        claimable,
        (_items.c.id,),
        {
            "attempts": _items.c.attempts + 1,
            "claimed_by": token,
            "lease_until": now + timedelta(seconds=settings.outbox_lease_seconds),
        },
        (_items.c.id,),
    )
    return (row[0], token) if row else None


def process(engine: Engine, settings: Settings, item_id: int, token: str) -> str:
    """Render and write the claimed item's notice; its new state. A reason for a failure
    is kept in the language of the person who asked."""
    with session_scope(engine) as session:
        item = session.get(SendBatchItem, item_id)
        assert item is not None
        batch = session.get(SendBatch, item.batch_id)
        notice = session.get(Notice, item.notice_id)
        assert batch is not None and notice is not None
        org = session.get(Organisation, notice.controller_id)
        user = principal_by_id(session, batch.requested_by_id)
    assert org is not None
    state, error, send_id = "failed", "", None
    if user is None:
        error = _("The person who asked to send is no longer active.")
    else:
        try:
            with documents.language(user.language or settings.default_language):
                notices.send_notices(engine, user, batch.incident_id, [org.slug], batch.base_url)
        except (Conflict, NotFound, NotAllowed) as exc:
            error = str(exc) or type(exc).__name__
        else:
            send_id = _latest_send(engine, notice.id)
            state = "rendered" if send_id is not None else "failed"
            if send_id is None:
                error = _("Nothing was sent: the notice was withdrawn or taken off the incident.")
    _finish(engine, item_id, token, state, error, send_id, batch.id)
    return state


def _latest_send(engine: Engine, notice_id: uuid.UUID) -> int | None:
    with session_scope(engine) as session:
        notice = session.get(Notice, notice_id)
        if notice is None or notice.incident_version is None:
            return None
        return session.exec(
            select(NoticeSend.id).where(
                NoticeSend.notice_id == notice_id,
                NoticeSend.incident_version == notice.incident_version,
                NoticeSend.scope_version == notice.sent_scope_version,
            )
        ).first()


def _finish(
    engine: Engine,
    item_id: int,
    token: str,
    state: str,
    error: str,
    send_id: int | None,
    batch_id: uuid.UUID,
) -> None:
    """End this claim (unless another worker has claimed the item since), and the batch
    when it has nothing queued left."""
    at = clock_now()
    with session_scope(engine, write=True) as session:
        session.connection().execute(
            update(_items)
            .where(_items.c.id == item_id, _items.c.claimed_by == token)
            .values(state=state, error=error[:500], send_id=send_id, done_at=at, lease_until=None)
        )
        left = session.exec(
            select(func.count())
            .select_from(SendBatchItem)
            .where(SendBatchItem.batch_id == batch_id, SendBatchItem.state == "queued")
        ).one()
        if not left:
            session.connection().execute(
                update(_batches)
                .where(_batches.c.id == batch_id, _batches.c.finished_at.is_(None))
                .values(finished_at=at)
            )


def run_held(engine: Engine, settings: Settings, batch_id: uuid.UUID, token: str) -> int:
    """Work the items of ``batch_id`` that ``queue`` claimed for this caller; how many."""
    with session_scope(engine) as session:
        held = session.exec(
            select(SendBatchItem.id)
            .where(
                SendBatchItem.batch_id == batch_id,
                SendBatchItem.claimed_by == token,
                SendBatchItem.state == "queued",
            )
            .order_by(col(SendBatchItem.id))
        ).all()
    for item_id in held:
        assert item_id is not None
        process(engine, settings, item_id, token)
    return len(held)


def run(
    engine: Engine, settings: Settings, batch_id: uuid.UUID | None = None, limit: int = 10_000
) -> int:
    """Work queued items (of ``batch_id``, or of every batch) until none is left or
    ``limit`` are done; how many were worked."""
    if not _anything_queued(engine, clock_now()):
        return 0  # the worker's every cycle: a read, not a write lock, when nothing waits
    done = 0
    while done < limit:
        claimed = claim(engine, settings, clock_now(), batch_id)
        if claimed is None:
            break
        state = process(engine, settings, *claimed)
        done += 1
        log.info("notice_rendered" if state == "rendered" else "notice_failed", item=claimed[0])
    return done


# --- watching: the progress ------------------------------------------------------------------


def progress(session: Session, batch: SendBatch) -> Progress:
    """Each item once: a notice may go in several e-mails (one per invited address that
    has no account yet); it is failed if one of them failed, delivered once all are."""
    rows = session.execute(
        core_select(
            col(SendBatchItem.id),
            col(SendBatchItem.state),
            col(OutboxMessage.status),
            col(Organisation.name),
            col(SendBatchItem.error),
        )
        .join(Notice, col(Notice.id) == col(SendBatchItem.notice_id))
        .join(Organisation, col(Organisation.id) == col(Notice.controller_id))
        .join(
            OutboxMessage,
            col(OutboxMessage.notice_send_id) == col(SendBatchItem.send_id),
            isouter=True,
        )
        .where(col(SendBatchItem.batch_id) == batch.id)
    ).all()
    found = Progress(
        batch.id, batch.total, created_at=batch.created_at, finished_at=batch.finished_at
    )
    items: dict[int | None, tuple[str, set[str | None], str, str | None]] = {}
    for item_id, state, mail, name, error in rows:
        items.setdefault(item_id, (state, set(), name, error))[1].add(mail)
    for state, mails, name, error in items.values():
        mail = "failed" if "failed" in mails else ("sent" if mails == {"sent"} else None)
        if state == "queued":
            found.queued += 1
        elif state == "failed" or mail == "failed":
            found.failed += 1
            found.failures.append((name, error or _("The e-mail could not be delivered.")))
        elif mail == "sent":
            found.delivered += 1
            found.sent_to.append(name)
        else:
            found.rendered += 1
            found.sent_to.append(name)
    found.failures.sort()
    found.sent_to.sort(key=str.lower)
    return found


def latest(session: Session, incident_id: uuid.UUID) -> Progress | None:
    """The most recent batch of the incident, as it stands."""
    batch = session.exec(
        select(SendBatch)
        .where(SendBatch.incident_id == incident_id)
        .order_by(col(SendBatch.created_at).desc())
        .limit(1)
    ).first()
    return progress(session, batch) if batch is not None else None


def on_the_way(session: Session, incident_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """The notices of the incident waiting in a batch (queued, not yet rendered)."""
    return frozenset(
        session.exec(
            select(SendBatchItem.notice_id)
            .join(SendBatch, col(SendBatch.id) == col(SendBatchItem.batch_id))
            .where(SendBatch.incident_id == incident_id, SendBatchItem.state == "queued")
        ).all()
    )


def batch_progress(
    engine: Engine, user: CurrentUser, incident_id: uuid.UUID, batch_id: uuid.UUID
) -> Progress:
    """One batch of an incident this principal may see (staff: officers NotFound)."""
    with session_scope(engine) as session:
        service.visible_incident(session, user, incident_id)
        batch = session.get(SendBatch, batch_id)
        if batch is None or batch.incident_id != incident_id or not user.is_staff:
            raise NotFound()
        return progress(session, batch)
