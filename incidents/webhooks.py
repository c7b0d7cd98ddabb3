"""Outgoing webhooks (issue 18). An administrator adds an endpoint (URL, secret, events);
the worker takes the events from the audit log (each endpoint keeps the last audit event it
looked at), writes one delivery per event and endpoint (unique: an event is delivered once
however many workers look), and POSTs it with ``X-Breachdesk-Signature: sha256=<hex
HMAC-SHA256 of the body with the secret>``, retrying with growing pauses until the
endpoint answers 2xx (failed after MAX_ATTEMPTS). A delivery being sent is leased: one a
worker left behind (it died) is sent again once its lease ran out.

The body holds the event, its time, the incident's id and reference, the controller's
slug and the duty; the incident's answers only for an endpoint marked to receive them."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from incidents import audit
from incidents.db import insert_ignore, session_scope
from incidents.errors import Invalid, NotFound, Problem
from incidents.i18n import gettext as _
from incidents.logs import get_logger
from incidents.models import (
    AuditEvent,
    Incident,
    Organisation,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)

log = get_logger("breachdesk.webhooks")

# The events an endpoint can receive, and the audit actions they come from.
EVENTS: dict[str, str] = {
    "incident.submitted": "incident.submitted",
    "incident.corrected": "incident.corrected",
    "notice.sent": "notice.sent",
    "notice.delivered": "notice.delivered",
    "decision.recorded": "notice.decided",
    "duty.overdue": "duty.overdue",
}
ACTIONS = {action: event for event, action in EVENTS.items()}
MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 10
LEASE = timedelta(seconds=60)
BATCH = 200


def pause_after(attempts: int) -> timedelta:
    """How long to wait before the next try: 1, 2, 4 … minutes, at most 2 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 120))


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- endpoints ---------------------------------------------------------------------------


def read_endpoint(
    url: str, secret: str, events: Iterable[str]
) -> tuple[str, str, list[str], list[Problem]]:
    problems: list[Problem] = []
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or len(url) > 1000:
        problems.append(
            Problem("url", _("Give the address as http:// or https://, up to 1000 characters."))
        )
    secret = secret.strip()
    if not 16 <= len(secret) <= 200:
        problems.append(Problem("secret", _("Give a secret of 16 to 200 characters.")))
    chosen = sorted({e.strip() for e in events if e and e.strip()})
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown or not chosen:
        problems.append(
            Problem(
                "events",
                _("Choose one or more of: %(events)s.") % {"events": ", ".join(EVENTS)},
            )
        )
    return url, secret, chosen, problems


def add_endpoint(
    session: Session,
    *,
    url: str,
    secret: str,
    events: Iterable[str],
    with_answers: bool = False,
    actor_id: int | None,
) -> WebhookEndpoint:
    """A new endpoint; it receives the events from now on (not the audit log's past)."""
    url, secret, chosen, problems = read_endpoint(url, secret, events)
    if problems:
        raise Invalid(problems)
    last = session.exec(select(AuditEvent.id).order_by(col(AuditEvent.id).desc())).first()
    endpoint = WebhookEndpoint(
        url=url,
        secret=secret,
        events=chosen,
        with_answers=with_answers,
        after_event=int(last or 0),
        created_by_id=actor_id,
    )
    session.add(endpoint)
    session.flush()
    audit.record(session, "webhook.added", actor_id=actor_id, endpoint=endpoint.id, events=chosen)
    return endpoint


def set_active(session: Session, endpoint_id: int, active: bool, actor_id: int | None) -> None:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound()
    endpoint.active = active
    session.add(endpoint)
    action = "webhook.enabled" if active else "webhook.disabled"
    audit.record(session, action, actor_id=actor_id, endpoint=endpoint_id)


@dataclass(frozen=True)
class Overview:
    endpoints: list[WebhookEndpoint]
    deliveries: list[WebhookDelivery]


def overview(session: Session, limit: int = 50) -> Overview:
    endpoints = list(session.exec(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))).all())
    deliveries = list(
        session.exec(
            select(WebhookDelivery).order_by(col(WebhookDelivery.id).desc()).limit(limit)
        ).all()
    )
    return Overview(endpoints, deliveries)


# --- from the audit log to deliveries --------------------------------------------------


def dispatch(engine: Engine, now: datetime | None = None) -> int:
    """Write a delivery for each new event of each active endpoint; returns how many."""
    now = now or utcnow()
    written = 0
    with session_scope(engine, write=True) as session:
        endpoints = session.exec(select(WebhookEndpoint).where(col(WebhookEndpoint.active))).all()
        for endpoint in endpoints:
            written += _dispatch_one(session, endpoint, now)
    return written


