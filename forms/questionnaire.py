"""The breach questionnaire (../shared/spec/questionnaire.md) as data.

One definition drives the step pages, "check your answers", the API validation, and the
labels in documents. Keys and option values are the contract; wording is ours.
Conditions (*show if*) are small pure functions of the answers so far.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal[
    "controllers",
    "text",
    "textarea",
    "integer",
    "single",
    "multi",
    "datetime",
    "email",
    "phone",
    "countries",
]
Answers = Mapping[str, Any]


@dataclass(frozen=True)
class Text:
    """A text in both interface languages."""

    en: str
    nl: str

    def get(self, language: str) -> str:
        return self.nl if language == "nl" else self.en


@dataclass(frozen=True)
class Option:
    value: str
    label: Text


@dataclass(frozen=True)
class Question:
    key: str
    kind: Kind
    label: Text
    hint: Text | None = None
    options: tuple[Option, ...] = ()
    required: bool = True
    show_if: ShowIf | None = None
    condition: Text | None = None  # the show-if rule in words, for errors and documents
    max_length: int = 10_000
    exclusive: str | None = None  # an option that must stand alone ("unknown")
    day_only_allowed: bool = False  # a date without a time means the whole day
    # How a message names the question where its label leans on the one before ("On").
    named: Text | None = None

    @property
    def name(self) -> Text:
        return self.named or self.label

    def applies(self, answers: Answers) -> bool:
        return self.show_if is None or bool(self.show_if(answers))

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)


@dataclass(frozen=True)
class Step:
    key: str
    number: int
    title: Text
    questions: tuple[Question, ...]
    intro: Text | None = None
    task: Text | None = None  # task-list name, starting with a verb

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(q.key for q in self.questions)


def _o(value: str, en: str, nl: str) -> Option:
    return Option(value, Text(en, nl))


YES_NO_UNKNOWN = (
    _o("yes", "Yes", "Ja"),
    _o("no", "No", "Nee"),
    _o("unknown", "Not known yet", "Nog niet bekend"),
)
YES_NO = (_o("yes", "Yes", "Ja"), _o("no", "No", "Nee"))


# --- show-if conditions (pure functions of the answers) -------------------------------


@dataclass(frozen=True)
class ShowIf:
    """Ask a question only when the answer to ``depends_on`` is, or includes, one of
    ``values`` (the page script reads both to show and hide it)."""

    depends_on: str
    values: tuple[str, ...]

    def __call__(self, answers: Answers) -> bool:
        current = answers.get(self.depends_on)
        items = current if isinstance(current, list | tuple) else [current]
        return any(value in items for value in self.values)


def _has(key: str, value: str) -> ShowIf:
    return ShowIf(key, (value,))


def _any_of(key: str, *values: str) -> ShowIf:
    return ShowIf(key, values)


occurred_on_applies = _has("occurred_kind", "on")
occurred_between_applies = _has("occurred_kind", "between")
integrity_applies = _has("nature", "altered")
availability_applies = _any_of("nature", "deleted", "stolen")
special_categories_apply = _has("data_types", "special")
data_types_other_applies = _has("data_types", "other")
encryption_details_apply = _any_of("encrypted", "yes", "partly")
consequences_other_applies = _has("consequences", "other")
cause_other_applies = _has("cause", "other")
countries_apply = _has("other_eu_countries", "yes")


# --- EU/EEA states (ISO 3166-1 alpha-2) ------------------------------------------------

EU_EEA_COUNTRIES: dict[str, Text] = {
    "AT": Text("Austria", "Oostenrijk"),
    "BE": Text("Belgium", "België"),
    "BG": Text("Bulgaria", "Bulgarije"),
    "HR": Text("Croatia", "Kroatië"),
    "CY": Text("Cyprus", "Cyprus"),
    "CZ": Text("Czechia", "Tsjechië"),
    "DK": Text("Denmark", "Denemarken"),
    "EE": Text("Estonia", "Estland"),
    "FI": Text("Finland", "Finland"),
    "FR": Text("France", "Frankrijk"),
    "DE": Text("Germany", "Duitsland"),
    "GR": Text("Greece", "Griekenland"),
    "HU": Text("Hungary", "Hongarije"),
    "IE": Text("Ireland", "Ierland"),
    "IT": Text("Italy", "Italië"),
    "LV": Text("Latvia", "Letland"),
    "LT": Text("Lithuania", "Litouwen"),
    "LU": Text("Luxembourg", "Luxemburg"),
    "MT": Text("Malta", "Malta"),
    "NL": Text("Netherlands", "Nederland"),
    "PL": Text("Poland", "Polen"),
    "PT": Text("Portugal", "Portugal"),
    "RO": Text("Romania", "Roemenië"),
    "SK": Text("Slovakia", "Slowakije"),
    "SI": Text("Slovenia", "Slovenië"),
    "ES": Text("Spain", "Spanje"),
    "SE": Text("Sweden", "Zweden"),
    "IS": Text("Iceland", "IJsland"),
    "LI": Text("Liechtenstein", "Liechtenstein"),
    "NO": Text("Norway", "Noorwegen"),
}


# --- the steps -------------------------------------------------------------------------

STEPS: tuple[Step, ...] = (
    Step(
        key="controllers",
        number=0,
        title=Text("Affected controllers", "Betrokken verwerkingsverantwoordelijken"),
        task=Text(
            "Choose the affected controllers", "Kies de betrokken verwerkingsverantwoordelijken"
        ),
        intro=Text(
            "Each controller whose data is involved gets its own notice and its own deadline.",
            "Elke verwerkingsverantwoordelijke van wie gegevens betrokken zijn krijgt een eigen melding en een eigen termijn.",
        ),
        questions=(
            Question(
                "controllers",
                "controllers",
                Text(
                    "Which controllers are affected?",
                    "Welke verwerkingsverantwoordelijken zijn betrokken?",
                ),
                hint=Text("Select all that apply.", "Selecteer alle die van toepassing zijn."),
            ),
        ),
    ),
    Step(
        key="incident",
        number=1,
        title=Text("The incident", "Het incident"),
        task=Text("Describe the incident", "Beschrijf het incident"),
        questions=(
            Question(
                "summary",
                "textarea",
                Text("Summary of the incident", "Samenvatting van het incident"),
                hint=Text(
                    "What happened, which systems are involved and how it was found.",
                    "Wat is er gebeurd, welke systemen zijn betrokken en hoe is het ontdekt.",
                ),
            ),
            Question(
                "cause",
                "single",
                Text("Cause", "Oorzaak"),
                options=(
                    _o(
                        "hacking_malware_phishing",
                        "Hacking, malware or phishing",
                        "Hacking, malware of phishing",
                    ),
                    _o(
                        "lost_stolen_device_or_paper",
                        "Lost or stolen device or paper",
                        "Verloren of gestolen apparaat of papier",
                    ),
                    _o(
                        "misdirected_mail_or_email",
                        "Mail or e-mail sent to the wrong recipient",
                        "Post of e-mail naar de verkeerde ontvanger",
                    ),
                    _o("published_by_mistake", "Published by mistake", "Per ongeluk gepubliceerd"),
                    _o(
                        "unauthorised_access_by_staff",
                        "Unauthorised access by staff",
                        "Onbevoegde toegang door medewerkers",
                    ),
                    _o(
                        "system_or_software_error",
                        "System or software error",
                        "Systeem- of softwarefout",
                    ),
                    _o("other", "Other", "Anders"),
                    _o("unknown", "Not known yet", "Nog niet bekend"),
                ),
            ),
            Question(
                "cause_other",
                "textarea",
                Text("Other cause, namely", "Andere oorzaak, namelijk"),
                show_if=cause_other_applies,
                condition=Text("when the cause is another one", "als de oorzaak een andere is"),
            ),
            Question(
                "ongoing",
                "single",
                Text("Is the breach still ongoing?", "Is het lek nog gaande?"),
                options=YES_NO_UNKNOWN,
            ),
        ),
    ),
    Step(
        key="persons",
        number=2,
        title=Text("Affected persons", "Betrokkenen"),
        task=Text("Describe the affected persons", "Beschrijf de betrokkenen"),
        questions=(
            Question(
                "affected_min",
                "integer",
                Text("Minimum number of persons", "Minimaal aantal betrokkenen"),
                hint=Text("Your best lower estimate.", "Uw beste schatting naar beneden."),
            ),
            Question(
                "affected_max",
                "integer",
                Text("Maximum number of persons", "Maximaal aantal betrokkenen"),
                hint=Text("Your best upper estimate.", "Uw beste schatting naar boven."),
            ),
            Question(
                "affected_group",
                "textarea",
                Text("Describe the group of persons", "Omschrijf de groep mensen"),
                hint=Text(
                    "For example: employees, applicants, customers, pupils.",
                    "Bijvoorbeeld: medewerkers, sollicitanten, klanten, leerlingen.",
                ),
            ),
            Question(
                "records_approx",
                "integer",
                Text("Approximate number of records", "Geschat aantal records"),
                required=False,
            ),
            Question(
                "vulnerable_subjects",
                "single",
                Text(
                    "Are vulnerable persons involved (e.g. children, patients)?",
                    "Gaat het om kwetsbare personen (bijv. kinderen, patiënten)?",
                ),
                options=YES_NO_UNKNOWN,
            ),
        ),
    ),
    Step(
        key="when",
        number=3,
        title=Text("When", "Tijdlijn"),
        task=Text("Give the dates", "Geef de data"),
        questions=(
            Question(
                "occurred_kind",
                "single",
                Text("When did the breach happen?", "Wanneer vond de inbreuk plaats?"),
                options=(
                    _o("on", "On the following date", "Op de volgende datum"),
                    _o("between", "Between the following dates", "Tussen de volgende data"),
                    _o("unknown", "Not known yet", "Nog niet bekend"),
                ),
            ),
            Question(
                "occurred_on",
                "datetime",
                Text("On", "Op"),
                named=Text("Date of the breach", "Datum van de inbreuk"),
                show_if=occurred_on_applies,
                condition=Text(
                    "when the breach happened on one date", "als de inbreuk op één datum plaatsvond"
                ),
                day_only_allowed=True,
            ),
            Question(
                "occurred_from",
                "datetime",
                Text("From", "Van"),
                named=Text("Start of the breach", "Begin van de inbreuk"),
                show_if=occurred_between_applies,
                condition=Text(
                    "when the breach happened between two dates",
                    "als de inbreuk tussen twee data plaatsvond",
                ),
                day_only_allowed=True,
            ),
            Question(
                "occurred_until",
                "datetime",
                Text("Until", "Tot en met"),
                named=Text("End of the breach", "Einde van de inbreuk"),
                show_if=occurred_between_applies,
                condition=Text(
                    "when the breach happened between two dates",
                    "als de inbreuk tussen twee data plaatsvond",
                ),
                day_only_allowed=True,
            ),
            Question(
                "discovered_at",
                "datetime",
                Text("When did you become aware of it?", "Wanneer heeft u het lek ontdekt?"),
                hint=Text(
                    "Your deadlines count from this moment.", "Uw termijnen lopen vanaf dit moment."
                ),
            ),
        ),
    ),
    Step(
        key="nature",
        number=4,
        title=Text("Nature of the breach", "Aard van de inbreuk"),
        task=Text("Describe the nature of the breach", "Beschrijf de aard van de inbreuk"),
        questions=(
            Question(
                "nature",
                "multi",
                Text(
                    "What happened to the data, by persons who had no right to it?",
                    "Wat is er met de gegevens gebeurd, door personen die hiertoe geen recht hadden?",
                ),
                hint=Text("Select all that apply.", "Selecteer alle die van toepassing zijn."),
                options=(
                    _o("read", "Read", "Gelezen"),
                    _o("copied", "Copied", "Gekopieerd"),
                    _o("altered", "Altered", "Veranderd"),
                    _o("deleted", "Deleted or destroyed", "Verwijderd of vernietigd"),
                    _o("stolen", "Stolen", "Gestolen"),
                    _o("unknown", "Not known yet", "Nog niet bekend"),
                ),
                exclusive="unknown",
            ),
            Question(
                "recipients",
                "single",
                Text(
                    "Who has (or may have) seen the data?", "Wie heeft de gegevens (kunnen) zien?"
                ),
                options=(
                    _o("none_known", "Nobody known", "Niemand bekend"),
                    _o(
                        "trusted",
                        "A known, trusted recipient who has deleted the data",
                        "Een bekende, betrouwbare ontvanger die de gegevens heeft verwijderd",
                    ),
                    _o("known", "A known number of recipients", "Een bekend aantal ontvangers"),
                    _o("unknown", "An unknown number of recipients", "Onbekend aantal ontvangers"),
                ),
            ),
            Question(
                "malicious",
                "single",
                Text("Was it deliberate or malicious?", "Was er opzet of kwade trouw?"),
                options=YES_NO_UNKNOWN,
            ),
            Question(
                "integrity_recoverable",
                "single",
                Text(
                    "Can the altered data be restored?",
                    "Kunnen de veranderde gegevens worden hersteld?",
                ),
                options=YES_NO,
                show_if=integrity_applies,
                condition=Text("when data were altered", "als gegevens zijn veranderd"),
            ),
            Question(
                "availability_loss",
                "single",
                Text("Loss of availability", "Verlies van beschikbaarheid"),
                options=(
                    _o("restored_easily", "Restored without difficulty", "Eenvoudig hersteld"),
                    _o("temporary", "Temporarily unavailable", "Tijdelijk niet beschikbaar"),
                    _o("permanent", "Permanently lost", "Blijvend verloren"),
                ),
                show_if=availability_applies,
                condition=Text(
                    "when data were deleted or stolen", "als gegevens zijn verwijderd of gestolen"
                ),
            ),
        ),
    ),
    Step(
        key="data",
        number=5,
        title=Text("Personal data", "Persoonsgegevens"),
        task=Text("Describe the personal data", "Beschrijf de persoonsgegevens"),
        questions=(
            Question(
                "data_types",
                "multi",
                Text(
                    "Which kinds of personal data are involved?",
                    "Om welke soorten persoonsgegevens gaat het?",
                ),
                hint=Text("Select all that apply.", "Selecteer alle die van toepassing zijn."),
                options=(
                    _o(
                        "name_address",
                        "Name and address details",
                        "Naam-, adres- en woonplaatsgegevens",
                    ),
                    _o("phone", "Phone numbers", "Telefoonnummers"),
                    _o(
                        "email",
                        "E-mail or other electronic addresses",
                        "E-mailadressen of andere adressen voor elektronische communicatie",
                    ),
                    _o(
                        "credentials",
                        "Access or identification data (e.g. passwords)",
                        "Toegangs- of identificatiegegevens",
                    ),
                    _o("financial", "Financial data", "Financiële gegevens"),
                    _o(
                        "bsn",
                        "Citizen service numbers (BSN) or tax numbers",
                        "Burgerservicenummers (BSN) of sofinummers",
                    ),
                    _o(
                        "id_copy",
                        "Copies of passports or other identity documents",
                        "Paspoortkopieën of kopieën van andere legitimatiebewijzen",
                    ),
                    _o(
                        "sex_birthdate_age",
                        "Sex, date of birth and/or age",
                        "Geslacht, geboortedatum en/of leeftijd",
                    ),
                    _o(
                        "special",
                        "Special categories of personal data",
                        "Bijzondere persoonsgegevens",
                    ),
                    _o("other", "Other data", "Overige gegevens"),
                ),
            ),
            Question(
                "special_categories",
                "multi",
                Text("Which special categories?", "Welke bijzondere persoonsgegevens?"),
                options=(
                    _o("race_ethnicity", "Racial or ethnic origin", "Ras of etniciteit"),
                    _o("political", "Political opinions", "Politieke opvattingen"),
                    _o("religion", "Religion or belief", "Religie of levensovertuiging"),
                    _o("trade_union", "Trade-union membership", "Vakbondslidmaatschap"),
                    _o(
                        "sex_life",
                        "Sex life or sexual orientation",
                        "Seksueel leven of seksuele gerichtheid",
                    ),
                    _o("health", "Health", "Gezondheid"),
                    _o("genetic", "Genetic data", "Genetische gegevens"),
                    _o("biometric", "Biometric data", "Biometrische gegevens"),
                    _o(
                        "criminal", "Criminal convictions and offences", "Strafrechtelijke gegevens"
                    ),
                ),
                show_if=special_categories_apply,
                condition=Text(
                    "when special categories are involved",
                    "als het om bijzondere persoonsgegevens gaat",
                ),
            ),
            Question(
                "data_types_other",
                "textarea",
                Text("Other data, namely", "Overige gegevens, namelijk"),
                show_if=data_types_other_applies,
                condition=Text("when other data are involved", "als het om overige gegevens gaat"),
            ),
            Question(
                "identifiability",
                "single",
                Text(
                    "How easily can the persons be identified?",
                    "Hoe makkelijk zijn de personen te identificeren?",
                ),
                options=(
                    _o("negligible", "Practically impossible", "Vrijwel onmogelijk"),
                    _o("limited", "With limited effort", "Met beperkte moeite"),
                    _o("significant", "With some effort", "Met enige moeite"),
                    _o(
                        "maximum",
                        "Directly (e.g. full name with date of birth or e-mail)",
                        "Direct (bijv. volledige naam met geboortedatum of e-mail)",
                    ),
                ),
            ),
            Question(
                "sensitive_context",
                "single",
                Text(
                    "Does the context reveal more than the data itself (e.g. customers of a pharmacy or an addiction clinic)?",
                    "Verraadt de context meer dan de gegevens zelf (bijv. klanten van een apotheek of verslavingszorg)?",
                ),
                options=YES_NO,
            ),
            Question(
                "extensive_volume",
                "single",
                Text(
                    "A large volume per person (e.g. a year of transactions, a full file)?",
                    "Gaat het per persoon om veel gegevens (bijv. een jaar aan transacties, een volledig dossier)?",
                ),
                options=YES_NO,
            ),
            Question(
                "public_or_invalid",
                "single",
                Text(
                    "Were the data already public, or known to be invalid or expired?",
                    "Waren de gegevens al openbaar of aantoonbaar onjuist of verlopen?",
                ),
                options=YES_NO,
            ),
        ),
    ),
    Step(
        key="protection",
        number=6,
        title=Text("Protection", "Beveiliging"),
        task=Text("Describe the protection", "Beschrijf de beveiliging"),
        questions=(
            Question(
                "encrypted",
                "single",
                Text(
                    "Were the personal data encrypted, hashed or otherwise made unintelligible or inaccessible to unauthorised persons?",
                    "Zijn de persoonsgegevens versleuteld, gehasht of op een andere manier onbegrijpelijk of ontoegankelijk gemaakt voor onbevoegden?",
                ),
                options=(
                    _o("yes", "Yes", "Ja"),
                    _o("no", "No", "Nee"),
                    _o("partly", "Partly", "Deels"),
                ),
            ),
            Question(
                "encryption_details",
                "textarea",
                Text(
                    "How? For encryption, explain the method.",
                    "Op welke manier? Licht bij encryptie de wijze van versleutelen toe.",
                ),
                show_if=encryption_details_apply,
                condition=Text(
                    "when the data were (partly) protected",
                    "als de gegevens (deels) beveiligd waren",
                ),
            ),
            Question(
                "key_compromised",
                "single",
                Text(
                    "Was the key (or password) compromised too?",
                    "Is de sleutel (of het wachtwoord) ook gelekt?",
                ),
                options=YES_NO_UNKNOWN,
                show_if=encryption_details_apply,
                condition=Text(
                    "when the data were (partly) protected",
                    "als de gegevens (deels) beveiligd waren",
                ),
            ),
        ),
    ),
    Step(
        key="consequences",
        number=7,
        title=Text("Consequences", "Gevolgen"),
        task=Text("Describe the consequences", "Beschrijf de gevolgen"),
        questions=(
            Question(
                "consequences",
                "multi",
                Text(
                    "What could the consequences be for the persons?",
                    "Wat kunnen de gevolgen zijn voor de betrokkenen?",
                ),
                hint=Text("Select all that apply.", "Selecteer alle die van toepassing zijn."),
                options=(
                    _o(
                        "stigmatisation",
                        "Stigmatisation or exclusion",
                        "Stigmatisering of uitsluiting",
                    ),
                    _o("health", "Damage to health", "Schade aan de gezondheid"),
                    _o(
                        "identity_fraud",
                        "Exposure to (identity) fraud",
                        "Blootstelling aan (identiteits)fraude",
                    ),
                    _o(
                        "spam_phishing",
                        "Exposure to spam or phishing",
                        "Blootstelling aan spam of phishing",
                    ),
                    _o("other", "Other", "Anders"),
                ),
            ),
            Question(
                "consequences_other",
                "textarea",
                Text("Other, namely", "Anders, namelijk"),
                show_if=consequences_other_applies,
                condition=Text(
                    "when other consequences are chosen", "als andere gevolgen zijn gekozen"
                ),
            ),
        ),
    ),
    Step(
        key="measures",
        number=8,
        title=Text("Measures", "Maatregelen"),
        task=Text("Describe the measures", "Beschrijf de maatregelen"),
        questions=(
            Question(
                "measures",
                "textarea",
                Text(
                    "Which technical and organisational measures were taken to address the breach and prevent further breaches?",
                    "Welke technische en organisatorische maatregelen zijn getroffen om de inbreuk aan te pakken en verdere inbreuken te voorkomen?",
                ),
            ),
        ),
    ),
    Step(
        key="countries",
        number=9,
        title=Text("Other EU countries", "Andere EU-landen"),
        task=Text("Name other EU countries", "Noem andere EU-landen"),
        questions=(
            Question(
                "other_eu_countries",
                "single",
                Text(
                    "Does the breach concern persons in other EU or EEA countries?",
                    "Heeft de inbreuk betrekking op personen in andere EU-landen?",
                ),
                options=YES_NO_UNKNOWN,
            ),
            Question(
                "countries",
                "countries",
                Text("Which countries?", "Welke landen?"),
                hint=Text("Select all that apply.", "Selecteer alle die van toepassing zijn."),
                show_if=countries_apply,
                condition=Text(
                    "when persons in other EU countries are affected",
                    "als personen in andere EU-landen zijn betrokken",
                ),
            ),
        ),
    ),
    Step(
        key="contact",
        number=10,
        title=Text("Contact person", "Contactpersoon"),
        task=Text("Give a contact person", "Geef een contactpersoon"),
        intro=Text(
            "Who can the controllers and the regulator contact about this breach?",
            "Met wie kunnen de verwerkingsverantwoordelijken en de toezichthouder contact opnemen over dit lek?",
        ),
        questions=(
            Question("contact_name", "text", Text("Name", "Naam"), max_length=200),
            Question("contact_role", "text", Text("Role", "Functie"), max_length=200),
            Question("contact_email", "email", Text("E-mail", "E-mailadres"), max_length=254),
            Question(
                "contact_phone",
                "phone",
                Text("Phone", "Telefoonnummer"),
                max_length=40,
                hint=Text(
                    "Digits, with +, spaces, dashes or brackets if you like.",
                    "Cijfers, eventueel met +, spaties, streepjes of haakjes.",
                ),
            ),
        ),
    ),
)

QUESTIONS: dict[str, Question] = {q.key: q for step in STEPS for q in step.questions}
STEP_BY_KEY: dict[str, Step] = {step.key: step for step in STEPS}
STEP_OF_QUESTION: dict[str, Step] = {q.key: step for step in STEPS for q in step.questions}
CONTACT_KEYS = ("contact_name", "contact_role", "contact_email", "contact_phone")
