"""The supervisory authorities as data: one for each EU/EEA state and the ICO, the lead,
the concerned ones and whom a controller notifies of a breach (no database)."""

from __future__ import annotations

from collections import Counter

import pytest

from incidents.authorities import (
    AUTHORITIES,
    EEA,
    EU,
    Authority,
    by_key,
    concerned,
    lead_authority,
    of_country,
    options,
    to_notify,
    without_eu_establishment,
)


def authority(key: str) -> Authority:
    found = by_key(key)
    assert found is not None, key
    return found


def test_the_eu_has_27_states_and_the_eea_adds_three() -> None:
    assert len(EU) == 27
    assert EEA.issuperset(EU)
    assert EEA.difference(EU) == {"IS", "LI", "NO"}
    assert "GR" in EU and "EL" not in EU


def test_every_eea_state_has_exactly_one_authority_and_gb_has_the_ico() -> None:
    per_country = Counter(a.country for a in AUTHORITIES)
    for code in EEA:
        assert per_country[code] == 1, code
    assert set(per_country) == EEA | {"GB"}
    assert of_country("GB") == authority("gb_ico")
    assert authority("gb_ico").short == "ICO"
    assert authority("gb_ico").name("en") == "Information Commissioner's Office"


def test_authorities_are_ordered_by_country_and_keys_are_unique() -> None:
    countries = [a.country for a in AUTHORITIES]
    assert countries == sorted(countries)
    assert len({a.key for a in AUTHORITIES}) == len(AUTHORITIES)


@pytest.mark.parametrize("item", AUTHORITIES, ids=lambda a: a.key)
def test_each_authority_is_well_formed(item: Authority) -> None:
    assert item.key == item.key.lower()
    assert item.key.startswith(item.country.lower() + "_")
    assert item.country == item.country.upper() and len(item.country) == 2
    assert item.short
    assert item.website.startswith("https://")
    assert item.notification_page.startswith("https://")
    assert item.names.get("en")
    assert all(item.names.values())
    assert by_key(item.key) is item


def test_names_by_language_with_english_as_fallback() -> None:
    ap = authority("nl_ap")
    assert ap.name("nl") == "Autoriteit Persoonsgegevens"
    assert ap.name("en") == "Dutch Data Protection Authority"
    assert ap.name("fr") == "Dutch Data Protection Authority"
    assert ap.name("nl_BE") == "Autoriteit Persoonsgegevens"
    assert authority("fr_cnil").name("fr") == (
        "Commission nationale de l'informatique et des libertés"
    )
    assert set(authority("be_apd").names) >= {"nl", "fr", "de", "en"}
    assert set(authority("fi_tsv").names) >= {"fi", "sv", "en"}
    assert set(authority("ie_dpc").names) >= {"en", "ga"}
    assert set(authority("mt_idpc").names) >= {"mt", "en"}


def test_names_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        authority("nl_ap").names["nl"] = "x"  # type: ignore[index]


def test_known_keys_and_countries() -> None:
    assert authority("de_bfdi").country == "DE"
    assert authority("ie_dpc").notification_page == (
        "https://forms.dataprotection.ie/report-a-breach-of-personal-data"
    )
    assert by_key("xx_none") is None
    assert of_country("NL") == authority("nl_ap")
    assert of_country("nl") == authority("nl_ap")
    assert of_country("US") is None
    assert of_country("CH") is None


def test_options_in_dutch() -> None:
    found = options("nl")
    assert len(found) == len(AUTHORITIES)
    shown = dict(found)
    assert "nl_ap" in shown
    assert shown["nl_ap"] == "Autoriteit Persoonsgegevens (Nederland)"
    assert shown["gb_ico"] == "Information Commissioner's Office (Verenigd Koninkrijk)"
    texts = [text for _key, text in found]
    assert texts == sorted(texts, key=str.casefold)


def test_lead_authority_default_chosen_and_unknown() -> None:
    assert lead_authority("NL", None) == authority("nl_ap")
    assert lead_authority("NL", "") == authority("nl_ap")
    assert lead_authority("NL", "ie_dpc") == authority("ie_dpc")
    assert lead_authority("NL", "xx_unknown") == authority("nl_ap")
    assert lead_authority("US", None) is None
    assert lead_authority("US", "xx_unknown") is None
    assert lead_authority("US", "ie_dpc") == authority("ie_dpc")


def test_concerned_are_the_other_authorities_of_the_persons_countries() -> None:
    ap = authority("nl_ap")
    found = concerned("NL", ap, ["DE", "NL", "BE"])
    assert found == [authority("be_apd"), authority("de_bfdi")]


def test_concerned_without_duplicates_and_unknown_codes() -> None:
    ap = authority("nl_ap")
    found = concerned("NL", ap, ["FR", "fr", "XX", "US", "", "BE", "FR"])
    assert found == [authority("be_apd"), authority("fr_cnil")]
    assert concerned("NL", ap, []) == []
    assert concerned("NL", ap, ["NL"]) == []


def test_without_eu_establishment() -> None:
    assert without_eu_establishment("GB") is True
    assert without_eu_establishment("US") is True
    assert without_eu_establishment("CH") is True
    assert without_eu_establishment("NL") is False
    assert without_eu_establishment("NO") is False


def test_to_notify_with_an_eu_establishment_is_the_lead_alone() -> None:
    ap = authority("nl_ap")
    assert to_notify("NL", ap, ["BE", "DE", "NL"]) == [ap]
    assert to_notify("NL", None, ["BE"]) == []


def test_to_notify_from_gb_is_the_ico_then_every_eea_authority_of_the_persons() -> None:
    ico = authority("gb_ico")
    found = to_notify("GB", ico, ["IE", "FR"])
    assert found == [ico, authority("fr_cnil"), authority("ie_dpc")]
    assert to_notify("GB", ico, ["IE", "IE", "GB", "XX"]) == [ico, authority("ie_dpc")]


def test_to_notify_without_an_eu_establishment_ignores_an_eea_lead() -> None:
    dpc = authority("ie_dpc")
    assert to_notify("US", dpc, ["FR"]) == [authority("fr_cnil")]
    assert to_notify("US", dpc, ["IE", "FR"]) == [authority("fr_cnil"), dpc]
    assert to_notify("US", None, ["NO", "DE"]) == [
        authority("de_bfdi"),
        authority("no_datatilsynet"),
    ]
