"""The severity assessment (ENISA 2013, ``rules.md`` section 4) and the advice that
follows from it (section 4.4), computed from the questionnaire's answers.

Pure functions of the answers. Every number comes with the answers that produced it, in
both interface languages, so the officer can see *why* and the regulator report can say
it. The advice is advice: the decision is the controller's privacy officer's.

    SE = DPC x EI + CB;  SE < 2 low, < 3 medium, < 4 high, otherwise very high.

Where an answer is missing (a draft) or "unknown", the assessment says so and leans to
the safe side ("when in doubt, notify").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from forms.questionnaire import QUESTIONS, Text
from forms.words import format_decimal

Level = Literal["low", "medium", "high", "very_high"]
LEVELS: tuple[Level, ...] = ("low", "medium", "high", "very_high")
LEVEL_LABELS: dict[str, Text] = {
    "low": Text("low", "laag"),
    "medium": Text("medium", "gemiddeld"),
    "high": Text("high", "hoog"),
    "very_high": Text("very high", "zeer hoog"),
}
FLAG_LABELS: dict[str, Text] = {
    "more_than_100_persons": Text("More than 100 persons", "Meer dan 100 betrokkenen"),
    "unintelligible": Text(
        "Data unintelligible (encrypted, key safe)",
        "Gegevens onbegrijpelijk (versleuteld, sleutel veilig)",
    ),
}

# 4.1: the base score of each data type of the questionnaire.
DPC_BASE: dict[str, int] = {
    "name_address": 1,
    "phone": 1,
    "email": 1,
    "sex_birthdate_age": 1,
    "other": 1,
    "financial": 3,
    "bsn": 3,
    "id_copy": 3,
    "credentials": 3,
    "special": 4,
}
# Why a data type scores what it does, where the table alone does not say.
_BASE_WHY: dict[str, Text] = {
    "bsn": Text("identity fraud", "identiteitsfraude"),
    "id_copy": Text("identity fraud", "identiteitsfraude"),
    "credentials": Text(
        "access data score as what they open: the accounts hold files with at least financial "
        "or identity data",
        "toegangsgegevens tellen als wat ze openen: de accounts bevatten dossiers met minstens "
        "financiële of identiteitsgegevens",
    ),
}
DPC_WORDS: dict[int, Text] = {
    1: Text("simple data", "eenvoudige gegevens"),
    2: Text("behavioural data", "gedragsgegevens"),
    3: Text("financial data", "financiële gegevens"),
    4: Text("sensitive data", "gevoelige gegevens"),
}
# 4.1: the context adjustments (answer key, the answer that applies, step, why).
DPC_ADJUSTMENTS: tuple[tuple[str, str, int, Text], ...] = (
    (
        "extensive_volume",
        "yes",
        1,
        Text("a large volume of data per person", "veel gegevens per persoon"),
    ),
    (
        "sensitive_context",
        "yes",
        1,
        Text("the context reveals more than the data", "de context verraadt meer dan de gegevens"),
    ),
    (
        "vulnerable_subjects",
        "yes",
        1,
        Text("vulnerable persons are involved", "er zijn kwetsbare personen betrokken"),
    ),
    (
        "public_or_invalid",
        "yes",
        -1,
        Text(
            "the data were already public or known to be invalid",
            "de gegevens waren al openbaar of aantoonbaar onjuist",
        ),
    ),
)

# 4.2
EI_SCORES: dict[str, float] = {
    "negligible": 0.25,
    "limited": 0.5,
    "significant": 0.75,
    "maximum": 1.0,
}

# 4.3: confidentiality, from who has (or may have) seen the data.
CB_CONFIDENTIALITY: dict[str, float] = {
    "none_known": 0.0,
    "trusted": 0.25,
    "known": 0.25,
    "unknown": 0.5,
}
CB_AVAILABILITY: dict[str, float] = {"restored_easily": 0.0, "temporary": 0.25, "permanent": 0.5}
CB_MALICIOUS = 0.5
CONFIDENTIALITY_NATURE = {"read", "copied", "stolen", "unknown"}
ATTACKER_NATURE = {"copied", "stolen"}
IDENTITY_TYPES = ("financial", "bsn", "id_copy")  # in the wrong hands: notify and inform
MANY_PERSONS = 100


@dataclass(frozen=True)
class Reason:
    """One line of explanation: the element it explains and the words, in both languages."""

    element: Literal["dpc", "ei", "cb", "flag", "advice"]
    text: Text

    def get(self, language: str) -> str:
        return self.text.get(language)


@dataclass(frozen=True)
class Advice:
    notify_authority: bool
    inform_data_subjects: bool
    reasons: tuple[Reason, ...]
    art34_ground: str | None = None  # "unintelligible" when Art. 34(3)(a) applies
    # The factor that makes the advice lower than the score alone would (a "high" score
    # and "do not notify" must say what lowers the risk).
    lowered_by: Text | None = None


@dataclass(frozen=True)
class Assessment:
    dpc: float
    ei: float
    cb: float
    score: float
    level: Level
    flags: tuple[str, ...]
    explanation: tuple[Reason, ...]
    recommendation: Advice
    missing: tuple[str, ...] = field(default=())  # answers the assessment had to assume

    def as_json(self, language: str) -> dict[str, Any]:
        return {
            "dpc": self.dpc,
            "ei": self.ei,
            "cb": self.cb,
            "score": self.score,
            "level": self.level,
            "flags": list(self.flags),
            "explanation": [r.get(language) for r in self.explanation],
            "recommendation": {
                "notify_authority": self.recommendation.notify_authority,
                "inform_data_subjects": self.recommendation.inform_data_subjects,
                "art34_ground": self.recommendation.art34_ground,
                "lowered_by": lowered.get(language)
                if (lowered := self.recommendation.lowered_by)
                else None,
                "reasons": [r.get(language) for r in self.recommendation.reasons],
            },
        }


# --- helpers --------------------------------------------------------------------------


def _options(key: str, values: Iterable[str]) -> Text:
    """The labels of some options of a question, joined, in both languages."""
    question = QUESTIONS[key]
    labels = [option.label if (option := question.option(v)) else Text(v, v) for v in values]
    return Text(", ".join(_lower(t.en) for t in labels), ", ".join(_lower(t.nl) for t in labels))


def _lower(label: str) -> str:
    """A label inside a sentence: lower case, but abbreviations (BSN, EU) kept."""
    return "".join(
        w if len(w.strip("()")) > 1 and w.strip("()").isupper() else w.lower()
        for w in re.split(r"(\s+)", label)
    )


def _answer(key: str, value: str) -> Text:
    return _options(key, [value])


def _fmt(value: float) -> Text:
    """A number in each language's way (3.25 / 3,25)."""
    return Text(format_decimal(value, "en"), format_decimal(value, "nl"))


