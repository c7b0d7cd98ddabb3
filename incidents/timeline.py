"""The deadline timeline of one incident: what happened, what is owed, and a drawn axis."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from forms.values import instant_bounds
from incidents.i18n import current_language, ngettext
from incidents.i18n import gettext as _
from incidents.models import Incident, Notice, Organisation
from notify.obligations import LEGAL_BASIS, REGIME_BY_KEY, Obligation

T = TypeVar("T")
URGENT = timedelta(hours=6)
NOW_LABEL_ROOM = 48  # px the "now" label needs beside its line (Dutch "nu", English "now")


@dataclass
class Item:
    at: datetime | None
    kind: str  # event | duty
    title: str
    detail: str = ""
    obligation: Obligation | None = None
    controller: str | None = None
    # Items of one controller that many controllers share (a notice sent, a duty due):
    # what makes them alike, the title of several, and how many were put together.
    group: str = ""
    group_title: str = ""
    count: int = 1


# With more controllers than this, the timeline puts alike items of one minute together
# ("Notice sent to 600 controllers"), so a thousand controllers make a readable page.
GROUP_FROM = 10


def minute(at: datetime | None) -> datetime | None:
    """An instant to the minute: duties of many controllers due then are one row."""
    return at.replace(second=0, microsecond=0) if at else None


def alike(obligation: Obligation) -> tuple[str, datetime | None, str]:
    """What makes one controller's duty like another's on a page: the duty, its due
    minute and its state."""
    return (obligation.key, minute(obligation.due_at), obligation.status)


def together(rows: Iterable[T], key: Callable[[T], Hashable]) -> list[list[T]]:
    """The rows in groups of the same ``key``, each group where its first row stood."""
    groups: dict[Hashable, list[T]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return list(groups.values())


def grouped(items: list[Item], controllers: int) -> list[Item]:
    """The items, those alike in the same minute put together when there are many
    controllers; each group keeps its first item (its obligation) and counts the rest."""
    if controllers <= GROUP_FROM:
        return items
    out = []
    for group in together(items, lambda i: (i.group or id(i), minute(i.at))):
        first = group[0]
        if len(group) > 1:
            first.count = len(group)
            first.title = first.group_title % {"count": first.count}
            first.controller = None
        out.append(first)
    return out


def regime_label(obligation: Obligation | str) -> str:
    """The duty's name in the current language (from an obligation, its key, or the key of
    an act that is no duty of its own: DORA's classification as major)."""
    if obligation == "dora_classified":
        return _("Classification as a major ICT-related incident under DORA")
    regime = REGIME_BY_KEY[obligation] if isinstance(obligation, str) else obligation.regime
    return regime.label_nl if current_language.get() == "nl" else regime.label_en


def regime_basis(obligation: Obligation | str) -> str:
    """Where the duty is written, in the current language ("Art. 33(2) GDPR"; a NIS2 duty
    in the Netherlands names the Cyberbeveiligingswet that transposes it)."""
    key = obligation if isinstance(obligation, str) else obligation.key
    en, nl = LEGAL_BASIS[key]
    basis = nl if current_language.get() == "nl" else en
    if not isinstance(obligation, str) and obligation.law == "cyberbeveiligingswet":
        basis += " (Cyberbeveiligingswet)"
    return basis


def start_label(obligation: Obligation) -> str:
    """What starts a duty's clock, for a duty that has not started."""
    labels = {
        "notice_delivered": _("Starts when the notice is delivered"),
        "nis2_notification": _("Starts with the NIS2 notification"),
        "dora_classified": _("Starts when the incident is classified as major"),
        "dora_initial": _("Starts with the DORA initial notification"),
        "dora_intermediate": _("Starts with the last DORA intermediate report"),
    }
    return labels.get(obligation.regime.starts_at, _("Starts when we discover the breach"))


def countdown(obligation: Obligation, now: datetime) -> dict[str, Any]:
    """Remaining (or overdue) hours and minutes, and how urgent it is."""
    if obligation.status == "met":
        return {"state": "late" if obligation.late else "met", "text": ""}
    if obligation.status != "open" and obligation.status != "overdue":
        return {"state": obligation.status, "text": ""}
    if obligation.due_at is None:
        elapsed = now - obligation.starts_at if obligation.starts_at else timedelta(0)
        return {
            "state": "no_deadline",
            "text": _("%(span)s since it started") % {"span": span(elapsed)},
        }
    remaining = obligation.due_at - now
    if remaining < timedelta(0):
        return {"state": "overdue", "text": _("overdue by %(span)s") % {"span": span(-remaining)}}
    state = "urgent" if remaining < URGENT else "open"
    # Time left stays in hours: the deadlines themselves are stated in hours (72 h).
    return {"state": state, "text": _("%(span)s left") % {"span": _hours(remaining)}}


