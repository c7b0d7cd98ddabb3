"""Demo data: a processor, three controllers, a user for each role and a few incidents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import NotRequired, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from forms.answers import validate
from forms.values import Context
from incidents import accounts, notices, service
from incidents.db import session_scope
from incidents.models import Incident, IncidentStatus, Notice, Organisation, User, utcnow
from incidents.principal import CurrentUser
from incidents.security import hash_password
from incidents.settings import DEFAULT_BASE_URL

DEMO_PASSWORD = "breachdesk-demo"  # noqa: S105  (printed by make run on purpose)


class DemoOrganisation(TypedDict):
    """The keyword arguments of ``accounts.create_organisation`` for one demo organisation."""

    slug: str
    name: str
    kind: str
    language: str
    emails: list[str]
    contract_hours: NotRequired[int]
    regimes: NotRequired[list[str]]


ORGANISATIONS: list[DemoOrganisation] = [
    {
        "slug": "talentcloud",
        "name": "TalentCloud B.V.",
        "kind": "processor",
        "language": "nl",
        "emails": ["privacy@talentcloud.example"],
    },
    {
        "slug": "acme",
        "name": "Acme Retail B.V.",
        "kind": "controller",
        "contract_hours": 24,
        "language": "nl",
        "emails": ["privacy@acme.example"],
    },
    {
        "slug": "zorggroep-noord",
        "name": "Zorggroep Noord",
        "kind": "controller",
        "contract_hours": 36,
        "language": "nl",
        "emails": ["fg@zorggroep-noord.example"],
        "regimes": ["nis2"],
    },
    {
        "slug": "northwind",
        "name": "Northwind Logistics Ltd",
        "kind": "controller",
        "language": "en",
        "emails": ["dpo@northwind.example", "security@northwind.example"],
    },
]

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


def load_demo(
    engine: Engine,
    *,
    only_if_empty: bool = False,
    with_incidents: bool = True,
    base_url: str = DEFAULT_BASE_URL,
) -> DemoLogins | None:
    """Load the demo in one transaction. Returns None when skipped (database not empty).
    ``base_url``: where the demo notices' e-mails link to."""
    with session_scope(engine, write=True) as session:
        if only_if_empty and session.exec(select(func.count()).select_from(User)).one() > 0:
            return None
        for org in ORGANISATIONS:
            accounts.create_organisation(session, **org)
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
        if with_incidents:
            _demo_incidents(session)
    if with_incidents:
        _demo_notices(engine, base_url)
    return logins


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _demo_incidents(session: Session) -> None:
    """Three incidents: submitted hours ago, submitted last week, and a draft."""
    settings_zone = ZoneInfo("Europe/Amsterdam")
    now = utcnow()
    actor = _actor(session, "staff@talentcloud.example")
    ctx = Context(
        now=now, zone=settings_zone, controllers=frozenset(c["slug"] for c in ORGANISATIONS[1:])
    )
    contact = {
        "contact_name": "Sander Bakker",
        "contact_role": "Security officer",
        "contact_email": "security@talentcloud.example",
        "contact_phone": "+31 20 123 4567",
    }
    reports = [
        {
            "controllers": ["acme", "zorggroep-noord"],
            "summary": "Ransomware encrypted the file server of the HR module. Logs show that the attacker "
            "copied part of the personnel files before encrypting them.",
            "cause": "hacking_malware_phishing",
            "ongoing": "no",
            "affected_min": 800,
            "affected_max": 2400,
            "affected_group": "Employees of both clients",
            "records_approx": 15000,
            "vulnerable_subjects": "no",
            "occurred_kind": "between",
            "occurred_from": _iso(now - timedelta(days=2)),
            "occurred_until": _iso(now - timedelta(hours=27)),
            "discovered_at": _iso(now - timedelta(hours=26)),
            "nature": ["copied", "deleted"],
            "recipients": "unknown",
            "malicious": "yes",
            "availability_loss": "temporary",
            "data_types": ["name_address", "email", "bsn", "financial", "special"],
            "special_categories": ["health"],
            "identifiability": "maximum",
            "sensitive_context": "no",
            "extensive_volume": "yes",
            "public_or_invalid": "no",
            "encrypted": "no",
            "consequences": ["identity_fraud", "spam_phishing"],
            "measures": "Server isolated, all credentials reset, files restored from the offline backup, "
            "forensic investigation started.",
            "other_eu_countries": "yes",
            "countries": ["BE", "DE"],
            **contact,
        },
        {
            "controllers": ["northwind"],
            "summary": "A payroll export was e-mailed to the wrong customer, who confirmed deleting it.",
            "cause": "misdirected_mail_or_email",
            "ongoing": "no",
            "affected_min": 35,
            "affected_max": 35,
            "affected_group": "Drivers employed by Northwind",
            "vulnerable_subjects": "no",
            "occurred_kind": "on",
            "occurred_on": (now - timedelta(days=8)).astimezone(settings_zone).date().isoformat(),
            "discovered_at": _iso(now - timedelta(days=7)),
            "nature": ["read"],
            "recipients": "trusted",
            "malicious": "no",
            "data_types": ["name_address", "financial"],
            "identifiability": "maximum",
            "sensitive_context": "no",
            "extensive_volume": "no",
            "public_or_invalid": "no",
            "encrypted": "no",
            "consequences": ["spam_phishing"],
            "measures": "Recipient confirmed deletion in writing; export now requires a second check.",
            "other_eu_countries": "no",
            **contact,
        },
    ]
    for answers in reports:
        result = validate(answers, ctx, complete=True)
        assert result.ok, result.errors
        incident = service.create_draft(session, actor, result.answers, via="demo")
        assert not service.submit(session, incident, actor, ctx, via="demo")
    draft = {
        "controllers": ["acme"],
        "summary": "A laptop of a consultant was stolen from a car.",
        "cause": "lost_stolen_device_or_paper",
    }
    service.create_draft(session, actor, validate(draft, ctx, complete=False).answers, via="demo")


