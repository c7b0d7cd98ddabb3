"""Outgoing webhooks for the administrator's page (incidents.webhooks)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.engine import Engine

from incidents import webhooks
from incidents.db import session_scope
from incidents.principal import CurrentUser


def overview(engine: Engine) -> webhooks.Overview:
    with session_scope(engine) as session:
        return webhooks.overview(session)


def add(engine: Engine, user: CurrentUser, values: Mapping[str, str]) -> None:
    """From the page's fields: url, secret, a box per event (event-<name>), with_answers."""
    with session_scope(engine, write=True) as session:
        webhooks.add_endpoint(
            session,
            url=values.get("url", ""),
            secret=values.get("secret", ""),
            events=[e for e in webhooks.EVENTS if values.get(f"event-{e}") == "yes"],
            with_answers=values.get("with_answers") == "yes",
            actor_id=user.id,
        )


def set_active(engine: Engine, user: CurrentUser, endpoint_id: int, active: bool) -> None:
    with session_scope(engine, write=True) as session:
        webhooks.set_active(session, endpoint_id, active, user.id)