def _plus(value: float) -> Text:
    number = _fmt(value)
    return Text(f"+{number.en}", f"+{number.nl}")


def _t(en: str, nl: str, **values: Text | str) -> Text:
    """A text with placeholders filled per language."""
    en_values = {k: v.en if isinstance(v, Text) else v for k, v in values.items()}
    nl_values = {k: v.nl if isinstance(v, Text) else v for k, v in values.items()}
    return Text(en.format(**en_values), nl.format(**nl_values))


def _list(answers: Mapping[str, Any], key: str) -> list[str]:
    value = answers.get(key)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def level_of(score: float) -> Level:
    if score < 2:
        return "low"
    if score < 3:
        return "medium"
    if score < 4:
        return "high"
    return "very_high"


def unintelligible(answers: Mapping[str, Any]) -> bool:
    """Encrypted (all of it) with a key that is safe: the data are unintelligible."""
    return answers.get("encrypted") == "yes" and answers.get("key_compromised") == "no"


def confidentiality_lost(answers: Mapping[str, Any]) -> bool:
    nature = set(_list(answers, "nature"))
    return bool(nature & CONFIDENTIALITY_NATURE) or answers.get("recipients") in {
        "known",
        "unknown",
    }


# --- 4.1 DPC --------------------------------------------------------------------------