def _actor(session: Session, email: str) -> CurrentUser:
    user = session.exec(select(User).where(User.email == email)).one()
    org = session.exec(select(Organisation).where(Organisation.id == user.organisation_id)).one()
    assert user.id is not None and org.id is not None  # rows read back have their ids
    return CurrentUser(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        language=None,
        organisation_id=org.id,
        organisation_slug=org.slug,
        organisation_name=org.name,
        organisation_kind=org.kind,
    )


def _demo_notices(engine: Engine, base_url: str) -> None:
    """Northwind's notice (last week) and Zorggroep Noord's (today) are sent (the worker
    delivers them); Acme's is still to be sent and overdue, for the staff to act on.
    Northwind's officer has acknowledged, decided not to notify and recorded an own
    estimate of the severity (low) beside the computed one."""
    with session_scope(engine) as session:
        staff = _actor(session, "staff@talentcloud.example")
        officer = _actor(session, "dpo@northwind.example")
        submitted = [
            (incident.id, [s for s in incident.answers["controllers"] if s != "acme"])
            for incident in session.exec(
                select(Incident).where(Incident.status == IncidentStatus.submitted)
            ).all()
        ]
    for incident_id, slugs in submitted:
        notices.send_notices(engine, staff, incident_id, slugs, base_url)
    with session_scope(engine, write=True) as session:
        row = session.exec(
            select(Notice, Organisation)
            .join(Organisation, col(Organisation.id) == col(Notice.controller_id))
            .where(Organisation.slug == "northwind")
        ).first()
        if row is None:
            return
        notice, org = row
        notices.acknowledge(session, notice, org, officer)
        notices.decide(
            session,
            notice,
            org,
            officer,
            {
                "is_breach": True,
                "notify_authority": False,
                "authority_reason": "One trusted recipient, a customer bound by contract, deleted the file "
                "the same day and confirmed it in writing; unlikely to result in a risk.",
                "inform_data_subjects": False,
                "art34_ground": None,
                "data_subjects_reason": "No high risk: the data did not spread beyond the trusted recipient.",
                "nis2_significant": None,
            },
            "",
        )
        incident = session.get(Incident, notice.incident_id)
        assert incident is not None
        notices.override_assessment(
            session,
            incident,
            notice,
            org,
            officer,
            {
                "level": "low",
                "notify_authority": False,
                "inform_data_subjects": False,
                "reason": "The file went to one customer bound by contract, who deleted it within the hour "
                "and confirmed it in writing; the salary data never left a trusted party.",
            },
        )
