"""Delivering e-mail: over SMTP when BREACHDESK_SMTP_URL is set, otherwise as .eml files in
the outbox folder. The one place in notify/ that does I/O."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_SENDER = "breachdesk@localhost"


@dataclass(frozen=True)
class Mail:
    key: str  # unique per message; also the .eml file name
    recipients: Sequence[str]
    subject: str
    text: str
    html: str = ""
    sender: str = DEFAULT_SENDER


def build(mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.recipients)
    message["Subject"] = mail.subject.replace("\r", " ").replace("\n", " ")
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="breachdesk.local")
    message["X-Breachdesk-Key"] = mail.key
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
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


def send_smtp(mail: Mail, url: str, timeout: float = 30) -> None:
    """smtp://user:password@host:587 (STARTTLS when offered) or smtps://host:465."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    context = ssl.create_default_context()
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, parts.port or 465, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(host, parts.port or 587, timeout=timeout)
    with client:
        client.ehlo()
        if parts.scheme != "smtps" and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(build(mail))


def deliver(mail: Mail, *, smtp_url: str | None, folder: Path) -> str:
    """Deliver one message; returns where it went."""
    if smtp_url:
        send_smtp(mail, smtp_url)
        return "smtp"
    return str(write_eml(mail, folder))