def dpc(answers: Mapping[str, Any]) -> tuple[float, list[Reason]]:
    types = [t for t in _list(answers, "data_types") if t in DPC_BASE]
    reasons: list[Reason] = []
    if not types:
        base = 4
        reasons.append(
            Reason(
                "dpc",
                Text(
                    "DPC base 4: the kinds of data are not known yet, so the highest is assumed.",
                    "DPC-basis 4: de soorten gegevens zijn nog niet bekend, dus de hoogste is aangenomen.",
                ),
            )
        )
    else:
        base = max(DPC_BASE[t] for t in types)
        drivers = [t for t in types if DPC_BASE[t] == base]
        what = _options("data_types", drivers)
        why: list[Text] = [_BASE_WHY[t] for t in drivers if t in _BASE_WHY]
        specials = _list(answers, "special_categories")
        if "special" in drivers and specials:
            what = _t("{a} ({b})", "{a} ({b})", a=what, b=_options("special_categories", specials))
        detail = _t("{a}; {b}", "{a}; {b}", a=what, b=why[0]) if why else what
        reasons.append(
            Reason(
                "dpc",
                _t(
                    "DPC base {n} ({w}): {d}.",
                    "DPC-basis {n} ({w}): {d}.",
                    n=str(base),
                    w=DPC_WORDS[base],
                    d=detail,
                ),
            )
        )
    score = base
    for key, value, step, why_text in DPC_ADJUSTMENTS:
        if answers.get(key) == value:
            score += step
            reasons.append(
                Reason(
                    "dpc",
                    _t(
                        "DPC {s}: {w} (answered: {a}).",
                        "DPC {s}: {w} (antwoord: {a}).",
                        s=f"{step:+d}",
                        w=why_text,
                        a=_answer(key, value),
                    ),
                )
            )
    kept = min(4, max(1, score))
    if kept != score:
        reasons.append(
            Reason(
                "dpc",
                _t(
                    "DPC kept within 1 to 4: {k}.",
                    "DPC binnen 1 tot 4 gehouden: {k}.",
                    k=str(kept),
                ),
            )
        )
    reasons.append(Reason("dpc", _t("DPC = {k}.", "DPC = {k}.", k=str(kept))))
    return float(kept), reasons


# --- 4.2 EI ---------------------------------------------------------------------------


def ei(answers: Mapping[str, Any]) -> tuple[float, list[Reason]]:
    value = answers.get("identifiability")
    if value not in EI_SCORES:
        return 1.0, [
            Reason(
                "ei",
                Text(
                    "EI 1: how easily the persons can be identified is not answered yet, so directly is assumed.",
                    "EI 1: hoe makkelijk de personen te identificeren zijn is nog niet beantwoord, dus direct is aangenomen.",
                ),
            )
        ]
    score = EI_SCORES[value]
    return score, [
        Reason(
            "ei",
            _t(
                "EI {s}: identifiable {a}.",
                "EI {s}: identificeerbaar {a}.",
                s=_fmt(score),
                a=_answer("identifiability", value),
            ),
        )
    ]


# --- 4.3 CB ---------------------------------------------------------------------------


