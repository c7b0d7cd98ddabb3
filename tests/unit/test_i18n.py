"""The Dutch catalogue is complete and the language negotiation is right."""

from __future__ import annotations

import pytest

from incidents.i18n import current_language, gettext, negotiate, ngettext
from tools.messages import extract, load, missing


def test_every_message_has_a_dutch_translation() -> None:
    gaps = missing(load(), extract())
    assert gaps == [], f"run `make messages` and translate: {gaps}"


def test_translations_keep_their_placeholders() -> None:
    import re

    catalog = load()
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)[sd]|\{\w+\}", " ".join(ids)))
        for string in strings:
            assert set(re.findall(r"%\(\w+\)[sd]|\{\w+\}", string)) == wanted, message.id


def test_gettext_follows_the_request_language() -> None:
    token = current_language.set("nl")
    try:
        assert gettext("Log in") == "Inloggen"
        assert ngettext("%(num)d hour", "%(num)d hours", 24) == "%(num)d uur"
    finally:
        current_language.reset(token)
    token = current_language.set("en")
    try:
        assert gettext("Log in") == "Log in"
    finally:
        current_language.reset(token)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "nl"),
        ("", "nl"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("de-DE,de;q=0.9,en;q=0.8,nl;q=0.7", "en"),
        ("fr,nl;q=0.2,en;q=0.1", "nl"),
        ("en;q=0,nl", "nl"),
        ("de", "nl"),
        ("en;q=abc,nl;q=0.5", "nl"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert negotiate(header, "nl") == expected


def test_a_sentence_ending_in_a_name_has_one_full_stop() -> None:
    from incidents.i18n import full_stop

    assert full_stop("The breaches that affect Acme Retail B.V.") == (
        "The breaches that affect Acme Retail B.V."
    )
    assert full_stop("The breaches that affect Northwind Ltd") == (
        "The breaches that affect Northwind Ltd."
    )
