from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import pytest

from incidents.controllers.common import safe_next
from incidents.security import (
    PasswordPolicyError,
    check_password_policy,
    hash_password,
    verify_password,
)
from incidents.settings import Settings, SettingsError


def test_defaults_from_an_empty_environment(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    settings = Settings.from_env({"BREACHDESK_SECRET_FILE": str(secret_file)})
    assert settings.database_url == "sqlite:///./breachdesk.db"
    assert settings.timezone == "Europe/Amsterdam"
    assert settings.smtp_url is None
    assert settings.secure_cookies is False
    # The development secret is generated once, kept private and reused.
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    again = Settings.from_env({"BREACHDESK_SECRET_FILE": str(secret_file)})
    assert again.secret_key == settings.secret_key and len(settings.secret_key) >= 32


def test_environment_overrides() -> None:
    settings = Settings.from_env(
        {
            "BREACHDESK_DATABASE_URL": "postgresql+psycopg://u@h/db",
            "BREACHDESK_SECRET_KEY": "s" * 40,
            "BREACHDESK_TIMEZONE": "Europe/London",
            "BREACHDESK_SMTP_URL": "smtp://mail.example:587",
            "BREACHDESK_ENV": "production",
        }
    )
    assert settings.timezone == "Europe/London" and settings.smtp_url == "smtp://mail.example:587"
    assert settings.secure_cookies is True


def test_production_requires_a_secret() -> None:
    with pytest.raises(SettingsError, match="required in production"):
        Settings.from_env({"BREACHDESK_ENV": "production"})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BREACHDESK_SECRET_KEY": "short"}, "at least 32"),
        (
            {"BREACHDESK_SECRET_KEY": "s" * 40, "BREACHDESK_TIMEZONE": "Mars/Olympus"},
            "unknown time zone",
        ),
        ({"BREACHDESK_SECRET_KEY": "s" * 40, "BREACHDESK_ENV": "staging"}, "BREACHDESK_ENV"),
        (
            {"BREACHDESK_SECRET_KEY": "s" * 40, "BREACHDESK_REQUIRE_2FA": "admin,boss"},
            "BREACHDESK_REQUIRE_2FA",
        ),
    ],
)
def test_bad_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_two_factor_is_required_of_admins_unless_set_otherwise() -> None:
    base = {"BREACHDESK_SECRET_KEY": "s" * 40}
    assert Settings.from_env(base).require_2fa == {"admin"}
    both = Settings.from_env({**base, "BREACHDESK_REQUIRE_2FA": " staff , admin "})
    assert both.require_2fa == {"staff", "admin"}
    assert Settings.from_env({**base, "BREACHDESK_REQUIRE_2FA": ""}).require_2fa == set()


@pytest.mark.parametrize("raw", ["2027-13-01", "1 January 2027", "2027-1-1", "99999-01-01"])
def test_a_bad_omnibus_date_is_named(raw: str) -> None:
    with pytest.raises(SettingsError, match="BREACHDESK_GDPR_OMNIBUS_FROM"):
        Settings.from_env({"BREACHDESK_SECRET_KEY": "s" * 40, "BREACHDESK_GDPR_OMNIBUS_FROM": raw})


def test_the_omnibus_is_off_unless_a_date_is_set() -> None:
    base = {"BREACHDESK_SECRET_KEY": "s" * 40}
    assert Settings.from_env(base).gdpr_omnibus_from is None
    assert (
        Settings.from_env({**base, "BREACHDESK_GDPR_OMNIBUS_FROM": " "}).gdpr_omnibus_from is None
    )
    on = Settings.from_env({**base, "BREACHDESK_GDPR_OMNIBUS_FROM": "2027-07-01"})
    assert on.gdpr_omnibus_from == date(2027, 7, 1)


def test_password_hashing() -> None:
    hashed = hash_password("a long enough password")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long enough password")
    assert not verify_password(hashed, "a long enough passwore")
    assert not verify_password(None, "anything at all")
    assert not verify_password("not a hash", "anything at all")
    for bad, code in (("", "empty"), ("   ", "empty"), ("short", "short")):
        with pytest.raises(PasswordPolicyError) as info:
            check_password_policy(bad)
        assert info.value.code == code


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (None, "/"),
        ("/incidents?page=2", "/incidents?page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("relative/path", "/"),
        ("/ok\r\nSet-Cookie: x=y", "/"),
    ],
)
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_smtp_url_options() -> None:
    from notify.outbox import smtp_options

    plain = smtp_options("smtp://mailer:s%40cret@relay.example:2525")
    assert plain["hostname"] == "relay.example" and plain["port"] == 2525
    assert plain["start_tls"] is None, "STARTTLS whenever the server offers it"
    assert plain["username"] == "mailer" and plain["password"] == "s@cret"
    assert smtp_options("smtp://relay.example?starttls=required")["start_tls"] is True
    assert smtp_options("smtp://relay.example")["port"] == 587
    tls = smtp_options("smtps://relay.example")
    assert tls["use_tls"] is True and tls["port"] == 465
    import pytest

    with pytest.raises(ValueError):
        smtp_options("http://relay.example")
