"""Delivering e-mail: over SMTP when BREACHDESK_SMTP_URL is set, otherwise as .eml files in
the outbox folder. The one place in notify/ that does I/O."""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TypedDict
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

DEFAULT_SENDER = "breachdesk@localhost"


@dataclass(frozen=True)
class Attached:
    name: str
    data: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Mail:
    key: str  # unique per message; also the .eml file name and the source of its Message-ID
    recipients: Sequence[str]
    subject: str
    text: str
    date: datetime  # when the message was written (aware): the same on every attempt
    html: str = ""
    sender: str = DEFAULT_SENDER
    attachments: Sequence[Attached] = field(default_factory=tuple)
    reply_to: str = ""


class DeliveryError(Exception):
    """The mail server did not take the message. ``permanent``: it refused it for good
    (a 5xx reply), so trying again later would get the same answer. The text is the
    server's reply code and message, for the staff's outbox page (never for logs)."""

    def __init__(self, text: str, *, permanent: bool, code: int | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.permanent = permanent
        self.code = code


def _header(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


def message_id(key: str, sender: str = DEFAULT_SENDER) -> str:
    """A Message-ID derived from the message's dedupe key (and the sender): every attempt
    to send the same message carries the same one, so a receiver can drop the copy sent
    again after a crash between the server's acceptance and our record of it."""
    digest = hashlib.sha256(f"{sender}\n{key}".encode()).hexdigest()[:40]
    domain = sender.rpartition("@")[2].strip(" <>") or "breachdesk.local"
    safe = "".join(ch for ch in domain if ch.isalnum() or ch in "-.") or "breachdesk.local"
    return f"<{digest}@{safe}>"


def build(mail: Mail) -> EmailMessage:
    """Plain text first, the HTML as its alternative, then the attachments."""
    message = EmailMessage()
    message["From"] = _header(mail.sender)
    message["To"] = ", ".join(_header(r) for r in mail.recipients)
    message["Subject"] = _header(mail.subject)
    message["Date"] = format_datetime(mail.date, usegmt=True)
    message["Message-ID"] = message_id(mail.key, mail.sender)
    if mail.reply_to:
        message["Reply-To"] = _header(mail.reply_to)
    message["X-Breachdesk-Key"] = _header(mail.key)
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    for item in mail.attachments:
        maintype, _slash, subtype = item.content_type.partition("/")
        message.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.name)
    return message


def _safe_name(key: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in key)[:180]


def write_eml(mail: Mail, folder: Path) -> Path:
    """Write the message as an .eml file; written to a temporary name, then renamed."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_safe_name(mail.key)}.eml"
    partial = path.with_suffix(".eml.part")
    partial.write_bytes(bytes(build(mail)))
    partial.replace(path)
    return path


class SmtpOptions(TypedDict, total=False):
    """The keyword arguments of ``aiosmtplib.send`` that BREACHDESK_SMTP_URL sets."""

    hostname: str
    port: int
    tls_context: ssl.SSLContext
    timeout: float
    use_tls: bool
    start_tls: bool | None
    username: str
    password: str


def smtp_options(url: str) -> SmtpOptions:
    """aiosmtplib options from BREACHDESK_SMTP_URL:

    - ``smtp://user:password@host:587``: STARTTLS whenever the server offers it;
      ``?starttls=required`` refuses to send without it;
    - ``smtps://host:465``: TLS from the start;
    - ``?cafile=/path/ca.pem``: trust this CA (a private mail relay)."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"}:
        raise ValueError("BREACHDESK_SMTP_URL must start with smtp:// or smtps://")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    context = ssl.create_default_context(cafile=query.get("cafile"))
    options: SmtpOptions = {
        "hostname": parts.hostname or "localhost",
        "tls_context": context,
        "timeout": 30,
    }
    if parts.scheme == "smtps":
        options["port"] = parts.port or 465
        options["use_tls"] = True
    else:
        options["port"] = parts.port or 587
        options["start_tls"] = True if query.get("starttls") == "required" else None
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    return options


# Refusals that say our settings or the server are wrong (greeting, HELO, login), not this
# message: they are retried, so fixing the settings sends every notice that waited.
_NOT_ABOUT_THE_MESSAGE = (
    aiosmtplib.SMTPConnectResponseError,
    aiosmtplib.SMTPHeloError,
    aiosmtplib.SMTPAuthenticationError,
)


def refusal(exc: aiosmtplib.SMTPException) -> DeliveryError:
    """What a refusal means for the next attempt: a 5xx reply to this message (its
    sender, its recipients, its content) is final; anything else (4xx, a dropped
    connection, a timeout, a refused login) is worth trying again."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        replies = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
        final = bool(codes) and all(code >= 500 for code in codes)
        return DeliveryError(
            f"recipients refused: {replies}"[:500], permanent=final, code=max(codes, default=None)
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        final = exc.code >= 500 and not isinstance(exc, _NOT_ABOUT_THE_MESSAGE)
        return DeliveryError(f"{exc.code} {exc.message}"[:500], permanent=final, code=exc.code)
    return DeliveryError(type(exc).__name__, permanent=False)


def send_smtp(mail: Mail, url: str) -> None:
    """Send one message over SMTP (aiosmtplib); raises :class:`DeliveryError` when the
    server does not take it. Called from the worker thread, which has no event loop of
    its own, so it runs one for the send; a caller that already runs an event loop in its
    thread gets the send done in a helper thread."""
    message = build(mail)
    options = smtp_options(url)

    def run() -> None:
        try:
            asyncio.run(aiosmtplib.send(message, **options))
        except aiosmtplib.SMTPException as exc:
            raise refusal(exc) from exc

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        run()
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run).result()


def deliver(mail: Mail, *, smtp_url: str | None, folder: Path) -> str:
    """Deliver one message; returns where it went."""
    if smtp_url:
        send_smtp(mail, smtp_url)
        return "smtp"
    return str(write_eml(mail, folder))
