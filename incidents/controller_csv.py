"""Controllers in bulk (issue 15): a CSV of controllers read and checked row by row, then
applied all or nothing (created, or updated by slug); the same CSV written back, so that an
export imported again changes nothing. The command line, the admin page and the API call
these functions; each problem names its line and column.

Columns (the header row names them, in any order; ``slug`` and ``name`` are required):
slug, name, language, country, timezone, contract_hours, emails, nis2, dora,
dora_no_weekend_relief, authority, groups. Several e-mail addresses or groups are separated
by ``;``. A column left out keeps what an existing controller has (a new one gets the
default); an empty ``language``, ``country`` or ``timezone`` cell does the same, while an
empty ``contract_hours``, ``emails``, flag (``nis2``, ``dora``, ``dora_no_weekend_relief``),
``authority`` or ``groups`` cell means none (no contract hours, no address, no, the
country's own authority, no group)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from forms.values import CONTROL_CHARACTERS
from incidents import audit, csvfile
from incidents.accounts import (
    REGIME_FLAGS,
    SLUG_RE,
    InputError,
    check_controller_settings,
    check_name,
    parse_emails,
    read_authority,
    read_hours,
    read_regimes,
)
from incidents.csvfile import FORMULA_START
from incidents.errors import Conflict, Invalid, Problem
from incidents.i18n import gettext as _
from incidents.jurisdiction import countries, zones, zones_of
from incidents.models import Organisation, OrgKind

COLUMNS = (
    "slug",
    "name",
    "language",
    "country",
    "timezone",
    "contract_hours",
    "emails",
    "nis2",
    "dora",
    "dora_no_weekend_relief",
    "authority",
    "groups",
)
MAX_BYTES = 5_000_000  # about 25,000 controllers with long names
MAX_ROWS = 20_000
MAX_CELL = 2_000
MAX_GROUP = 64
YES = {"yes", "y", "true", "1", "ja", "j"}
NO = {"no", "n", "false", "0", "nee", ""}
FLAGS = REGIME_FLAGS  # yes/no columns: nis2, dora, dora_no_weekend_relief
SETTINGS = (
    "name", "language", "country", "timezone", "contract_hours", "emails", *FLAGS, "authority",
    "groups",
)  # fmt: skip
DEFAULTS: dict[str, Any] = {"language": "nl", "country": "NL", "timezone": "Europe/Amsterdam"}


@dataclass(frozen=True)
class Row:
    """One controller as the file gives it; None: the column is not in the file."""

    line: int
    slug: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Change:
    slug: str
    name: str
    action: str  # "create", "update" or "unchanged"
    fields: tuple[str, ...] = ()  # what an update changes
    values: dict[str, Any] = field(default_factory=dict)  # the settings after the import


@dataclass(frozen=True)
class Plan:
    changes: list[Change]
    invited: int = 0  # addresses invited as officers (when the import asked for it)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def digest(self) -> str:
        """What the import will do, in one value: the admin page's confirmation checks
        that nothing changed between the preview and the import."""
        body = [(c.slug, c.action, c.values) for c in self.changes]
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    def summary(self) -> dict[str, int]:
        return {a: self.count(a) for a in ("create", "update", "unchanged")}


# --- reading ---------------------------------------------------------------------------


def read(text: str) -> list[Row]:
    """The rows of a CSV text, each checked; InputError lists every problem of the file."""
    try:
        table = csvfile.read(text, MAX_BYTES)
    except Invalid as exc:
        raise InputError(exc.problems) from exc
    header_problems = _check_header(table.header)
    if header_problems:
        raise InputError(header_problems)
    problems: list[Problem] = list(table.problems)
    if len(table.rows) > MAX_ROWS:
        problems.append(
            Problem("file", _("At most {max} controllers per file.").format(max=MAX_ROWS))
        )
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for number, cells in table.rows[:MAX_ROWS]:
        row = _row(number, table.header, cells, problems)
        if row is None:
            continue
        if row.slug in seen:
            message = _("{slug} is on line {line} already").format(
                slug=row.slug, line=seen[row.slug]
            )
            problems.append(_at(number, "slug", message))
            continue
        seen[row.slug] = number
        rows.append(row)
    if problems:
        raise InputError(problems)
    return rows


def _check_header(header: list[str]) -> list[Problem]:
    problems = []
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        problems.append(
            Problem(
                "header",
                _("Unknown columns: {names}. The columns are: {columns}.").format(
                    names=", ".join(unknown), columns=", ".join(COLUMNS)
                ),
            )
        )
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        problems.append(
            Problem("header", _("Columns named twice: {names}.").format(names=", ".join(twice)))
        )
    missing = [c for c in ("slug", "name") if c not in header]
    if missing:
        problems.append(
            Problem(
                "header",
                _("The first line must name the columns; missing: {names}.").format(
                    names=", ".join(missing)
                ),
            )
        )
    return problems


def _at(line: int, column: str, message: str) -> Problem:
    return Problem(f"line {line}: {column}", message)


def _cell(value: str) -> str:
    value = value.strip()
    if value[:1] == "'" and value[1:2] in FORMULA_START:
        value = value[1:]  # as the export wrote it
    return value


def _row(line: int, header: list[str], cells: list[str], problems: list[Problem]) -> Row | None:
    if len(cells) != len(header):
        problems.append(
            _at(
                line,
                "line",
                _("{found} cells where the first line names {wanted} columns").format(
                    found=len(cells), wanted=len(header)
                ),
            )
        )
        return None
    raw = {name: _cell(value) for name, value in zip(header, cells, strict=True)}
    found: list[Problem] = []
    for name, value in raw.items():
        if len(value) > MAX_CELL or CONTROL_CHARACTERS.search(value):
            found.append(
                _at(
                    line,
                    name,
                    _("at most {max} characters, no control characters").format(max=MAX_CELL),
                )
            )
    if found:
        problems.extend(found)
        return None
    slug = raw["slug"].lower()
    if not SLUG_RE.match(slug):
        found.append(_at(line, "slug", _("use 1-64 lower-case letters, digits and dashes")))
    values: dict[str, Any] = {}
    named: list[Problem] = []
    check_name(raw["name"], named)
    values["name"] = raw["name"]
    if raw.get("language"):
        values["language"] = raw["language"].lower()
    if raw.get("country"):
        values["country"] = raw["country"].upper()
        if values["country"] not in countries():
            found.append(_at(line, "country", _("not an ISO 3166 country code, like NL or GB")))
    if raw.get("timezone"):
        values["timezone"] = raw["timezone"]
        if raw["timezone"] not in zones():
            found.append(
                _at(line, "timezone", _("not a time zone, like Europe/Amsterdam or Europe/London"))
            )
    settings: list[Problem] = []
    if "contract_hours" in raw:
        values["contract_hours"] = read_hours(raw["contract_hours"], settings)
    if "emails" in raw:
        values["emails"] = parse_emails(raw["emails"])
    for name in FLAGS:
        if name in raw:
            flag = raw[name].lower()
            if flag not in YES | NO:
                found.append(_at(line, name, _("write yes or no")))
            values[name] = flag in YES
    if "authority" in raw:
        values["authority"] = read_authority(raw["authority"], settings)
    if "groups" in raw:
        groups = sorted({g.strip() for g in raw["groups"].split(";") if g.strip()}, key=str.lower)
        if any(len(g) > MAX_GROUP for g in groups):
            found.append(
                _at(
                    line,
                    "groups",
                    _("a group name has at most {max} characters").format(max=MAX_GROUP),
                )
            )
        values["groups"] = groups
    settings += check_controller_settings(
        values.get("contract_hours"), values.get("language", "nl"), values.get("emails", [])
    )
    found += [_at(line, p.field or "line", p.message) for p in named + settings]
    if found:
        problems.extend(found)
        return None
    return Row(line, slug, values)


# --- planning and applying -------------------------------------------------------------


def current(org: Organisation) -> dict[str, Any]:
    """A controller's settings as the CSV names them."""
    return {
        "name": org.name,
        "language": org.language,
        "country": org.country,
        "timezone": org.timezone,
        "contract_hours": org.contract_hours,
        "emails": list(org.notification_emails),
        **{flag: bool(getattr(org, flag)) for flag in FLAGS},
        "authority": org.authority,
        "groups": list(org.groups),
    }


