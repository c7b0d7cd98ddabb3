"""Reading a CSV file that people made in a spreadsheet (the controllers' import, each
controller's figures): the size, NUL bytes and an empty file refused at once; a byte-order
mark dropped; a comma, or the semicolon or tab a spreadsheet in another language writes;
the first line the column names; blank lines skipped; a line that is not CSV a problem
that names it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from incidents.errors import Invalid, Problem
from incidents.i18n import gettext as _


@dataclass
class Table:
    header: list[str]  # the column names, lower case
    rows: list[tuple[int, list[str]]]  # the lines that are not blank, with their numbers
    problems: list[Problem] = field(default_factory=list)  # a line that is not CSV


def read(text: str, max_bytes: int) -> Table:
    """The table of a CSV text; Invalid for a file too large, with NUL bytes, or empty."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        message = _("The file is larger than %(mb)s MB.") % {"mb": max_bytes // 1_000_000}
        raise Invalid([Problem("file", message)])
    if "\x00" in text:
        message = _("The file contains NUL characters: it is not a CSV text.")
        raise Invalid([Problem("file", message)])
    text = text.removeprefix("\ufeff")
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        message = _("The file is empty: the first line names the columns.")
        raise Invalid([Problem("file", message)])
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first), strict=True)
    table = Table([h.strip().lower() for h in next(reader)], [])
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                table.rows.append((reader.line_num, cells))
    except csv.Error as exc:
        message = _("Line {line} cannot be read as CSV: {error}").format(
            line=reader.line_num, error=str(exc)
        )
        table.problems.append(Problem("file", message))
    return table


def _delimiter(header: str) -> str:
    for candidate in (",", ";", "\t"):
        if candidate in header:
            return candidate
    return ","


# A spreadsheet runs a cell that starts with one of these: an export puts a ' before it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """A cell of an exported CSV that a spreadsheet shows as text, never runs."""
    return "'" + value if value[:1] in FORMULA_START else value