def cb(answers: Mapping[str, Any]) -> tuple[float, list[Reason]]:
    reasons: list[Reason] = []
    total = 0.0

    def add(points: float, en: str, nl: str, **values: Text | str) -> None:
        nonlocal total
        total += points
        reasons.append(Reason("cb", _t(en, nl, p=_plus(points), **values)))

    recipients = answers.get("recipients")
    if recipients in CB_CONFIDENTIALITY:
        add(
            CB_CONFIDENTIALITY[recipients],
            "CB confidentiality {p}: {a}.",
            "CB vertrouwelijkheid {p}: {a}.",
            a=_answer("recipients", recipients),
        )
    else:
        add(
            0.5,
            "CB confidentiality {p}: who saw the data is not answered yet, so an unknown number is assumed.",
            "CB vertrouwelijkheid {p}: wie de gegevens zag is nog niet beantwoord, dus een onbekend aantal is aangenomen.",
        )

    nature = set(_list(answers, "nature"))
    malicious = answers.get("malicious")
    if "altered" in nature:
        recoverable = answers.get("integrity_recoverable")
        if recoverable == "no":
            add(
                0.5,
                "CB integrity {p}: altered and cannot be restored.",
                "CB integriteit {p}: veranderd en niet te herstellen.",
            )
        elif recoverable == "yes" and malicious == "no":
            add(
                0.0,
                "CB integrity {p}: altered, not deliberately, and can be restored.",
                "CB integriteit {p}: veranderd, niet opzettelijk, en te herstellen.",
            )
        else:
            add(
                0.25,
                "CB integrity {p}: altered and possibly used, can be restored.",
                "CB integriteit {p}: veranderd en mogelijk gebruikt, te herstellen.",
            )

    if nature & {"deleted", "stolen"}:
        loss = answers.get("availability_loss")
        if loss in CB_AVAILABILITY:
            add(
                CB_AVAILABILITY[loss],
                "CB availability {p}: {a}.",
                "CB beschikbaarheid {p}: {a}.",
                a=_answer("availability_loss", loss),
            )
        else:
            add(
                0.5,
                "CB availability {p}: the loss of availability is not answered yet, so permanent is assumed.",
                "CB beschikbaarheid {p}: het verlies van beschikbaarheid is nog niet beantwoord, dus blijvend is aangenomen.",
            )

    if malicious == "yes":
        add(
            CB_MALICIOUS,
            "CB malicious intent {p}: it was deliberate or malicious.",
            "CB kwade opzet {p}: er was opzet of kwade trouw.",
        )
    elif malicious == "unknown":
        reasons.append(
            Reason(
                "cb",
                Text(
                    "CB malicious intent +0: not known yet; add 0.5 when intent is established.",
                    "CB kwade opzet +0: nog niet bekend; tel 0,5 op als opzet vaststaat.",
                ),
            )
        )
    reasons.append(Reason("cb", _t("CB = {t}.", "CB = {t}.", t=_fmt(total))))
    return total, reasons


# --- flags ----------------------------------------------------------------------------


def flags(answers: Mapping[str, Any]) -> tuple[str, ...]:
    found = []
    persons = answers.get("affected_max")
    if isinstance(persons, int) and not isinstance(persons, bool) and persons > MANY_PERSONS:
        found.append("more_than_100_persons")
    if unintelligible(answers):
        found.append("unintelligible")
    return tuple(found)


# --- 4.4 advice -----------------------------------------------------------------------


UNINTELLIGIBLE = Text(
    "the data were unintelligible to anyone who saw them (encrypted, the key safe)",
    "de gegevens waren onbegrijpelijk voor wie ze zag (versleuteld, de sleutel veilig)",
)
TRUSTED_RECIPIENT = Text(
    "the recipient is trusted, bound to secrecy and deleted the data",
    "de ontvanger is betrouwbaar, heeft geheimhoudingsplicht en heeft de gegevens verwijderd",
)
RESTORED = Text(
    "the data were restored without difficulty and nobody is known to have seen them",
    "de gegevens zijn eenvoudig hersteld en niemand heeft ze voor zover bekend gezien",
)


