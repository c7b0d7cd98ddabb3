"""The Jinja environment: autoescaping everywhere, gettext, dates in the local zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol, cast
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from forms import display
from forms.values import CORRECTION_NOTE_MAX, LETTER_MAX, TEXT_MAX
from forms.words import format_decimal, format_number
from incidents import authorities, i18n, jurisdiction, timeline
from incidents.settings import PROJECT_ROOT
from notify import assessment

TEMPLATE_DIR: Path = PROJECT_ROOT / "templates"


class _WithGettext(Protocol):
    """An environment with the i18n extension, which adds this method at run time
    (``Environment.extend``), out of sight of a type checker."""

    def install_gettext_callables(
        self,
        gettext: Callable[[str], str],
        ngettext: Callable[[str, str, int], str],
        newstyle: bool | None = None,
    ) -> None: ...


def format_datetime(value: datetime | None, zone: ZoneInfo, language: str | None = None) -> str:
    """'27 maart 2026, 10:00 CET': day, month name, year and 24-hour time in the zone."""
    if value is None:
        return ""
    return display.format_datetime(value, zone, language or i18n.current_language.get())


def role_label(role: str) -> str:
    labels = {
        "staff": i18n.gettext("Processor staff"),
        "officer": i18n.gettext("Privacy officer"),
        "admin": i18n.gettext("Administrator"),
    }
    return labels.get(role, role)


def zone_of_reader(default: ZoneInfo) -> ZoneInfo:
    """The zone this request's reader reads times in (i18n.reader_zone), or ``default``."""
    name = i18n.reader_zone.get()
    if not name or name == str(default):
        return default
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return default


def build_environment(zone: ZoneInfo, *, follow_reader: bool = False) -> Environment:
    """The templates' environment; its times are in ``zone``, or (``follow_reader``: the
    app's pages) in the zone of the request's reader."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    cast(_WithGettext, env).install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)

    def localtime(value: datetime | str | None) -> str:
        """A datetime, or an ISO 8601 instant as stored in JSON, in the local zone."""
        if isinstance(value, str):
            value = datetime.fromisoformat(value) if value else None
        return format_datetime(value, zone_of_reader(zone) if follow_reader else zone)

    env.filters["localtime"] = localtime
    env.filters["span"] = timeline.span
    # 485.000 in Dutch, 485,000 in English.
    env.filters["full_stop"] = i18n.full_stop
    env.filters["number"] = lambda value: format_number(value, i18n.current_language.get())
    env.filters["decimal"] = lambda value: format_decimal(value, i18n.current_language.get())
    env.globals["LANGUAGES"] = i18n.LANGUAGES
    env.globals["LANGUAGE_NAMES"] = i18n.LANGUAGE_NAMES
    env.globals["current_language"] = i18n.current_language.get
    env.globals["timezone_name"] = (
        (lambda: str(zone_of_reader(zone))) if follow_reader else (lambda: str(zone))
    )
    env.globals["role_label"] = role_label
    env.globals["LEVEL_LABELS"] = assessment.LEVEL_LABELS
    env.globals["FLAG_LABELS"] = assessment.FLAG_LABELS
    env.globals["countdown"] = timeline.countdown
    env.globals["regime_label"] = timeline.regime_label
    env.globals["regime_basis"] = timeline.regime_basis
    env.globals["start_label"] = timeline.start_label
    env.globals["text_max"] = TEXT_MAX
    env.globals["correction_note_max"] = CORRECTION_NOTE_MAX
    env.globals["country_options"] = jurisdiction.country_options
    env.globals["country_name"] = jurisdiction.country_name
    env.globals["clock_warnings"] = jurisdiction.clock_warnings
    env.globals["regime_names"] = jurisdiction.regime_names
    env.globals["authority_options"] = _authority_options
    env.globals["lead_authority"] = lambda org: authorities.lead_authority(
        org.country, org.authority
    )
    env.globals["letter_max"] = LETTER_MAX
    return env


def _authority_options(language: str) -> list[tuple[str, str]]:
    """The lead authority to choose: its country's own (empty), or any in the list."""
    return [("", i18n.gettext("The authority of its country")), *authorities.options(language)]