def _dispatch_one(session: Session, endpoint: WebhookEndpoint, now: datetime) -> int:
    actions = [EVENTS[e] for e in endpoint.events if e in EVENTS]
    rows = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.id) > endpoint.after_event)
        .order_by(col(AuditEvent.id))
        .limit(BATCH * 5)
    ).all()
    written = 0
    for event in rows:
        if event.action in actions and event.id is not None:
            body = _body(session, endpoint, event)
            new = insert_ignore(
                session,
                WebhookDelivery,
                ["endpoint_id", "audit_event_id"],
                endpoint_id=endpoint.id,
                audit_event_id=event.id,
                event=ACTIONS[event.action],
                body=body,
                status="queued",
                attempts=0,
                next_attempt_at=now,
                last_error="",
                created_at=now,
            )
            written += new is not None
    if rows:
        last = rows[-1].id or endpoint.after_event
        session.execute(
            update(WebhookEndpoint)
            .where(
                col(WebhookEndpoint.id) == endpoint.id,
                col(WebhookEndpoint.after_event) < last,
            )
            .values(after_event=last)
        )
    return written


def _body(session: Session, endpoint: WebhookEndpoint, event: AuditEvent) -> str:
    incident = session.get(Incident, event.incident_id) if event.incident_id else None
    org = session.get(Organisation, event.organisation_id) if event.organisation_id else None
    details = event.details or {}
    payload: dict[str, Any] = {
        "event": ACTIONS[event.action],
        "at": event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "audit_event": event.id,
        "incident": str(incident.id) if incident else None,
        "reference": incident.reference if incident else None,
        "controller": org.slug if org else None,
    }
    if "duty" in details:
        payload["duty"] = details["duty"]
    if "version" in details:
        payload["version"] = details["version"]
    if endpoint.with_answers and incident is not None:
        payload["answers"] = incident.answers
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


# --- delivering ----------------------------------------------------------------------------


def deliver(engine: Engine, now: datetime | None = None) -> int:
    """Send the deliveries that are due; returns how many the endpoints accepted."""
    now = now or utcnow()
    with session_scope(engine) as session:
        due = session.exec(
            select(WebhookDelivery.id)
            .where(
                or_(
                    (col(WebhookDelivery.status) == "queued")
                    & (col(WebhookDelivery.next_attempt_at) <= now),
                    (col(WebhookDelivery.status) == "sending")
                    & (col(WebhookDelivery.lease_until) < now),
                )
            )
            .order_by(col(WebhookDelivery.id))
            .limit(BATCH)
        ).all()
    return sum(_send_one(engine, int(d), now) for d in due if d is not None)


def _send_one(engine: Engine, delivery_id: int, now: datetime) -> bool:
    with session_scope(engine, write=True) as session:
        claimed = session.execute(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.id) == delivery_id,
                or_(
                    col(WebhookDelivery.status) == "queued",
                    (col(WebhookDelivery.status) == "sending")
                    & (col(WebhookDelivery.lease_until) < now),
                ),
            )
            .values(status="sending", lease_until=now + LEASE)
        )
        if not int(getattr(claimed, "rowcount", 0) or 0):
            return False  # another worker has it
        delivery = session.get(WebhookDelivery, delivery_id)
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
        if delivery is None or endpoint is None:
            return False
        url, secret, body, event = endpoint.url, endpoint.secret, delivery.body, delivery.event
    status, error = _post(url, secret, body.encode(), event, delivery_id)
    accepted = status is not None and 200 <= status < 300
    with session_scope(engine, write=True) as session:
        attempts = (session.get(WebhookDelivery, delivery_id) or delivery).attempts + 1
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_status": status,
            "last_error": error[:500],
            "lease_until": None,
        }
        if accepted:
            values.update(status="sent", sent_at=utcnow())
        elif attempts >= MAX_ATTEMPTS:
            values.update(status="failed")
        else:
            values.update(status="queued", next_attempt_at=now + pause_after(attempts))
        session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.status) == "sending")
            .values(**values)
        )
    log.info("webhook_delivery", delivery=delivery_id, kind=event, status=status, ok=accepted)
    return accepted


def _post(
    url: str, secret: str, body: bytes, event: str, delivery_id: int
) -> tuple[int | None, str]:
    request = urllib.request.Request(  # noqa: S310  (http(s) only: read_endpoint checks it)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Breachdesk-Webhook/1",
            "X-Breachdesk-Event": event,
            "X-Breachdesk-Delivery": str(delivery_id),
            "X-Breachdesk-Signature": signature(body, secret),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status), ""
    except urllib.error.HTTPError as exc:
        return int(exc.code), f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, type(exc).__name__