def _hours(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    return _("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60}


def span(delta: timedelta) -> str:
    """How late, or how long since: hours and minutes up to 48 hours, then days and hours
    ("3 days 4 h", never "76 h 00 min")."""
    hours = max(int(delta.total_seconds() // 3600), 0)
    if hours < 48:
        return _hours(delta)
    days, hour = divmod(hours, 24)
    return ngettext("%(num)d day %(hours)d h", "%(num)d days %(hours)d h", days) % {
        "num": days,
        "hours": hour,
    }


def build_items(
    incident: Incident,
    notices: list[tuple[Notice, Organisation]],
    obligations: list[Obligation],
    zone: Any,
    extra: Iterable[Item] = (),
) -> list[Item]:
    """Events and duties in time order; duties without a time come last. ``extra``: more
    events (the evidence files added)."""
    answers = incident.answers
    items: list[Item] = list(extra)
    for key, title in (
        ("occurred_on", _("The breach happened")),
        ("occurred_from", _("The breach started")),
    ):
        bounds = instant_bounds(answers.get(key), zone)
        if bounds:
            items.append(Item(bounds[0], "event", title))
    until = instant_bounds(answers.get("occurred_until"), zone)
    if until:
        items.append(
            Item(
                until[1] if len(answers["occurred_until"]) == 10 else until[0],
                "event",
                _("The breach ended"),
            )
        )
    if incident.discovered_at:
        items.append(Item(incident.discovered_at, "event", _("The processor became aware")))
    if incident.submitted_at:
        items.append(
            Item(incident.submitted_at, "event", _("Report submitted"), incident.reference or "")
        )
    names = {org.slug: org.name for _, org in notices}
    several = {
        "sent": _("Notice sent to %(count)s controllers"),
        "delivered": _("Notice delivered to %(count)s controllers"),
        "acknowledged": _("%(count)s controllers acknowledged the notice"),
        "withdrawn": _("Notice to %(count)s controllers withdrawn: not a breach after all"),
    }
    for notice, org in notices:
        moments = (
            ("sent", notice.sent_at, _("Notice sent to %(org)s")),
            ("delivered", notice.delivered_at, _("Notice delivered to %(org)s")),
            ("acknowledged", notice.acknowledged_at, _("%(org)s acknowledged the notice")),
            (
                "withdrawn",
                notice.withdrawn_at,
                _("Notice to %(org)s withdrawn: not a breach after all"),
            ),
        )
        items.extend(
            Item(at, "event", text % {"org": org.name}, group=group, group_title=several[group])
            for group, at, text in moments
            if at
        )
    some = _("%(count)s controllers")
    for obligation in obligations:
        if obligation.status in {"not_applicable", "pending"}:
            continue
        title = f"{regime_label(obligation)} · {names.get(obligation.controller, obligation.controller)}"
        alike = (
            f"{obligation.key}:{obligation.status}:{obligation.late}:{obligation.late_reason or ''}"
        )
        together = f"{regime_label(obligation)} · {some}"
        if (
            obligation.status == "met"
            and obligation.met_at
            and obligation.regime.met_by != "notice_delivered"
        ):
            items.append(
                Item(
                    obligation.met_at,
                    "event",
                    _("Done: %(duty)s") % {"duty": title},
                    obligation=obligation,
                    group="done:" + alike,
                    group_title=_("Done: %(duty)s")
                    % {"duty": together.replace("%(count)s", "%%(count)s")},
                )
            )
        if obligation.due_at or obligation.status != "met":
            items.append(
                Item(
                    obligation.due_at,
                    "duty",
                    title,
                    obligation=obligation,
                    controller=obligation.controller,
                    group="due:" + alike,
                    group_title=together,
                )
            )
    far = datetime.max.replace(tzinfo=incident.created_at.tzinfo)
    items.sort(key=lambda item: (item.at or far, item.kind))
    return grouped(items, len(notices))


def axis_svg(
    items: list[Item], now: datetime, width: int = 960, height: int = 96
) -> dict[str, Any]:
    """Positions for a drawn time axis: events as dots, due times as ticks, and now."""
    moments = [item.at for item in items if item.at is not None] + [now]
    start, end = min(moments), max(moments)
    if end - start < timedelta(hours=1):
        end = start + timedelta(hours=1)
    span = (end - start).total_seconds()
    margin = 24

    def x(moment: datetime) -> float:
        return round(margin + (moment - start).total_seconds() / span * (width - 2 * margin), 1)

    marks = []
    for item in items:
        if item.at is None:
            continue
        state = "event"
        if item.kind == "duty" and item.obligation is not None:
            state = (
                "late"
                if item.obligation.late
                else ("met" if item.obligation.status == "met" else "due")
            )
        marks.append({"x": x(item.at), "state": state, "title": item.title, "at": item.at})
    now_x = x(now)
    # The "now" label reads rightwards from its line, or leftwards near the right edge,
    # so that it is never cut off.
    near_edge = now_x > width - NOW_LABEL_ROOM
    return {
        "width": width,
        "height": height,
        "start": start,
        "end": end,
        "now_x": now_x,
        "now_label_x": now_x - 4 if near_edge else now_x + 4,
        "now_anchor": "end" if near_edge else "start",
        "marks": marks,
        "mid": height // 2,
    }
