"""The data-protection supervisory authorities a breach may be notified to, as data: one
national authority for each EU and EEA state, and the United Kingdom's ICO; and who is the
lead, who is concerned and whom a controller notifies of a personal-data breach.

Countries are ISO 3166-1 alpha-2 codes: Greece is "GR" here (the EU's own lists write "EL").
Nothing here touches the database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from incidents.jurisdiction import country_name
from notify.obligations import EEA, EU

__all__ = [
    "AUTHORITIES",
    "EEA",
    "EU",
    "Authority",
    "by_key",
    "concerned",
    "lead_authority",
    "of_country",
    "options",
    "to_notify",
    "without_eu_establishment",
]

# EU and EEA (where the GDPR applies) are the engine's: one list of member states.


@dataclass(frozen=True)
class Authority:
    """A supervisory authority. Two authorities are equal when their key, country, short
    name and addresses are; ``names`` takes no part in equality or hashing."""

    key: str  # lower case, "<cc>_<short>": "nl_ap", "gb_ico"
    country: str  # ISO 3166-1 alpha-2, upper case
    short: str  # the usual abbreviation: "AP", "ICO", "CNIL"
    names: Mapping[str, str] = field(compare=False)  # language -> official name, "en" always
    website: str  # https URL of its home page
    notification_page: str  # https URL of its page for notifying a personal-data breach

    def __post_init__(self) -> None:
        # A read-only copy, so that the shared data cannot be changed by a caller.
        object.__setattr__(self, "names", MappingProxyType(dict(self.names)))

    def name(self, language: str) -> str:
        """The official name in ``language`` ("nl", or "nl_BE" / "nl-BE" for the same),
        else in English."""
        if language in self.names:
            return self.names[language]
        base = language.replace("-", "_").split("_", 1)[0].lower()
        return self.names.get(base, self.names["en"])


_ALL: tuple[Authority, ...] = (
    Authority(
        key="at_dsb",
        country="AT",
        short="DSB",
        names={"de": "Datenschutzbehörde", "en": "Austrian Data Protection Authority"},
        website="https://www.dsb.gv.at/",
        notification_page="https://dsb.gv.at/eingabe-an-die-dsb/-meldung-data-breach",
    ),
    Authority(
        key="be_apd",
        country="BE",
        short="APD-GBA",
        names={
            "nl": "Gegevensbeschermingsautoriteit",
            "fr": "Autorité de protection des données",
            "de": "Datenschutzbehörde",
            "en": "Belgian Data Protection Authority",
        },
        website="https://www.gegevensbeschermingsautoriteit.be/",
        notification_page=(
            "https://www.gegevensbeschermingsautoriteit.be/meldformulier-voor-gegevenslekken"
        ),
    ),
    Authority(
        key="bg_cpdp",
        country="BG",
        short="CPDP",
        names={
            "bg": "Комисия за защита на личните данни",
            "en": "Commission for Personal Data Protection",
        },
        website="https://www.cpdp.bg/",
        notification_page="https://www.cpdp.bg/",
    ),
    Authority(
        key="cy_cpdp",
        country="CY",
        short="CPDP",
        names={
            "el": "Γραφείο Επιτρόπου Προστασίας Δεδομένων Προσωπικού Χαρακτήρα",
            "en": "Office of the Commissioner for Personal Data Protection",
        },
        website="https://www.dataprotection.gov.cy/",
        notification_page="https://www.dataprotection.gov.cy/",
    ),
    Authority(
        key="cz_uoou",
        country="CZ",
        short="ÚOOÚ",
        names={
            "cs": "Úřad pro ochranu osobních údajů",
            "en": "Office for Personal Data Protection",
        },
        website="https://uoou.gov.cz/",
        notification_page="https://uoou.gov.cz/",
    ),
    # Germany: the Federal Commissioner supervises federal public bodies and some sectors
    # (telecommunications, postal services). The data-protection authorities of the Länder
    # are competent for most private bodies and for the Länder's public bodies; they are
    # not yet listed here.
    Authority(
        key="de_bfdi",
        country="DE",
        short="BfDI",
        names={
            "de": "Bundesbeauftragte für den Datenschutz und die Informationsfreiheit",
            "en": "Federal Commissioner for Data Protection and Freedom of Information",
        },
        website="https://www.bfdi.bund.de/",
        notification_page="https://www.bfdi.bund.de/",
    ),
    Authority(
        key="dk_datatilsynet",
        country="DK",
        short="Datatilsynet",
        names={"da": "Datatilsynet", "en": "Danish Data Protection Agency"},
        website="https://www.datatilsynet.dk/",
        notification_page="https://www.datatilsynet.dk/sikkerhedsbrud/anmeld-sikkerhedsbrud",
    ),
    Authority(
        key="ee_aki",
        country="EE",
        short="AKI",
        names={"et": "Andmekaitse Inspektsioon", "en": "Estonian Data Protection Inspectorate"},
        website="https://www.aki.ee/",
        notification_page="https://www.aki.ee/",
    ),
    Authority(
        key="es_aepd",
        country="ES",
        short="AEPD",
        names={
            "es": "Agencia Española de Protección de Datos",
            "en": "Spanish Data Protection Agency",
        },
        website="https://www.aepd.es/",
        notification_page=(
            "https://www.aepd.es/derechos-y-deberes/cumple-tus-deberes/medidas-de-cumplimiento/"
            "brechas-de-datos-personales-notificacion"
        ),
    ),
    Authority(
        key="fi_tsv",
        country="FI",
        short="TSV",
        names={
            "fi": "Tietosuojavaltuutetun toimisto",
            "sv": "Dataombudsmannens byrå",
            "en": "Office of the Data Protection Ombudsman",
        },
        website="https://tietosuoja.fi/",
        notification_page="https://tietosuoja.fi/ilmoitus-tietoturvaloukkauksesta",
    ),
    Authority(
        key="fr_cnil",
        country="FR",
        short="CNIL",
        names={
            "fr": "Commission nationale de l'informatique et des libertés",
            "en": "French Data Protection Authority",
        },
        website="https://www.cnil.fr/",
        notification_page="https://notifications.cnil.fr/notifications/index",
    ),
    # The United Kingdom: UK GDPR, not the GDPR. (The Data (Use and Access) Act 2025 is to
    # replace the ICO by an "Information Commission".)
    Authority(
        key="gb_ico",
        country="GB",
        short="ICO",
        names={
            "en": "Information Commissioner's Office",
            "cy": "Swyddfa'r Comisiynydd Gwybodaeth",
        },
        website="https://ico.org.uk/",
        notification_page="https://ico.org.uk/for-organisations/report-a-breach/",
    ),
    Authority(
        key="gr_hdpa",
        country="GR",
        short="HDPA",
        names={
            "el": "Αρχή Προστασίας Δεδομένων Προσωπικού Χαρακτήρα",
            "en": "Hellenic Data Protection Authority",
        },
        website="https://www.dpa.gr/",
        notification_page="https://www.dpa.gr/en/Organisations/Data_Breach_notification/Submission",
    ),
    Authority(
        key="hr_azop",
        country="HR",
        short="AZOP",
        names={
            "hr": "Agencija za zaštitu osobnih podataka",
            "en": "Croatian Personal Data Protection Agency",
        },
        website="https://azop.hr/",
        notification_page="https://azop.hr/",
    ),
    Authority(
        key="hu_naih",
        country="HU",
        short="NAIH",
        names={
            "hu": "Nemzeti Adatvédelmi és Információszabadság Hatóság",
            "en": "Hungarian National Authority for Data Protection and Freedom of Information",
        },
        website="https://naih.hu/",
        notification_page="https://naih.hu/",
    ),
    Authority(
        key="ie_dpc",
        country="IE",
        short="DPC",
        names={"en": "Data Protection Commission", "ga": "An Coimisiún um Chosaint Sonraí"},
        website="https://www.dataprotection.ie/",
        notification_page="https://forms.dataprotection.ie/report-a-breach-of-personal-data",
    ),
    Authority(
        key="is_personuvernd",
        country="IS",
        short="Persónuvernd",
        names={"is": "Persónuvernd", "en": "Icelandic Data Protection Authority"},
        website="https://www.personuvernd.is/",
        notification_page="https://www.personuvernd.is/",
    ),
    Authority(
        key="it_garante",
        country="IT",
        short="Garante",
        names={
            "it": "Garante per la protezione dei dati personali",
            "en": "Italian Data Protection Authority",
        },
        website="https://www.garanteprivacy.it/",
        # The Garante's online services, where a breach is notified (its only channel).
        notification_page="https://servizi.gpdp.it/",
    ),
    Authority(
        key="li_dss",
        country="LI",
        short="DSS",
        names={"de": "Datenschutzstelle", "en": "Data Protection Authority of Liechtenstein"},
        website="https://www.datenschutzstelle.li/",
        notification_page="https://www.datenschutzstelle.li/",
    ),
    Authority(
        key="lt_vdai",
        country="LT",
        short="VDAI",
        names={
            "lt": "Valstybinė duomenų apsaugos inspekcija",
            "en": "State Data Protection Inspectorate",
        },
        website="https://vdai.lrv.lt/",
        notification_page="https://vdai.lrv.lt/",
    ),
    # Luxembourg: no Luxembourgish name is listed (none found to be in official use).
    Authority(
        key="lu_cnpd",
        country="LU",
        short="CNPD",
        names={
            "fr": "Commission nationale pour la protection des données",
            "de": "Nationale Kommission für den Datenschutz",
            "en": "National Commission for Data Protection",
        },
        website="https://cnpd.public.lu/",
        notification_page=(
            "https://cnpd.public.lu/en/professionnels/obligations/violation-de-donnees/"
            "violation-donnees-rgpd.html"
        ),
    ),
    Authority(
        key="lv_dvi",
        country="LV",
        short="DVI",
        names={"lv": "Datu valsts inspekcija", "en": "Data State Inspectorate"},
        website="https://www.dvi.gov.lv/",
        notification_page="https://www.dvi.gov.lv/",
    ),
    Authority(
        key="mt_idpc",
        country="MT",
        short="IDPC",
        names={
            "mt": "Kummissarju għall-Informazzjoni u l-Protezzjoni tad-Data",
            "en": "Information and Data Protection Commissioner",
        },
        website="https://idpc.org.mt/",
        notification_page="https://idpc.org.mt/",
    ),
    Authority(
        key="nl_ap",
        country="NL",
        short="AP",
        names={"nl": "Autoriteit Persoonsgegevens", "en": "Dutch Data Protection Authority"},
        website="https://www.autoriteitpersoonsgegevens.nl/",
        notification_page=(
            "https://www.autoriteitpersoonsgegevens.nl/en/themes/security/data-breaches/"
            "reporting-a-data-breach"
        ),
    ),
    Authority(
        key="no_datatilsynet",
        country="NO",
        short="Datatilsynet",
        names={
            "nb": "Datatilsynet",
            "nn": "Datatilsynet",
            "en": "Norwegian Data Protection Authority",
        },
        website="https://www.datatilsynet.no/",
        notification_page=(
            "https://www.datatilsynet.no/rettigheter-og-plikter/virksomhetenes-plikter/"
            "avvikshandtering/meld-avvik-til-datatilsynet/"
        ),
    ),
    Authority(
        key="pl_uodo",
        country="PL",
        short="UODO",
        names={
            "pl": "Prezes Urzędu Ochrony Danych Osobowych",
            "en": "President of the Personal Data Protection Office",
        },
        website="https://uodo.gov.pl/",
        notification_page="https://uodo.gov.pl/",
    ),
    Authority(
        key="pt_cnpd",
        country="PT",
        short="CNPD",
        names={
            "pt": "Comissão Nacional de Proteção de Dados",
            "en": "National Data Protection Commission",
        },
        website="https://www.cnpd.pt/",
        notification_page="https://www.cnpd.pt/",
    ),
    Authority(
        key="ro_anspdcp",
        country="RO",
        short="ANSPDCP",
        names={
            "ro": "Autoritatea Națională de Supraveghere a Prelucrării Datelor cu Caracter "
            "Personal",
            "en": "National Supervisory Authority for Personal Data Processing",
        },
        website="https://www.dataprotection.ro/",
        notification_page="https://www.dataprotection.ro/",
    ),
    Authority(
        key="se_imy",
        country="SE",
        short="IMY",
        names={
            "sv": "Integritetsskyddsmyndigheten",
            "en": "Swedish Authority for Privacy Protection",
        },
        website="https://www.imy.se/",
        notification_page=(
            "https://www.imy.se/en/organisations/forms-and-e-services/"
            "notification-of-a-personal-data-breach/"
        ),
    ),
    Authority(
        key="si_ip",
        country="SI",
        short="IP",
        names={
            "sl": "Informacijski pooblaščenec",
            "en": "Information Commissioner of the Republic of Slovenia",
        },
        website="https://www.ip-rs.si/",
        notification_page="https://www.ip-rs.si/",
    ),
    Authority(
        key="sk_uoou",
        country="SK",
        short="ÚOOÚ SR",
        names={
            "sk": "Úrad na ochranu osobných údajov Slovenskej republiky",
            "en": "Office for Personal Data Protection of the Slovak Republic",
        },
        website="https://dataprotection.gov.sk/",
        notification_page="https://dataprotection.gov.sk/",
    ),
)

AUTHORITIES: tuple[Authority, ...] = tuple(sorted(_ALL, key=lambda a: a.country))
"""Every authority, by country code."""

_BY_KEY: Mapping[str, Authority] = MappingProxyType({a.key: a for a in AUTHORITIES})
_BY_COUNTRY: Mapping[str, Authority] = MappingProxyType({a.country: a for a in AUTHORITIES})


def _code(country: str) -> str:
    return country.strip().upper()


def by_key(key: str) -> Authority | None:
    """The authority with this key ("nl_ap"), or None."""
    return _BY_KEY.get(key)


def of_country(country: str) -> Authority | None:
    """The national authority of a country ("NL"), or None for a country without one here
    ("US", "CH")."""
    return _BY_COUNTRY.get(_code(country))


def options(language: str) -> list[tuple[str, str]]:
    """Every authority as (key, "Name (Country)") in ``language``, by that text, for a list
    to choose from."""
    shown = [
        (a.key, f"{a.name(language)} ({country_name(a.country, language)})") for a in AUTHORITIES
    ]
    return sorted(shown, key=lambda pair: pair[1].casefold())


def lead_authority(country: str, chosen: str | None) -> Authority | None:
    """The lead authority of a controller in ``country``: the chosen one when ``chosen`` is
    a known key, else the country's own (None when there is neither)."""
    found = by_key(chosen) if chosen else None
    return found if found is not None else of_country(country)


