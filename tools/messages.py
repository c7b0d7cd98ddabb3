"""Keep the Dutch catalogue in step with the code: `python tools/messages.py`.

Extracts every translatable message from incidents/, forms/, notify/ and templates/,
merges them into incidents/locale/nl/LC_MESSAGES/messages.po (new ones empty, gone ones
dropped) and lists the messages that still need a Dutch translation (exit status 1).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "incidents" / "locale" / "nl" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
METHOD_MAP = [
    ("incidents/**.py", "python"),
    ("forms/**.py", "python"),
    ("notify/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
OPTIONS = {"templates/**.html": JINJA_OPTIONS, "templates/**.txt": JINJA_OPTIONS}


def extract() -> Catalog:
    template = Catalog(project="breachdesk", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), METHOD_MAP, OPTIONS, keywords=KEYWORDS
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def load() -> Catalog:
    if PO_PATH.exists():
        with PO_PATH.open("rb") as handle:
            return read_po(handle, locale="nl")
    return Catalog(locale="nl", project="breachdesk", charset="utf-8")


def missing(catalog: Catalog, template: Catalog) -> list[str]:
    gaps = []
    for message in template:
        if not message.id:
            continue
        current = catalog.get(message.id)
        strings = current.string if current else None
        empty = not all(strings) if isinstance(strings, tuple | list) else not strings
        if current is None or empty or current.fuzzy:
            gaps.append(message.id if isinstance(message.id, str) else message.id[0])
    return gaps


def main() -> int:
    template = extract()
    catalog = load()
    catalog.update(template, no_fuzzy_matching=True)
    catalog.fuzzy = False
    PO_PATH.parent.mkdir(parents=True, exist_ok=True)
    with PO_PATH.open("wb") as handle:
        write_po(
            handle,
            catalog,
            omit_header=False,
            sort_output=True,
            no_location=True,
            ignore_obsolete=True,
            width=100,
        )
    gaps = missing(catalog, template)
    for gap in gaps:
        print(f"untranslated: {gap}")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
