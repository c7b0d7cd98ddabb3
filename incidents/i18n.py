"""Dutch and English for the interface: gettext catalogues (.po) read with Babel.

The language of a request lives in a context variable, set by the language middleware,
so templates, flash messages and form errors all translate without passing it around.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES: tuple[str, ...] = ("nl", "en")
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"

current_language: ContextVar[str] = ContextVar("current_language", default="nl")
# The time zone the pages of this request show times in (an officer's: its controller's);
# None: the instance's (BREACHDESK_TIMEZONE).
reader_zone: ContextVar[str | None] = ContextVar("reader_zone", default=None)


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of a language; English is the source language."""
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def gettext(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


def full_stop(text: str) -> str:
    """A sentence that ends in a name ends with one full stop, also when the name has its
    own ("… of Acme Retail B.V." rather than "B.V..")."""
    return text if text.endswith((".", "!", "?")) else text + "."


def _(message: str) -> str:
    return gettext(message)


def lazy(message: str) -> Callable[[], str]:
    """Mark a message for extraction without translating it yet."""
    return lambda: gettext(message)


def negotiate(accept_language: str | None, default: str) -> str:
    """Pick nl or en from an Accept-Language header, honouring q-values."""
    if not accept_language:
        return default
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for param in pieces[1:]:
            name, _sep, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else default
