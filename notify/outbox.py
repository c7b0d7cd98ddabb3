"""Delivering e-mail: over SMTP when BREACHDESK_SMTP_URL is set, otherwise as .eml files in
the outbox folder. The one place in notify/ that does I/O."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
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
    key: str  # unique per message; also the .eml file name
    recipients: Sequence[str]
    subject: str
    text: str
    html: str = ""
    sender: str = DEFAULT_SENDER
    attachments: Sequence[Attached] = field(default_factory=tuple)


def _header(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


def build(mail: Mail) -> EmailMessage:
    """Plain text first, the HTML as its alternative, then the attachments."""
    message = EmailMessage()
    message["From"] = _header(mail.sender)
    message["To"] = ", ".join(_header(r) for r in mail.recipients)
    message["Subject"] = _header(mail.subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="breachdesk.local")
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


def smtp_options(url: str) -> dict[str, object]:
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
    options: dict[str, object] = {
        "hostname": parts.hostname or "localhost",
        "tls_context": context,
        "timeout": 30,
    }
    if parts.scheme == "smtps":
        options.update(port=parts.port or 465, use_tls=True)
    else:
        required = query.get("starttls") == "required"
        options.update(port=parts.port or 587, start_tls=True if required else None)
    if parts.username:
        options.update(username=unquote(parts.username), password=unquote(parts.password or ""))
    return options


def send_smtp(mail: Mail, url: str) -> None:
    """Send one message over SMTP (aiosmtplib). Called from the worker thread, which has
    no event loop of its own, so it runs one for the send; a caller that already runs an
    event loop in its thread gets the send done in a helper thread."""
    message = build(mail)
    options = smtp_options(url)

    def run() -> None:
        asyncio.run(aiosmtplib.send(message, **options))  # type: ignore[arg-type]

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
