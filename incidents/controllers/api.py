"""The JSON API under /api/v1 (bearer tokens)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from msgspec import Struct

from incidents.controllers.common import user_of


class Me(Struct):
    id: int
    email: str
    name: str
    role: str
    organisation: str
    organisation_kind: str


@get("/api/v1/me", name="api_me", tags=["account"], sync_to_thread=False)
def me(request: Request[Any, Any, Any]) -> Me:
    """The user the token belongs to."""
    user = user_of(request)
    return Me(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        organisation=user.organisation_slug,
        organisation_kind=user.organisation_kind,
    )


handlers = [me]
