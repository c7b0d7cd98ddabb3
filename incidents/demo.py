"""Demo data: a processor, three controllers and a user for each role."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from incidents import accounts
from incidents.db import session_scope
from incidents.models import User
from incidents.security import hash_password

DEMO_PASSWORD = "breachdesk-demo"  # noqa: S105  (printed by make run on purpose)

ORGANISATIONS = [
    {"slug": "talentcloud", "name": "TalentCloud B.V.", "kind": "processor", "language": "nl",
     "emails": ["privacy@talentcloud.example"]},
    {"slug": "acme", "name": "Acme Retail B.V.", "kind": "controller", "contract_hours": 24,
     "language": "nl", "emails": ["privacy@acme.example"]},
    {"slug": "zorggroep-noord", "name": "Zorggroep Noord", "kind": "controller",
     "contract_hours": 36, "language": "nl", "emails": ["fg@zorggroep-noord.example"],
     "nis2": True},
    {"slug": "northwind", "name": "Northwind Logistics Ltd", "kind": "controller",
     "language": "en", "emails": ["dpo@northwind.example", "security@northwind.example"]},
]  # fmt: skip

USERS = [
    ("admin@talentcloud.example", "Anne de Vries", "admin", "talentcloud"),
    ("staff@talentcloud.example", "Sander Bakker", "staff", "talentcloud"),
    ("fg@acme.example", "Fatima El Amrani", "officer", "acme"),
    ("fg@zorggroep-noord.example", "Joost Visser", "officer", "zorggroep-noord"),
    ("dpo@northwind.example", "Emma Clarke", "officer", "northwind"),
]


@cache
def _demo_hash() -> str:
    """One argon2 hash for the shared demo password (hashing is slow on purpose)."""
    return hash_password(DEMO_PASSWORD)


@dataclass
class DemoLogins:
    password: str
    users: list[tuple[str, str, str]] = field(default_factory=list)


def load_demo(engine: Engine, *, only_if_empty: bool = False) -> DemoLogins | None:
    """Load the demo in one transaction. Returns None when skipped (database not empty)."""
    with session_scope(engine, write=True) as session:
        if only_if_empty and session.exec(select(func.count()).select_from(User)).one() > 0:
            return None
        for org in ORGANISATIONS:
            accounts.create_organisation(session, **org)  # type: ignore[arg-type]
        logins = DemoLogins(password=DEMO_PASSWORD)
        for email, name, role, org_slug in USERS:
            accounts.create_user(
                session,
                email=email,
                name=name,
                role=role,
                password=DEMO_PASSWORD,
                org_slug=org_slug,
                password_hash=_demo_hash(),
            )
            logins.users.append((email, role, org_slug))
        return logins
