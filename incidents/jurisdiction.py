"""Where a controller is (issue 17): its country (ISO 3166 code) and time zone, the lists
they are chosen from, and the names people read. Every notice, e-mail, letter and report
for a controller is written in its zone (``documents.zone_of``) and language."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import available_timezones

from babel import Locale

from incidents.i18n import gettext as _
from notify.obligations import regime_hours

DEFAULT_COUNTRY = "NL"
DEFAULT_TIMEZONE = "Europe/Amsterdam"


@cache
def countries() -> frozenset[str]:
    """ISO 3166 country codes, from the time-zone database the app already ships."""
    table = resources.files("tzdata").joinpath("zoneinfo/iso3166.tab").read_text("utf-8")
    return frozenset(line[:2] for line in table.splitlines() if line and not line.startswith("#"))


@cache
def zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _zones_of() -> dict[str, tuple[str, ...]]:
    """The time zones of each country, as zone.tab lists them (one line per zone, the
    country's main zone first)."""
    table = resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text("utf-8")
    found: dict[str, list[str]] = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone = line.split("\t")[:3]
            found.setdefault(code, []).append(zone)
    return {code: tuple(names) for code, names in found.items()}


def zones_of(country: str) -> tuple[str, ...]:
    """The time zones of a country, the most common first where there are several."""
    return _zones_of().get(country, ())


def country_name(code: str, language: str) -> str:
    """The country's name in ``language`` ("Verenigd Koninkrijk", "United Kingdom")."""
    return str(Locale.parse(language).territories.get(code, code))


def country_options(language: str) -> list[tuple[str, str]]:
    """Every country as (code, name in ``language``), by name."""
    names = [(code, country_name(code, language)) for code in countries()]
    return sorted(names, key=lambda pair: pair[1].casefold())


def regime_names(org: Any) -> list[str]:
    """The regimes a controller is under, as people read them (the GDPR first)."""
    names = [_("UK GDPR") if org.country == "GB" else _("GDPR")]
    if org.nis2:
        names.append(_("NIS2 (Cyberbeveiligingswet)") if org.country == "NL" else _("NIS2"))
    if org.dora:
        names.append(_("DORA, without weekend relief") if org.dora_no_weekend_relief else _("DORA"))
    return names


def clock_warnings(contract_hours: int | None, nis2: bool, dora: bool = False) -> list[str]:
    """What an administrator should know of a controller's settings: the contract gives
    the processor more hours to tell it than the controller's own first clock (a NIS2
    entity's early warning to the CSIRT, a DORA entity's initial notification), so the
    controller could hear of a breach after its own first deadline."""
    if contract_hours is None:
        return []
    clocks = (
        (
            nis2,
            "nis2_early_warning",
            _(
                "The contract gives us %(ours)s hours to tell this controller, more than the "
                "%(first)s hours of its own early warning to the CSIRT under NIS2: agree on "
                "fewer hours, or tell it at once."
            ),
        ),
        (
            dora,
            "dora_initial",
            _(
                "The contract gives us %(ours)s hours to tell this controller, more than the "
                "%(first)s hours DORA gives it for its initial notification once it classifies "
                "an incident as major: agree on fewer hours, or tell it at once."
            ),
        ),
    )
    return [
        message % {"ours": contract_hours, "first": regime_hours(key)}
        for flagged, key, message in clocks
        if flagged and contract_hours > regime_hours(key)
    ]