def plan(session: Session, rows: Iterable[Row]) -> Plan:
    """What importing the rows would do, against the organisations as they are now."""
    existing = {o.slug: o for o in session.exec(select(Organisation)).all()}
    problems: list[Problem] = []
    changes: list[Change] = []
    for row in rows:
        org = existing.get(row.slug)
        if org is not None and org.kind != OrgKind.controller:
            problems.append(
                _at(
                    row.line,
                    "slug",
                    _("{slug} is the processor, not a controller").format(slug=row.slug),
                )
            )
            continue
        before = (
            current(org)
            if org is not None
            else {
                **dict.fromkeys(SETTINGS), **DEFAULTS, **dict.fromkeys(FLAGS, False),
                "emails": [], "authority": "", "groups": [],
            }
        )  # fmt: skip
        after = {**before, **row.values}
        _place_defaults(after, before, row.values, new=org is None)
        flagged: list[Problem] = []
        read_regimes([flag for flag in FLAGS if after[flag]], flagged)
        if flagged:  # without weekend relief, but not under DORA
            problems += [_at(row.line, p.field or "line", p.message) for p in flagged]
            continue
        if org is None:
            changes.append(Change(row.slug, after["name"], "create", SETTINGS, after))
            continue
        changed = tuple(k for k in SETTINGS if before[k] != after[k])
        action = "update" if changed else "unchanged"
        changes.append(Change(row.slug, after["name"], action, changed, after))
    if problems:
        raise InputError(problems)
    return Plan(changes)


