"""The `breachdesk` command line (../shared/spec/interfaces.md).

Exit status: 0 done, 1 bad input (nothing written), 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session, select

from incidents import accounts, controller_csv, invitations, webhooks
from incidents.db import make_engine, session_scope
from incidents.errors import Invalid
from incidents.i18n import current_language
from incidents.models import OrgKind, Role, User, utcnow
from incidents.settings import Settings, SettingsError
from notify import obligations


class CommandError(Exception):
    """Bad input: printed to standard error, exit status 1."""


def _settings() -> Settings:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise CommandError(str(exc)) from exc
    obligations.configure(omnibus_from=settings.gdpr_omnibus_from)
    return settings


def cmd_migrate(args: argparse.Namespace) -> None:
    from incidents.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    print("database is up to date")


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    _settings()  # fail early, with a clear message, on bad settings
    if not args.no_worker:
        # Reminders and e-mail delivery run inside the server; several processes may run
        # them at once without sending anything twice.
        os.environ["BREACHDESK_RUN_WORKER"] = "1"
    uvicorn.run(
        "incidents.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        access_log=False,
        proxy_headers=args.proxy_headers,
        workers=args.workers,
    )


@contextmanager
def _writing() -> Iterator[Session]:
    """A write transaction on the configured database, the engine disposed afterwards."""
    engine = make_engine(_settings().database_url)
    try:
        with session_scope(engine, write=True) as session:
            yield session
    finally:
        engine.dispose()


def _pick(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    return {name: getattr(args, name) for name in names}


def cmd_create_org(args: argparse.Namespace) -> None:
    fields = _pick(
        args, "slug", "name", "kind", "contract_hours", "language", "country", "timezone"
    )
    regimes = [*(args.regime or []), *(["nis2"] if args.nis2 else [])]
    with _writing() as session:
        org = accounts.create_organisation(
            session,
            emails=args.email or [],
            regimes=regimes,
            authority=args.authority or "",
            **fields,
        )
        print(f"created {org.kind} {org.slug}")


def cmd_create_user(args: argparse.Namespace) -> None:
    password = sys.stdin.readline().rstrip("\r\n") if not sys.stdin.isatty() else _prompt()
    fields = _pick(args, "email", "name", "role")
    with _writing() as session:
        user = accounts.create_user(session, password=password, org_slug=args.org, **fields)
        print(f"created {user.role} {user.email}")


def cmd_invite(args: argparse.Namespace) -> None:
    settings = _settings()
    with _writing() as session:
        sent = invitations.invite(
            session,
            settings.base_url,
            email=args.email,
            name=args.name,
            role=args.role,
            org_slug=args.org,
            actor_id=None,
        )
        invitation = sent.invitation
        until = invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        print(
            f"invited {invitation.role} {invitation.email} ({sent.organisation.slug}); the "
            f"e-mail with the link is in the outbox, the link works once until {until}"
        )


def cmd_webhook_add(args: argparse.Namespace) -> None:
    with _writing() as session:
        endpoint = webhooks.add_endpoint(
            session,
            url=args.url,
            secret=args.secret,
            events=args.event,
            with_answers=args.with_answers,
            actor_id=None,
        )
        print(f"added webhook {endpoint.id}: {endpoint.url} ({', '.join(endpoint.events)})")


def _prompt() -> str:
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise CommandError("the two passwords differ")
    return first


def cmd_create_token(args: argparse.Namespace) -> None:
    with _writing() as session:
        user = session.exec(select(User).where(User.email == args.email.strip().lower())).first()
        if user is None:
            raise CommandError(f"no user with e-mail {args.email}")
        if not user.is_active:
            raise CommandError(f"the user {args.email} is not active")
        token = accounts.create_token(session, user, args.label, actor_id=None)
    print(token)


def _read_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read(controller_csv.MAX_BYTES + 1)
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path} is not UTF-8 text (save the CSV as UTF-8)") from exc
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc


def cmd_import_controllers(args: argparse.Namespace) -> None:
    rows = controller_csv.read(_read_file(args.file))
    invited = 0
    with _writing() as session:
        if args.dry_run:
            found = controller_csv.plan(session, rows)
            session.rollback()
        else:
            found = controller_csv.apply(session, rows, actor_id=None)
            if args.invite:
                slugs = [change.slug for change in found.changes]
                invited = invitations.invite_controllers(
                    session, _settings().base_url, slugs, None, utcnow()
                )
    counts = found.summary()
    verb = "would import" if args.dry_run else "imported"
    print(
        f"{verb} {len(found.changes)} controllers: {counts['create']} created, "
        f"{counts['update']} updated, {counts['unchanged']} unchanged"
    )
    if invited:
        print(f"invited {invited} addresses as officers")
    for change in found.changes:
        if change.action == "update":
            print(f"  updated {change.slug}: {', '.join(change.fields)}")
        elif change.action == "create":
            print(f"  created {change.slug}")


def cmd_export_controllers(args: argparse.Namespace) -> None:
    with _writing() as session:
        sys.stdout.write(controller_csv.to_csv(controller_csv.controllers(session)))


def cmd_demo(args: argparse.Namespace) -> None:
    from incidents.demo import load_demo

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        logins = load_demo(engine, only_if_empty=args.if_empty, base_url=settings.base_url)
    finally:
        engine.dispose()
    if logins is None:
        print("the database already has data; demo data not loaded")
        return
    print(f"Demo logins (password for all: {logins.password})")
    for email, role, org in logins.users:
        print(f"  {role:8} {email:40} {org}")


def _worker_settings() -> Settings:
    """The settings, and the clock of a test environment set ahead (tests of a worker
    restarted after its lease has run out)."""
    settings = _settings()
    if settings.clock_offset_seconds:
        from datetime import timedelta

        from incidents import clock

        clock.set_offset(timedelta(seconds=settings.clock_offset_seconds))
    return settings


def cmd_remind(args: argparse.Namespace) -> None:
    from incidents.reminders import run_once

    settings = _worker_settings()
    engine = make_engine(settings.database_url)
    try:
        queued, sent = run_once(engine, settings)
    finally:
        engine.dispose()
    print(f"reminders queued: {queued}; messages sent: {sent}")


def cmd_worker(args: argparse.Namespace) -> None:
    import signal
    import threading

    from incidents.logs import configure_logging
    from incidents.reminders import run_forever

    configure_logging()
    settings = _worker_settings()
    engine = make_engine(settings.database_url)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if args.processes > 1:
        engine.dispose()
        _several_workers(args, stop)
        return
    try:
        # Sleeps `--interval` seconds between cycles unless woken: on PostgreSQL a send in
        # any process wakes it (LISTEN/NOTIFY); on SQLite only its interval does.
        run_forever(engine, settings, interval=args.interval, stop=stop)
    finally:
        engine.dispose()


def _several_workers(args: argparse.Namespace, stop: Any) -> None:
    """``--processes N``: N worker processes, each claiming its own notices and e-mails
    (they never take the same one); stopped together."""
    import subprocess
    import time

    command = [sys.executable, "-m", "incidents.cli", "worker", "--interval", str(args.interval)]
    # Our own interpreter and module with fixed arguments: nothing from outside.
    children = [subprocess.Popen(command) for _ in range(args.processes)]  # noqa: S603
    try:
        while not stop.is_set() and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            child.wait(timeout=30)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of hours")
    return number


def _processes(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 64:
        raise argparse.ArgumentTypeError("give a number of processes from 1 to 64")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="breachdesk", description="Breachdesk: personal-data breach register")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("migrate", help="apply the database migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("serve", help="run the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    p.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-* headers")
    p.add_argument(
        "--no-worker", action="store_true", help="do not send reminders and e-mail in-process"
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("create-org", help="add an organisation")
    p.add_argument("--slug", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--kind", required=True, choices=[k.value for k in OrgKind])
    p.add_argument("--contract-hours", type=_positive_int, default=None)
    p.add_argument(
        "--language",
        choices=["nl", "en"],
        default="",
        help="of its notices and letters (nl in the Netherlands, en elsewhere when left out)",
    )
    p.add_argument("--email", action="append", help="notification address (repeatable)")
    p.add_argument("--nis2", action="store_true", help="the same as --regime nis2")
    p.add_argument(
        "--regime",
        action="append",
        choices=list(accounts.REGIME_FLAGS),
        help="a regime the controller is under besides the GDPR (repeatable): nis2 (an "
        "essential or important entity), dora (a financial entity), dora_no_weekend_relief "
        "(no weekend relief for its DORA initial and intermediate reports)",
    )
    p.add_argument(
        "--authority",
        default="",
        help="its lead supervisory authority when not its country's own, e.g. ie_dpc",
    )
    p.add_argument("--country", default="NL", help="ISO 3166 code, e.g. NL or GB (NL)")
    p.add_argument(
        "--timezone", default="", help="e.g. Europe/London (the country's main zone when left out)"
    )
    p.set_defaults(func=cmd_create_org)

    p = sub.add_parser(
        "import-controllers",
        help="create or update controllers from a CSV file, by slug, all or nothing",
    )
    p.add_argument("file", help="CSV with a header: " + ", ".join(controller_csv.COLUMNS))
    p.add_argument("--dry-run", action="store_true", help="say what would change; write nothing")
    p.add_argument(
        "--invite",
        action="store_true",
        help="invite the controllers' notification addresses without an account as officers",
    )
    p.set_defaults(func=cmd_import_controllers)

    p = sub.add_parser("export-controllers", help="write the controllers as CSV to standard output")
    p.set_defaults(func=cmd_export_controllers)

    p = sub.add_parser("create-user", help="add a user; the password is read from standard input")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--org", default=None, help="organisation slug (required for an officer)")
    p.set_defaults(func=cmd_create_user)

    p = sub.add_parser(
        "invite", help="invite a person by e-mail: a one-time link to choose a password"
    )
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--org", default=None, help="controller slug (required for an officer)")
    p.set_defaults(func=cmd_invite)

    p = sub.add_parser("webhook", help="outgoing webhooks")
    hooks = p.add_subparsers(dest="webhook_command", required=True)
    w = hooks.add_parser("add", help="add an endpoint: POSTs signed JSON for the events")
    w.add_argument("--url", required=True)
    w.add_argument("--secret", required=True, help="16-200 characters, for the signature")
    w.add_argument(
        "--event", action="append", required=True, choices=list(webhooks.EVENTS),
        help="an event to send (repeatable)",
    )  # fmt: skip
    w.add_argument("--with-answers", action="store_true", help="the body carries the answers")
    w.set_defaults(func=cmd_webhook_add)

    p = sub.add_parser("create-token", help="print a new API token for a user")
    p.add_argument("--email", required=True)
    p.add_argument("--label", default="command line")
    p.set_defaults(func=cmd_create_token)

    p = sub.add_parser("remind", help="queue due reminders and deliver the outbox once")
    p.set_defaults(func=cmd_remind)

    p = sub.add_parser(
        "worker", help="run `remind` every minute, and at once after a send, until stopped"
    )
    p.add_argument("--interval", type=float, default=60.0, help="seconds between runs (default 60)")
    p.add_argument(
        "--processes",
        type=_processes,
        default=1,
        help="worker processes that render and deliver side by side (default 1)",
    )
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("demo", help="load demo organisations, users and incidents")
    p.add_argument("--if-empty", action="store_true", help="only when the database has no users")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    current_language.set("en")
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], None] = args.func
    try:
        func(args)
    except Invalid as exc:  # accounts.InputError and every other refused input
        for problem in exc.problems:
            print(f"breachdesk: error: {problem.field}: {problem.message}", file=sys.stderr)
        return 1
    except CommandError as exc:
        print(f"breachdesk: error: {exc}", file=sys.stderr)
        return 1
    except (OperationalError, ProgrammingError) as exc:
        print(
            "breachdesk: error: the database is not reachable or not migrated "
            f"({type(exc.orig).__name__}); run `breachdesk migrate` first",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
