"""Insight (issue 18): the figures of the statistics page, its CSV and the API, for the
incidents this principal may see (staff: all; an officer: its controller's), discovered in
a period and, optionally, affecting one controller.

- breaches per month (by the month of discovery, in the reader's zone), by cause and by
  kind of data (an incident counts once for each kind it involves);
- for each controller's notice, the hours from our discovery to its first sending: the
  median and the 90th percentile, and the share sent within its contract hours;
- the controllers' decisions: to notify the authority or not, to inform the persons or not
  (or not decided yet);
- the duties open now, by how long they have run.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median, quantiles
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import func
from sqlmodel import Session, col, select

from forms.questionnaire import QUESTIONS
from incidents import register, service, visibility
from incidents.i18n import gettext as _
from incidents.models import Incident, IncidentStatus, Notice, NoticeSend, Organisation
from incidents.principal import CurrentUser

CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    count: int


@dataclass
class Statistics:
    incidents: int = 0
    per_month: list[Bar] = field(default_factory=list)
    by_cause: list[Bar] = field(default_factory=list)
    by_data_type: list[Bar] = field(default_factory=list)
    notices_sent: int = 0
    hours_median: float | None = None
    hours_p90: float | None = None
    with_contract_hours: int = 0  # sent notices to controllers with contract hours
    on_time: int = 0  # ... of them sent within those hours
    notify: list[Bar] = field(default_factory=list)
    inform: list[Bar] = field(default_factory=list)
    open_by_age: list[Bar] = field(default_factory=list)

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.with_contract_hours if self.with_contract_hours else None

    def charts(self) -> list[tuple[str, str, list[Bar]]]:
        """The charts of the page, each as (key, title, bars)."""
        return [
            ("per_month", _("Breaches per month of discovery"), self.per_month),
            ("by_cause", _("Breaches by cause"), self.by_cause),
            ("by_data_type", _("Breaches by kind of data"), self.by_data_type),
            ("notify", _("Decisions: notify the supervisory authority"), self.notify),
            ("inform", _("Decisions: inform the persons concerned"), self.inform),
            ("open_by_age", _("Duties open now, by how long they have run"), self.open_by_age),
        ]

    def as_json(self) -> dict[str, Any]:
        bars = {key: {b.key: b.count for b in found} for key, _t, found in self.charts()}
        return {
            "incidents": self.incidents,
            **bars,
            "notices_sent": self.notices_sent,
            "hours_to_notice": {"median": self.hours_median, "p90": self.hours_p90},
            "on_time": {
                "with_contract_hours": self.with_contract_hours,
                "on_time": self.on_time,
                "share": self.on_time_share,
            },
        }

    def csv_rows(self) -> Iterable[tuple[str, str, str]]:
        """(figure, key, value) for each figure."""
        yield ("incidents", "", str(self.incidents))
        for key, _title, bars in self.charts():
            for bar in bars:
                yield (key, bar.key, str(bar.count))
        yield ("notices_sent", "", str(self.notices_sent))
        for name, value in (
            ("hours_to_notice_median", self.hours_median),
            ("hours_to_notice_p90", self.hours_p90),
            ("on_time_share", self.on_time_share),
        ):
            yield (name, "", "" if value is None else f"{value:.4g}")
        yield ("with_contract_hours", "", str(self.with_contract_hours))
        yield ("on_time", "", str(self.on_time))


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _labels(key: str, lang: str) -> dict[str, str]:
    return {o.value: o.label.get(lang) for o in QUESTIONS[key].options}


def _by_option(key: str, values: Iterable[str], lang: str) -> list[Bar]:
    """Counts of the options of a question, in the questionnaire's order (none left out)."""
    counted = Counter(values)
    return [Bar(value, label, counted[value]) for value, label in _labels(key, lang).items()]


def _percentile(hours: list[float], share: float) -> float | None:
    if not hours:
        return None
    if len(hours) == 1:
        return hours[0]
    return quantiles(hours, n=100, method="inclusive")[round(share * 100) - 1]