def apply(
    session: Session, rows: list[Row], *, actor_id: int | None, expected: str | None = None
) -> Plan:
    """Import the rows in this transaction, all or nothing. Imports take turns (the
    processor's row is locked first), so two at once never both create one controller.
    ``expected``: the digest of the plan the person confirmed; Conflict when the
    organisations changed meanwhile and the import would now do something else."""
    session.exec(
        select(Organisation).where(Organisation.kind == OrgKind.processor).with_for_update()
    ).first()
    found = plan(session, rows)
    if expected is not None and found.digest != expected:
        raise Conflict(
            _(
                "The organisations changed since the preview: check the new preview and import again."
            )
        )
    by_slug = {o.slug: o for o in session.exec(select(Organisation)).all()}
    for change in found.changes:
        if change.action == "unchanged":
            continue
        org = by_slug.get(change.slug) or Organisation(
            slug=change.slug, name=change.name, kind=OrgKind.controller
        )
        _set(org, change.values)
        session.add(org)
        session.flush()
        action = "organisation.created" if change.action == "create" else "organisation.updated"
        fields = [] if change.action == "create" else list(change.fields)
        audit.record(
            session, action, actor_id=actor_id, organisation_id=org.id, via="import", fields=fields
        )
    counts = found.summary()
    audit.record(
        session,
        "organisations.imported",
        actor_id=actor_id,
        created=counts["create"],
        updated=counts["update"],
        unchanged=counts["unchanged"],
    )
    return found


def _place_defaults(
    after: dict[str, Any], before: dict[str, Any], given: dict[str, Any], *, new: bool
) -> None:
    """A country given without a time zone brings its main zone (a new controller, or one
    that moves and kept its old zone); a new controller without a language gets Dutch in
    the Netherlands and English elsewhere."""
    country = after["country"]
    moved = new or country != before["country"]
    if "country" in given and "timezone" not in given and moved and zones_of(country):
        after["timezone"] = zones_of(country)[0]
    if new and "language" not in given:
        after["language"] = "nl" if country == "NL" else "en"


def _set(org: Organisation, values: dict[str, Any]) -> None:
    org.name, org.language = values["name"], values["language"]
    org.country, org.timezone = values["country"], values["timezone"]
    org.contract_hours, org.notification_emails = values["contract_hours"], list(values["emails"])
    org.nis2, org.dora = values["nis2"], values["dora"]
    org.dora_no_weekend_relief, org.authority = (
        values["dora_no_weekend_relief"],
        values["authority"],
    )
    org.groups = list(values["groups"])


# --- writing -----------------------------------------------------------------------------


def controllers(session: Session) -> list[Organisation]:
    query = select(Organisation).where(Organisation.kind == OrgKind.controller)
    return sorted(session.exec(query).all(), key=lambda o: o.slug)


def as_json(org: Organisation) -> dict[str, Any]:
    """A controller for the API: its settings, and its regimes as one list."""
    return {"slug": org.slug, **current(org), "regimes": [f for f in FLAGS if getattr(org, f)]}


def to_csv(orgs: Iterable[Organisation]) -> str:
    """The controllers as the import reads them (an export imported again changes nothing)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for org in orgs:
        values = as_json(org)
        writer.writerow(
            [
                _safe(values["slug"]),
                _safe(values["name"]),
                values["language"],
                values["country"],
                values["timezone"],
                "" if values["contract_hours"] is None else values["contract_hours"],
                _safe(";".join(values["emails"])),
                *("yes" if values[flag] else "no" for flag in FLAGS),
                values["authority"],
                _safe(";".join(values["groups"])),
            ]
        )
    return out.getvalue()


_safe = csvfile.safe_cell
