"""The outbox for processor staff: every e-mail the app wrote, as sent (or to be sent)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import col, select

from incidents import delivery
from incidents.db import session_scope
from incidents.errors import NotFound
from incidents.models import OutboxMessage
from notify import outbox

# Not shown in the list: the PDFs and the bodies.
LIST_DEFERRED = ("attachment", "body_html", "body_text")


def _column(name: str) -> QueryableAttribute[Any]:
    return sa_inspect(OutboxMessage).attrs[name].class_attribute


def messages(engine: Engine, limit: int = 300) -> list[OutboxMessage]:
    """The newest messages first, without their bodies and attachments."""
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(OutboxMessage)
                .options(*(defer(_column(name)) for name in LIST_DEFERRED))
                .order_by(col(OutboxMessage.id).desc())
                .limit(limit)
            ).all()
        )


# E-mails whose text holds a one-time link for one person (an invitation, a password
# reset, a notice to an invited address with the link to its invitation): the outbox lists
# them, but nobody reads their text or file in the app; only the recipient does.
PERSONAL_LINK_KINDS = frozenset({"invitation", "password_reset", "notice_invitation"})


def message(engine: Engine, message_id: int) -> OutboxMessage:
    """One message, whole; NotFound if there is none or it holds a personal link."""
    with session_scope(engine) as session:
        found = session.get(OutboxMessage, message_id)
    if found is None or found.kind in PERSONAL_LINK_KINDS:
        raise NotFound()
    return found


def eml(engine: Engine, message_id: int, mail_from: str) -> bytes:
    """The message as the e-mail file (RFC 822) it is sent as."""
    return bytes(outbox.build(delivery.mail_of(message(engine, message_id), mail_from)))