def compute(
    session: Session,
    user: CurrentUser,
    filters: register.Filters,
    *,
    zone: ZoneInfo,
    lang: str,
    now: datetime,
) -> Statistics:
    by_slug = service.controllers_by_slug(session)
    ids = register.controller_ids(by_slug)
    query = register.filtered_query(user, filters, ids).where(
        col(Incident.status) != IncidentStatus.draft, col(Incident.deleted_at).is_(None)
    )
    incidents = list(session.exec(query).all())
    found = Statistics(incidents=len(incidents))
    months = Counter(
        i.discovered_at.astimezone(zone).strftime("%Y-%m") for i in incidents if i.discovered_at
    )
    found.per_month = [
        Bar(month, format_date(datetime.strptime(month, "%Y-%m"), "LLLL yyyy", locale=lang), n)
        for month, n in sorted(months.items())
    ]
    found.by_cause = _by_option("cause", (str(i.answers.get("cause")) for i in incidents), lang)
    kinds = (str(t) for i in incidents for t in set(i.answers.get("data_types") or []))
    found.by_data_type = _by_option("data_types", kinds, lang)
    _notices(session, user, filters, incidents, found, lang)
    chosen = by_slug.get(filters.controller or "")
    _open_duties(session, user, chosen, {i.id for i in incidents}, found, now)
    return found


def _notices(
    session: Session,
    user: CurrentUser,
    filters: register.Filters,
    incidents: list[Incident],
    found: Statistics,
    lang: str,
) -> None:
    discovered = {i.id: i.discovered_at for i in incidents}
    pairs: list[tuple[Notice, Organisation]] = []
    for chunk in _chunks(list(discovered)):
        query = (
            select(Notice, Organisation)
            .join(Organisation, col(Organisation.id) == col(Notice.controller_id))
            .where(
                col(Notice.incident_id).in_(chunk),
                col(Notice.removed_at).is_(None),
                visibility.notice_clause(user),
            )
        )
        if filters.controller:
            query = query.where(col(Organisation.slug) == filters.controller)
        pairs += [(n, o) for n, o in session.exec(query).all()]
    first: dict[uuid.UUID, datetime] = {}
    for chunk in _chunks([n.id for n, _o in pairs]):
        sent = (
            select(NoticeSend.notice_id, func.min(NoticeSend.sent_at))
            .where(col(NoticeSend.notice_id).in_(chunk))
            .group_by(col(NoticeSend.notice_id))
        )
        first.update({notice_id: at for notice_id, at in session.execute(sent).all()})
    hours: list[float] = []
    for notice, org in pairs:
        start, sent_at = discovered.get(notice.incident_id), first.get(notice.id)
        if start is None or sent_at is None:
            continue
        elapsed = max(0.0, (sent_at - start).total_seconds() / 3600)
        hours.append(elapsed)
        if org.contract_hours is not None:
            found.with_contract_hours += 1
            found.on_time += elapsed <= org.contract_hours
    found.notices_sent = len(hours)
    found.hours_median = median(hours) if hours else None
    found.hours_p90 = _percentile(hours, 0.9)
    decisions = [n.decision or {} for n, _o in pairs if n.sent_at is not None]
    found.notify = _yes_no(decisions, "notify_authority", lang)
    found.inform = _yes_no(decisions, "inform_data_subjects", lang)


def _yes_no(decisions: list[dict[str, Any]], key: str, lang: str) -> list[Bar]:
    counted = Counter("undecided" if not d else "yes" if d.get(key) else "no" for d in decisions)
    labels = {"yes": _("Yes"), "no": _("No"), "undecided": _("Not decided yet")}
    return [Bar(k, label, counted[k]) for k, label in labels.items()]


AGES = ((24, "day"), (72, "three_days"), (168, "week"))


def _open_duties(
    session: Session,
    user: CurrentUser,
    controller: Organisation | None,
    incident_ids: set[uuid.UUID],
    found: Statistics,
    now: datetime,
) -> None:
    rows = service.open_obligations(
        session, user, controller_id=controller.id if controller else None, now=now
    )
    counted: Counter[str] = Counter()
    for incident, _org, obligation in rows:
        if incident.id not in incident_ids or obligation.starts_at is None:
            continue
        age = (now - obligation.starts_at).total_seconds() / 3600
        counted[next((name for limit, name in AGES if age < limit), "older")] += 1
    labels = {
        "day": _("Less than a day"),
        "three_days": _("1 to 3 days"),
        "week": _("3 to 7 days"),
        "older": _("More than a week"),
    }
    found.open_by_age = [Bar(k, label, counted[k]) for k, label in labels.items()]