def advise(answers: Mapping[str, Any], level: Level) -> Advice:
    """Whether to notify the authority (a risk) and inform the persons (a high risk)."""
    reasons: list[Reason] = [
        Reason(
            "advice",
            Text(
                "Document this breach in the register in any case (Art. 33(5)).",
                "Leg dit datalek in elk geval vast in het register (art. 33 lid 5).",
            ),
        )
    ]

    def why(en: str, nl: str, **values: Text | str) -> None:
        reasons.append(Reason("advice", _t(en, nl, **values)))

    def lower(notify_: bool, inform_: bool, factor: Text, ground: str | None = None) -> Advice:
        """The advice a lowering factor gives; when it is below the score's, that factor
        is named first among the reasons, right after the score."""
        below = (notify and not notify_) or (inform and not inform_)
        if not below:
            return Advice(notify_, inform_, tuple(reasons), ground)
        said = Reason(
            "advice",
            _t(
                "The advice is lower than the score alone: {f}, which lowers the risk.",
                "Het advies is lager dan de score alleen: {f}; dat verlaagt het risico.",
                f=factor,
            ),
        )
        ordered = (*reasons[:2], said, *reasons[2:])
        return Advice(notify_, inform_, ordered, ground, lowered_by=factor)

    types = set(_list(answers, "data_types"))
    nature = set(_list(answers, "nature"))
    recipients = answers.get("recipients")
    malicious = answers.get("malicious")
    seen = confidentiality_lost(answers)
    wrong_hands = recipients != "trusted" and (
        recipients in {"known", "unknown", None} or bool(nature & (ATTACKER_NATURE | {"unknown"}))
    )
    availability = answers.get("availability_loss") if nature & {"deleted", "stolen"} else None

    notify = level != "low"
    inform = level in {"high", "very_high"}
    why(
        "By the score alone ({l}): {r}.",
        "Op grond van de score alleen ({l}): {r}.",
        l=LEVEL_LABELS[level],
        r=(
            Text(
                "a high risk to the persons is likely",
                "een hoog risico voor de betrokkenen is waarschijnlijk",
            )
            if inform
            else Text(
                "a risk to the persons is likely",
                "een risico voor de betrokkenen is waarschijnlijk",
            )
            if notify
            else Text(
                "a risk to the persons is unlikely",
                "een risico voor de betrokkenen is onwaarschijnlijk",
            )
        ),
    )

    # What raises the advice (section 4.4, fourth and second points).
    high: list[Text] = []
    if "special" in types:
        high.append(
            _t(
                "special categories of data ({c}): harm is presumed likely",
                "bijzondere persoonsgegevens ({c}): schade wordt waarschijnlijk geacht",
                c=_options("special_categories", _list(answers, "special_categories"))
                if _list(answers, "special_categories")
                else Text("-", "-"),
            )
        )
    if malicious == "yes" and (nature & ATTACKER_NATURE or recipients == "unknown"):
        high.append(
            Text(
                "the data were taken deliberately (exfiltration)",
                "de gegevens zijn opzettelijk weggenomen (exfiltratie)",
            )
        )
    if "identity_fraud" in _list(answers, "consequences"):
        high.append(
            Text(
                "the persons are exposed to identity fraud",
                "de betrokkenen lopen risico op identiteitsfraude",
            )
        )
    in_hands = [t for t in IDENTITY_TYPES if t in types]
    if in_hands and wrong_hands:
        high.append(
            _t(
                "{d} in the wrong hands",
                "{d} in verkeerde handen",
                d=_options("data_types", in_hands),
            )
        )
    if "credentials" in types and wrong_hands:
        high.append(
            Text(
                "access data in the wrong hands: the persons must change passwords",
                "toegangsgegevens in verkeerde handen: de betrokkenen moeten wachtwoorden wijzigen",
            )
        )
    if answers.get("vulnerable_subjects") == "yes" and seen:
        high.append(Text("vulnerable persons are involved", "er zijn kwetsbare personen betrokken"))

    # What lowers it (section 4.4, third, fourth and fifth points).
    art34_ground: str | None = None
    if unintelligible(answers):
        art34_ground = "unintelligible"
        why(
            "The data were unintelligible (encrypted, key safe): usually document only; "
            "Art. 34(3)(a) exempts telling the persons.",
            "De gegevens waren onbegrijpelijk (versleuteld, sleutel veilig): meestal alleen vastleggen; "
            "art. 34 lid 3 onder a stelt vrij van het informeren van de betrokkenen.",
        )
        still_notify = availability in {"temporary", "permanent"}
        if availability in {"temporary", "permanent"}:
            why(
                "But the data are {a}: a loss of availability affects the persons, so notify the authority.",
                "Maar de gegevens zijn {a}: verlies van beschikbaarheid raakt de betrokkenen, dus meld het bij de toezichthouder.",
                a=_answer("availability_loss", availability),
            )
        return lower(still_notify, False, UNINTELLIGIBLE, art34_ground)

    if recipients == "trusted" and malicious != "yes":
        if "special" in types:
            why(
                "A trusted recipient bound to secrecy deleted the data, which lowers the risk strongly; "
                "with special categories a risk remains: notify the authority, informing the persons is not needed.",
                "Een betrouwbare ontvanger met geheimhoudingsplicht heeft de gegevens verwijderd; dat verlaagt het "
                "risico sterk. Bij bijzondere persoonsgegevens blijft een risico: meld het bij de toezichthouder, "
                "de betrokkenen informeren is niet nodig.",
            )
            return lower(True, False, TRUSTED_RECIPIENT)
        why(
            "A trusted recipient bound to secrecy deleted the data, which lowers the risk strongly: "
            "usually document only.",
            "Een betrouwbare ontvanger met geheimhoudingsplicht heeft de gegevens verwijderd; dat verlaagt het "
            "risico sterk: meestal alleen vastleggen.",
        )
        return lower(False, False, TRUSTED_RECIPIENT)

    if not seen and availability == "restored_easily" and not high:
        why(
            "Availability was restored without difficulty and nobody is known to have seen the data: "
            "usually document only.",
            "De beschikbaarheid is eenvoudig hersteld en niemand heeft de gegevens voor zover bekend gezien: "
            "meestal alleen vastleggen.",
        )
        return lower(False, False, RESTORED)

    if high:
        notify = inform = True
        for text in high:
            why(
                "Notify the authority and inform the persons: {t}.",
                "Meld het bij de toezichthouder en informeer de betrokkenen: {t}.",
                t=text,
            )
    if availability == "permanent" or (availability == "temporary" and not notify):
        notify = True
        why(
            "The data are {a}: a loss of availability with real effect on people is notified to the authority.",
            "De gegevens zijn {a}: verlies van beschikbaarheid met echte gevolgen voor mensen wordt gemeld "
            "bij de toezichthouder.",
            a=_answer("availability_loss", availability),
        )
    doubts = [
        k
        for k in ("recipients", "malicious", "encrypted", "key_compromised")
        if answers.get(k) == "unknown"
    ] + (["nature"] if "unknown" in nature else [])
    if doubts and not notify:
        notify = True
        why(
            "When in doubt, notify: not known yet ({q}).",
            "Bij twijfel melden: nog niet bekend ({q}).",
            q=Text(
                "; ".join(QUESTIONS[k].label.en for k in doubts),
                "; ".join(QUESTIONS[k].label.nl for k in doubts),
            ),
        )
    if answers.get("encrypted") == "yes" and answers.get("key_compromised") in {"yes", "unknown"}:
        why(
            "The data were encrypted, but the key may be compromised: the encryption does not lower the risk.",
            "De gegevens waren versleuteld, maar de sleutel is mogelijk gelekt: de versleuteling verlaagt het "
            "risico niet.",
        )
    return Advice(notify, inform, tuple(reasons))


