"""Who is asking: the principal of one request, as the domain sees it. A plain value with
no dependency on HTTP or the database, so every layer can take it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CurrentUser:
    """The authenticated user of one request; a plain value, safe to pass between threads."""

    id: int
    email: str
    name: str
    role: str
    language: str | None
    organisation_id: int
    organisation_slug: str
    organisation_name: str
    organisation_kind: str
    two_factor: bool = False  # logs in with a second factor (TOTP)
    session_id_hash: str | None = None
    token_id: int | None = None
    organisation_timezone: str = "Europe/Amsterdam"  # an officer reads times in its zone

    @property
    def is_staff(self) -> bool:
        return self.role in {"staff", "admin"}

    @property
    def is_officer(self) -> bool:
        return self.role == "officer"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
