"""Each controller's own figures (issue 15): one breach of a shared system touches each
client's data differently. A notice keeps its controller's figures (the persons affected,
the records, the kinds of data) where they differ from the incident's totals; its notice,
report and assessment read the incident's answers with them applied. Without figures of
its own a controller reads the incident's, as before."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forms.answers import validate
from forms.questionnaire import QUESTIONS
from forms.values import CONTROL_CHARACTERS, Context, FieldError
from incidents import csvfile
from incidents.errors import Problem
from incidents.i18n import gettext as _

SCOPE_KEYS = ("affected_min", "affected_max", "records_approx", "data_types")
CSV_COLUMNS = ("slug", "affected_min", "affected_max", "records_approx")
MAX_CSV_BYTES = 2_000_000


def applied(answers: Mapping[str, Any], scope: Mapping[str, Any] | None) -> dict[str, Any]:
    """The answers as one controller reads them: its own figures in place of the totals,
    and no answer to a question that its own kinds of data no longer ask (special
    categories when they are not among them)."""
    if not scope:
        return dict(answers)
    merged = {**answers, **{k: v for k, v in scope.items() if k in SCOPE_KEYS}}
    return {k: v for k, v in merged.items() if k not in QUESTIONS or QUESTIONS[k].applies(merged)}


def check(
    answers: Mapping[str, Any], values: Mapping[str, Any], ctx: Context
) -> tuple[dict[str, Any], list[FieldError]]:
    """A controller's new figures, canonical, or their problems. ``values`` has some of
    SCOPE_KEYS; a key given None (or left out) takes the incident's figure."""
    errors = [FieldError(str(k)[:80], "unknown_key") for k in values if k not in SCOPE_KEYS]
    given = {k: v for k, v in values.items() if k in SCOPE_KEYS and v is not None}
    merged = {**answers, **given}
    result = validate(merged, ctx, complete=False, strict=True, only=SCOPE_KEYS)
    errors += [e for e in result.errors if e.field.split("-")[0] in SCOPE_KEYS]
    if errors:
        return {}, errors
    own = {k: result.answers[k] for k in SCOPE_KEYS if k in given and k in result.answers}
    return own, []


def read_csv(text: str) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """The figures per controller slug from a CSV (``slug,affected_min,affected_max,
    records_approx``; an empty cell takes the incident's figure), or every problem of the
    file's form; the figures themselves are checked per controller by :func:`check`."""
    table = csvfile.read(text, MAX_CSV_BYTES)
    if "slug" not in table.header or any(h not in CSV_COLUMNS for h in table.header):
        message = _("The first line names the columns: {columns}.")
        return {}, [Problem("file", message.format(columns=", ".join(CSV_COLUMNS)))]
    problems = list(table.problems)
    rows: dict[str, dict[str, Any]] = {}
    for line, cells in table.rows:
        if len(cells) != len(table.header) or any(CONTROL_CHARACTERS.search(c) for c in cells):
            problems.append(Problem(f"line {line}", _("the cells do not match the first line")))
            continue
        row = {h: c.strip() for h, c in zip(table.header, cells, strict=True)}
        slug = row.pop("slug").lower()
        if slug in rows:
            message = _("{slug} is on an earlier line").format(slug=slug)
            problems.append(Problem(f"line {line}: slug", message))
            continue
        rows[slug] = {k: (v or None) for k, v in row.items()} | {"line": line}
    return rows, problems