# --- the whole assessment -------------------------------------------------------------


def assess(answers: Mapping[str, Any]) -> Assessment:
    dpc_score, dpc_reasons = dpc(answers)
    ei_score, ei_reasons = ei(answers)
    cb_score, cb_reasons = cb(answers)
    score = round(dpc_score * ei_score + cb_score, 2)
    level = level_of(score)
    found = flags(answers)
    flag_reasons = [
        Reason(
            "flag",
            _t(
                "Flag, does not change the score: {f}.",
                "Signaal, verandert de score niet: {f}.",
                f=FLAG_LABELS[f],
            ),
        )
        for f in found
    ]
    summary = Reason(
        "advice",
        _t(
            "SE = DPC × EI + CB = {d} × {e} + {c} = {s}: {l}.",
            "SE = DPC × EI + CB = {d} × {e} + {c} = {s}: {l}.",
            d=_fmt(dpc_score),
            e=_fmt(ei_score),
            c=_fmt(cb_score),
            s=_fmt(score),
            l=LEVEL_LABELS[level],
        ),
    )
    missing = tuple(
        key
        for key in ("data_types", "identifiability", "recipients", "malicious")
        if answers.get(key) in (None, [], "")
    )
    return Assessment(
        dpc=dpc_score,
        ei=ei_score,
        cb=cb_score,
        score=score,
        level=level,
        flags=found,
        explanation=(*dpc_reasons, *ei_reasons, *cb_reasons, *flag_reasons, summary),
        recommendation=advise(answers, level),
        missing=missing,
    )


@lru_cache(maxsize=4096)
def _cached(key: object, frozen: str) -> Assessment:
    return assess(json.loads(frozen))


def assessment_of(incident: Any) -> Assessment:
    """The assessment of an incident's answers, computed once per saved state (the register
    and the API list assess the same incidents again and again)."""
    key = (incident.id, incident.version, incident.updated_at)
    return _cached(key, json.dumps(incident.answers, sort_keys=True, default=str))
