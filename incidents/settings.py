"""Settings read from the environment (names in ../shared/spec/interfaces.md)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///./breachdesk.db"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
SECRET_FILE = Path(".breachdesk-secret")


ROLES = frozenset({"staff", "officer", "admin"})
EVIDENCE_MAX_MB = 100  # the largest request body the upload accepts at all


class SettingsError(ValueError):
    """A setting is missing or wrong; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = field(default="", repr=False)
    timezone: str = "Europe/Amsterdam"
    smtp_url: str | None = None
    mail_from: str = "breachdesk@localhost"
    environment: str = "development"
    secure_cookies: bool = False
    outbox_dir: Path = Path("outbox")
    base_url: str = DEFAULT_BASE_URL
    run_worker: bool = False  # `breachdesk serve` runs reminders and delivery in-process
    # How long a worker may take to send one message before another worker may claim it
    # again (the SMTP timeout is 30 s).
    outbox_lease_seconds: int = 300
    default_language: str = "nl"
    login_attempts_per_account: int = 5
    login_attempts_per_address: int = 20
    login_window_minutes: int = 15
    login_slowdown_max_seconds: int = 60  # the longest an account is slowed down between tries
    session_max_age_hours: int = 12
    # A login ends after this long without a request of the person (a page's own
    # background refreshes do not count); the page warns two minutes before.
    session_idle_minutes: int = 30
    # Roles that must log in with a second factor (TOTP) too (BREACHDESK_REQUIRE_2FA).
    require_2fa: frozenset[str] = frozenset({"admin"})
    # The GDPR amendment proposed in the Digital Omnibus (96 hours, only a likely high risk)
    # is in force for controllers aware from this date (BREACHDESK_GDPR_OMNIBUS_FROM);
    # None: never (it is not law as of November 2026).
    gdpr_omnibus_from: date | None = None
    # Evidence files (issue 18): the largest taken, and where they are kept (None: in the
    # database; a directory: there, under their SHA-256).
    evidence_max_mb: int = 25
    evidence_dir: Path | None = None
    # Test environment only: a served process whose clock runs this far ahead (browser tests).
    clock_offset_seconds: float = 0

    def __post_init__(self) -> None:
        if len(self.secret_key) < 32:
            raise SettingsError("BREACHDESK_SECRET_KEY must be at least 32 characters")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(
                f"BREACHDESK_TIMEZONE: unknown time zone {self.timezone!r}"
            ) from exc
        if self.environment not in {"development", "production", "test"}:
            raise SettingsError("BREACHDESK_ENV must be development, production or test")
        if self.clock_offset_seconds and self.environment != "test":
            raise SettingsError("BREACHDESK_CLOCK_OFFSET_SECONDS is for the test environment only")
        if self.outbox_lease_seconds < 60:
            raise SettingsError("BREACHDESK_OUTBOX_LEASE_SECONDS must be at least 60")
        if self.default_language not in {"nl", "en"}:
            raise SettingsError("BREACHDESK_LANGUAGE must be nl or en")
        if not 1 <= self.evidence_max_mb <= EVIDENCE_MAX_MB:
            raise SettingsError(f"BREACHDESK_EVIDENCE_MAX_MB must be from 1 to {EVIDENCE_MAX_MB}")
        if not 5 <= self.session_idle_minutes <= 720:
            raise SettingsError("BREACHDESK_SESSION_IDLE_MINUTES must be from 5 to 720")
        if not self.require_2fa <= ROLES:
            raise SettingsError(
                "BREACHDESK_REQUIRE_2FA must list roles among staff, officer and admin, "
                "separated by commas (or be empty)"
            )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        environment = env.get("BREACHDESK_ENV", "development")
        secret = env.get("BREACHDESK_SECRET_KEY", "")
        if not secret:
            if environment == "production":
                raise SettingsError("BREACHDESK_SECRET_KEY is required in production")
            secret = _development_secret(Path(env.get("BREACHDESK_SECRET_FILE", SECRET_FILE)))
        secure_default = "1" if environment == "production" else "0"
        return cls(
            database_url=env.get("BREACHDESK_DATABASE_URL", DEFAULT_DATABASE_URL),
            secret_key=secret,
            timezone=env.get("BREACHDESK_TIMEZONE", "Europe/Amsterdam"),
            smtp_url=env.get("BREACHDESK_SMTP_URL") or None,
            mail_from=env.get("BREACHDESK_MAIL_FROM", "breachdesk@localhost"),
            environment=environment,
            secure_cookies=env.get("BREACHDESK_SECURE_COOKIES", secure_default) == "1",
            outbox_dir=Path(env.get("BREACHDESK_OUTBOX_DIR", "outbox")),
            base_url=env.get("BREACHDESK_BASE_URL", DEFAULT_BASE_URL).rstrip("/"),
            run_worker=env.get("BREACHDESK_RUN_WORKER", "0") == "1",
            outbox_lease_seconds=int(_number(env, "BREACHDESK_OUTBOX_LEASE_SECONDS", 300)),
            default_language=env.get("BREACHDESK_LANGUAGE", "nl"),
            clock_offset_seconds=_number(env, "BREACHDESK_CLOCK_OFFSET_SECONDS", 0),
            session_idle_minutes=int(_number(env, "BREACHDESK_SESSION_IDLE_MINUTES", 30)),
            require_2fa=frozenset(
                role.strip()
                for role in env.get("BREACHDESK_REQUIRE_2FA", "admin").split(",")
                if role.strip()
            ),
            gdpr_omnibus_from=_date(env, "BREACHDESK_GDPR_OMNIBUS_FROM"),
            evidence_max_mb=int(_number(env, "BREACHDESK_EVIDENCE_MAX_MB", 25)),
            evidence_dir=Path(env["BREACHDESK_EVIDENCE_DIR"])
            if env.get("BREACHDESK_EVIDENCE_DIR")
            else None,
        )


def _number(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number") from exc


def _date(env: dict[str, str], name: str) -> date | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a date as YYYY-MM-DD, or unset") from exc


def _development_secret(path: Path) -> str:
    """Generate a secret once and keep it in a local file readable only by its owner."""
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if len(value) >= 32:
            return value
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value
