"""The `breachdesk` command line: each command with good and bad input."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from incidents.cli import main
from incidents.models import ApiToken, Incident, Organisation, User
from incidents.security import digest, verify_password


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys):
    monkeypatch.setenv("BREACHDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("BREACHDESK_SECRET_KEY", "k" * 40)
    monkeypatch.chdir(tmp_path)

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _create_user(cli, email: str = "s@t.example", name: str = "S", role: str = "staff", n: int = 1):
    """`breachdesk create-user` without an organisation, password long-password-<n>."""
    return cli(
        "create-user",
        "--email",
        email,
        "--name",
        name,
        "--role",
        role,
        stdin=f"long-password-{n}\n",
    )


def _count(engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_migrate(cli) -> None:
    code, out, _ = cli("migrate")
    assert code == 0 and "up to date" in out


def test_create_org_processor_and_controller(cli, engine) -> None:
    assert (
        cli("create-org", "--slug", "talentcloud", "--name", "TalentCloud", "--kind", "processor")[
            0
        ]
        == 0
    )
    code, out, _ = cli(
        "create-org",
        "--slug",
        "acme",
        "--name",
        "Acme",
        "--kind",
        "controller",
        "--contract-hours",
        "24",
        "--language",
        "en",
        "--email",
        "fg@acme.example",
        "--email",
        "sec@acme.example",
        "--nis2",
    )
    assert code == 0 and "created controller acme" in out
    with Session(engine) as session:
        acme = session.exec(select(Organisation).where(Organisation.slug == "acme")).one()
    assert (acme.contract_hours, acme.language, acme.nis2) == (24, "en", True)
    assert acme.notification_emails == ["fg@acme.example", "sec@acme.example"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slug", "acme", "--name", "Again", "--kind", "controller"], "already exists"),
        (["--slug", "Not A Slug", "--name", "X", "--kind", "controller"], "lower-case"),
        (["--slug", "second", "--name", "X", "--kind", "processor"], "already a processor"),
        (
            ["--slug", "x", "--name", "X", "--kind", "controller", "--email", "nope"],
            "not an e-mail",
        ),
        (
            ["--slug", "x", "--name", "X", "--kind", "controller", "--contract-hours", "100000"],
            "hours",
        ),
        (["--slug", "x", "--name", " ", "--kind", "controller"], "name"),
        (["--slug", "x", "--name", "X", "--kind", "controller", "--country", "XX"], "country"),
        (
            ["--slug", "x", "--name", "X", "--kind", "controller", "--timezone", "Mars/Base"],
            "time zone",
        ),
    ],
)
def test_create_org_bad_input(cli, engine, args: list[str], message: str) -> None:
    cli("create-org", "--slug", "talentcloud", "--name", "TalentCloud", "--kind", "processor")
    cli("create-org", "--slug", "acme", "--name", "Acme", "--kind", "controller")
    code, out, err = cli("create-org", *args)
    assert code == 1 and message in err and out == ""
    assert _count(engine, Organisation) == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--slug", "x", "--name", "X"],
        ["--slug", "x", "--name", "X", "--kind", "vendor"],
        ["--slug", "x", "--name", "X", "--kind", "controller", "--contract-hours", "-3"],
        ["--slug", "x", "--name", "X", "--kind", "controller", "--language", "de"],
    ],
)
def test_create_org_usage_errors_exit_2(cli, engine, args: list[str]) -> None:
    code, _, err = cli("create-org", *args)
    assert code == 2 and "usage:" in err
    assert _count(engine, Organisation) == 0


@pytest.fixture
def orgs(cli) -> None:
    cli("create-org", "--slug", "talentcloud", "--name", "TalentCloud", "--kind", "processor")
    cli("create-org", "--slug", "acme", "--name", "Acme", "--kind", "controller")


@pytest.mark.usefixtures("orgs")
def test_create_user_reads_password_from_stdin(cli, engine) -> None:
    code, out, _ = cli(
        "create-user",
        "--email",
        "Fg@Acme.example",
        "--name",
        "Fatima",
        "--role",
        "officer",
        "--org",
        "acme",
        stdin="correct horse battery\n",
    )
    assert code == 0 and "created officer fg@acme.example" in out
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == "fg@acme.example")).one()
    assert verify_password(user.password_hash, "correct horse battery")
    assert user.password_hash.startswith("$argon2id$")


@pytest.mark.usefixtures("orgs")
def test_staff_belongs_to_the_processor_by_default(cli, engine) -> None:
    assert _create_user(cli)[0] == 0
    with Session(engine) as session:
        user = session.exec(select(User)).one()
        org = session.get(Organisation, user.organisation_id)
    assert org.slug == "talentcloud"


@pytest.mark.usefixtures("orgs")
@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["--email", "o@acme.example", "--name", "O", "--role", "officer"],
            "long-password-1\n",
            "needs --org",
        ),
        (
            ["--email", "o@acme.example", "--name", "O", "--role", "officer", "--org", "nope"],
            "long-password-1\n",
            "no organisation",
        ),
        (
            [
                "--email",
                "o@acme.example",
                "--name",
                "O",
                "--role",
                "officer",
                "--org",
                "talentcloud",
            ],
            "long-password-1\n",
            "controller",
        ),
        (
            ["--email", "s@t.example", "--name", "S", "--role", "staff", "--org", "acme"],
            "long-password-1\n",
            "processor",
        ),
        (["--email", "s@t.example", "--name", "S", "--role", "staff"], "", "password is empty"),
        (["--email", "s@t.example", "--name", "S", "--role", "staff"], "\n", "password is empty"),
        (["--email", "s@t.example", "--name", "S", "--role", "staff"], "short\n", "at least 10"),
        (
            ["--email", "not-an-email", "--name", "S", "--role", "staff"],
            "long-password-1\n",
            "e-mail",
        ),
    ],
)
def test_create_user_bad_input(cli, engine, args: list[str], stdin: str, message: str) -> None:
    code, out, err = cli("create-user", *args, stdin=stdin)
    assert code == 1 and message in err and out == ""
    assert _count(engine, User) == 0


@pytest.mark.usefixtures("orgs")
def test_create_user_duplicate_email(cli, engine) -> None:
    _create_user(cli)
    code, _, err = _create_user(cli, "S@T.example", "S2", "admin", n=2)
    assert code == 1 and "already exists" in err
    assert _count(engine, User) == 1


@pytest.mark.usefixtures("orgs")
def test_create_token_prints_a_working_token(cli, engine) -> None:
    _create_user(cli)
    code, out, _ = cli("create-token", "--email", "s@t.example")
    token = out.strip()
    assert code == 0 and token.startswith("bd_") and "\n" not in token
    with Session(engine) as session:
        row = session.exec(select(ApiToken)).one()
    assert row.token_hash == digest(token)


def test_create_token_unknown_user(cli, engine) -> None:
    code, _, err = cli("create-token", "--email", "ghost@nowhere.example")
    assert code == 1 and "no user" in err
    assert _count(engine, ApiToken) == 0


def test_demo_loads_once(cli, engine) -> None:
    code, out, _ = cli("demo", "--if-empty")
    assert code == 0 and "staff@talentcloud.example" in out and "breachdesk-demo" in out
    code, out, _ = cli("demo", "--if-empty")
    assert code == 0 and "already has data" in out
    code, _, err = cli("demo")
    assert code == 1 and "already exists" in err
    assert _count(engine, User) == 5
    with Session(engine) as session:
        incidents = session.exec(select(Incident)).all()
    assert sorted(i.status for i in incidents) == ["draft", "submitted", "submitted"]
    assert all(i.reference for i in incidents if i.status == "submitted")


def test_unmigrated_database_gives_a_clear_error(cli, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BREACHDESK_DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")
    code, _, err = cli("create-token", "--email", "x@y.example")
    assert code == 1 and "breachdesk migrate" in err


def test_production_without_secret_is_refused(cli, monkeypatch) -> None:
    monkeypatch.setenv("BREACHDESK_ENV", "production")
    monkeypatch.delenv("BREACHDESK_SECRET_KEY")
    code, _, err = cli("migrate")
    assert code == 1 and "BREACHDESK_SECRET_KEY is required" in err


def test_console_script_is_installed_and_usage_errors_exit_2() -> None:
    script = Path(sys.executable).parent / "breachdesk"
    result = subprocess.run(
        [str(script), "frobnicate"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2 and "invalid choice" in result.stderr
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    for command in ("migrate", "serve", "create-org", "create-user", "create-token", "demo"):
        assert command in result.stdout


@pytest.mark.usefixtures("orgs")
def test_invite_writes_the_invitation_and_its_email(cli, engine) -> None:
    """`breachdesk invite`: the invitation and its e-mail (with the link) in the outbox; the
    link itself is printed nowhere. Bad input lists every problem, and nothing is written."""
    from incidents.models import Invitation, OutboxMessage

    code, out, err = cli(
        "invite",
        "--email",
        "Fg@Acme.example",
        "--name",
        "Fatima",
        "--role",
        "officer",
        "--org",
        "acme",
    )
    assert code == 0 and "invited officer fg@acme.example (acme)" in out, err
    assert "/invitations/" not in out
    with Session(engine) as session:
        invitation = session.exec(select(Invitation)).one()
        mail = session.exec(select(OutboxMessage)).one()
    assert invitation.invited_by_id is None and mail.recipients == ["fg@acme.example"]
    assert "/invitations/" in mail.body_text
    code, out, err = cli("invite", "--email", "nope", "--name", " ", "--role", "officer")
    assert code == 1 and out == ""
    assert "email:" in err and "name:" in err and "org:" in err
    assert _count(engine, Invitation) == 1


def test_create_org_in_another_country_takes_its_time_zone(cli, engine) -> None:
    """Issue 17: --country GB without --timezone is Europe/London; both can be given."""
    cli("create-org", "--slug", "talentcloud", "--name", "TalentCloud", "--kind", "processor")
    code, _, err = cli(
        "create-org",
        "--slug",
        "payrolluk",
        "--name",
        "Payroll UK",
        "--kind",
        "controller",
        "--country",
        "gb",
        "--language",
        "en",
    )
    assert code == 0, err
    code, _, err = cli(
        "create-org",
        "--slug",
        "lab-dublin",
        "--name",
        "Lab",
        "--kind",
        "controller",
        "--country",
        "IE",
        "--timezone",
        "Europe/Dublin",
    )
    assert code == 0, err
    with Session(engine) as session:
        places = {o.slug: (o.country, o.timezone) for o in session.exec(select(Organisation)).all()}
    assert places["payrolluk"] == ("GB", "Europe/London")
    assert places["lab-dublin"] == ("IE", "Europe/Dublin")
    assert places["talentcloud"] == ("NL", "Europe/Amsterdam")


@pytest.mark.usefixtures("orgs")
def test_create_org_with_regimes_and_an_authority(cli, engine) -> None:
    """Issue 17: --regime (repeatable) and --authority; bad values are refused."""
    code, _, err = cli(
        "create-org", "--slug", "bank", "--name", "Bank", "--kind", "controller",
        "--regime", "dora", "--regime", "dora_no_weekend_relief", "--regime", "nis2",
        "--country", "IE", "--authority", "ie_dpc", "--contract-hours", "2",
    )  # fmt: skip
    assert code == 0, err
    with Session(engine) as session:
        bank = session.exec(select(Organisation).where(Organisation.slug == "bank")).one()
    assert (bank.nis2, bank.dora, bank.dora_no_weekend_relief) == (True, True, True)
    assert (bank.country, bank.timezone, bank.authority) == ("IE", "Europe/Dublin", "ie_dpc")
    code, _, err = cli(
        "create-org", "--slug", "fund", "--name", "Fund", "--kind", "controller",
        "--regime", "dora_no_weekend_relief", "--authority", "xx_none",
    )  # fmt: skip
    assert code == 1 and "DORA" in err and "supervisory authority" in err
    code, _, err = cli(
        "create-org", "--slug", "fund", "--name", "Fund", "--kind", "controller",
        "--regime", "mifid",
    )  # fmt: skip
    assert code == 2 and "usage:" in err
    assert _count(engine, Organisation) == 3


@pytest.mark.usefixtures("orgs")
def test_a_controller_abroad_gets_its_countrys_zone_and_english(cli, engine, tmp_path) -> None:
    """Issue 17: left out, the language follows the country (Dutch only in NL) and the
    time zone the country's main one, on the command line and in the import alike."""
    code, _, err = cli(
        "create-org", "--slug", "payroll-uk", "--name", "Payroll", "--kind", "controller",
        "--country", "GB",
    )  # fmt: skip
    assert code == 0, err
    rows = tmp_path / "controllers.csv"
    rows.write_text("slug,name,country\nlab-dublin,Lab Dublin,IE\nzorg-nl,Zorg,NL\n", "utf-8")
    code, _, err = cli("import-controllers", str(rows))
    assert code == 0, err
    with Session(engine) as session:
        found = {o.slug: (o.language, o.timezone) for o in session.exec(select(Organisation)).all()}
    assert found["payroll-uk"] == ("en", "Europe/London")
    assert found["lab-dublin"] == ("en", "Europe/Dublin")
    assert found["zorg-nl"] == ("nl", "Europe/Amsterdam")