def _eea_authorities(countries: Iterable[str]) -> list[Authority]:
    """The authorities of the EEA states among ``countries``, once each, by country code;
    codes of other or unknown countries are ignored."""
    found = {_code(c) for c in countries}
    return [a for a in AUTHORITIES if a.country in found and a.country in EEA]


def concerned(country: str, lead: Authority | None, countries: Iterable[str]) -> list[Authority]:
    """The other authorities concerned by an incident whose affected persons live in
    ``countries`` (the EU/EEA states of the questionnaire): the authorities of those
    states, without the lead's own (the controller's country's own when there is no lead)
    and without duplicates, by country code. Unknown and non-EEA codes are ignored."""
    own = lead if lead is not None else of_country(country)
    return [a for a in _eea_authorities(countries) if own is None or a.key != own.key]


def without_eu_establishment(country: str) -> bool:
    """Whether a controller in ``country`` has no establishment in the EU/EEA ("GB", "US",
    "CH"), judged by its country.

    Such a controller has no lead authority under the one-stop-shop mechanism, and the
    presence of a representative in a member state does not give it one: per the EDPB
    Guidelines 9/2022 on personal data breach notification under GDPR (version 2.0,
    paragraph 73), it must notify a breach to the supervisory authority of every member
    state where affected persons live."""
    return _code(country) not in EEA


def to_notify(country: str, lead: Authority | None, countries: Iterable[str]) -> list[Authority]:
    """The authorities a controller in ``country`` notifies of a breach whose affected
    persons live in ``countries``.

    With an EU/EEA establishment: the lead alone (none when there is no lead). Without one
    (see ``without_eu_establishment``): the lead when it is an authority outside the EEA
    (for a controller in GB, the ICO under the UK GDPR), then the authority of every EEA
    state in ``countries``, by country code, each once. A lead inside the EEA does not
    count as such for that controller: its state is notified only if persons there are
    affected."""
    if not without_eu_establishment(country):
        return [lead] if lead is not None else []
    first = [lead] if lead is not None and lead.country not in EEA else []
    return first + [a for a in _eea_authorities(countries) if a not in first]
