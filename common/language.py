"""Which language a customer's message is in, among the ones we have phrase books for.

py3langid (a maintained fork of langid.py; its model ships inside the ~0.7 MB wheel, no
download at run time) classifies the text, restricted to :data:`SUPPORTED`. Chosen over
lingua-language-detector, which is more accurate on very short texts but ships a model of
tens of MB per language set and loads far slower; our short messages ("agent pls") are
handled without a detector anyway (every phrase book applies to them, see
``common.explicit_request``). The detector costs about 0.03 ms per message.

:func:`choose_language` is the one decision of which of the bot's two languages (en, es) a
customer message is understood and answered in. The hub calls it for every customer message
and sends the result to Rasa in the metadata; Rasa's first NLU component
(``bot.language_tagger``) trusts that, and calls it itself when the metadata has none.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any

SUPPORTED = ("en", "es", "de", "fr", "pt", "it", "nl")
# Below this normalised probability the detector's answer is not trusted.
MIN_PROBABILITY = 0.8


@dataclass(frozen=True)
class Detected:
    """The detector's best language and how sure it is (normalised over :data:`SUPPORTED`)."""

    language: str
    probability: float

    @property
    def confident(self) -> bool:
        """Whether the answer is sure enough to act on."""
        return self.probability >= MIN_PROBABILITY


@functools.lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(SUPPORTED))
    return identifier


def detect(text: str) -> Detected:
    """The most likely of the :data:`SUPPORTED` languages for ``text``."""
    language, probability = _identifier().classify(text)
    return Detected(str(language), float(probability))


# --- The conversation's language (the bot's two languages) ------------------------------------

BOT_LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
DEFAULT_LOCALES = {"en": "en_GB", "es": "es_ES"}
# Messages of at most this many words keep the conversation's previous language whatever they
# look like ("ok", "gracias", "thanks a lot" is three): the detector and the marker words are
# too unreliable on them, and a customer does not switch language to say "ok".
SHORT_MESSAGE_WORDS = 2
# Log-odds weights (positive = Spanish) of the evidence and of the priors. The detector's
# log-odds count fully from RELIABLE_WORDS words on and proportionally below that; each
# marker word and each Spanish-only character adds its weight. Tuned on
# tests/common/language_dev.yml (tests/common/test_language.py prints the accuracy).
PREVIOUS_WEIGHT = 3.0
PAGE_WEIGHT = 1.5
DETECTOR_CAP = 8.0
RELIABLE_WORDS = 4
MARKER_WEIGHT = 2.0
SPANISH_CHAR_WEIGHT = 1.5
# The shape of an answer given without any evidence: how sure a bare prior is.
_PRIOR_PROBABILITY = {"metadata": 1.0, "prior": 0.95, "default": 0.5}

_EMAIL = re.compile(r"\S+@\S+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Order numbers, card digits, amounts, dates: anything with a digit is no language evidence.
_HAS_DIGIT = re.compile(r"\d")
_TOKEN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*", re.UNICODE)
_SPANISH_CHARS = re.compile("[ñáéíóúü¿¡]")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Short words that say the language on their own but that py3langid (character n-grams over
# whole paragraphs) has no features for: greetings, thanks, yes/no, help. Only words that
# are not also common in the other language ("no", "ok", "hola" vs "hello" are fine;
# "agent"/"agente" too, "plan" is not).
_SPANISH_MARKERS = _word_set(
    """
    hola buenas buenos dias tardes noches gracias porfa porfavor favor vale claro perfecto
    listo genial bueno sí si adios adiós chao chau hasta luego ayuda ayudame ayúdame necesito
    quiero puedo tengo estoy donde dónde cuando cuándo cuanto cuánto cuánta cuanta como cómo
    que qué por para pero pues entonces ahora mi mis tu tus su sus el la los las un una
    unos unas del al es esta está estan están eso esto nada nunca tambien también todavia
    todavía aun aún pago pagos cuota cuotas plazo plazos pedido pedidos tarjeta reembolso
    devolucion devolución cuenta factura cargo cobro cobraron dinero persona humano agente
    asesor operador hablar llamar señor señora oye mira vos sos tenés querés podés bien mal
    muy mucho muchas muchos seguro entiendo entendí verdad cierto correo recibo cancelar
    de en con sin ni feliz amable se te lo le les nos os hay han ha he has son soy eres fue sea ser
    estás tiene tienes tengas puede puedes quieres hacer hace hice dije dijo veo ver
    ola holis holaa alo aló grax grac sip sipi dale nel nop okey joya jaja jajaja jeje
    porfis chido chévere chevere vale venga bacán bacan disculpa disculpe disculpas perdón
    perdon perdona siento molestia acuerdo correcto exacto obvio cancela chau noche buena
    buen día finde toma aquí aqui allí alli ahí ahi nadie alguien algo mismo otra otro
    después despues antes hoy mañana ayer semana mes dónde cobrado cobraron quitaron
    """
)
_ENGLISH_MARKERS = _word_set(
    """
    hi hello hey thanks thank thx ty cheers please pls plz yes yeah yep yup nope sure great
    fine cool good morning afternoon evening bye goodbye help need want can could would
    should my your the an is are was were what when where how why which who this that
    it i you we they with from of to for and but just still not dont don't cant can't
    payment payments due order orders card refund account bill charge charged money person
    human agent someone talk speak call right now done got okay alright understood
    do does did doing have has had in on at by into about up out off be been am will
    there their them our us he she his her its so if or sorry see go going get make
    makes like know think same next late open new much more any some all too very really
    again after before then than as only also here ahead question thing bike charges fees
    ta fee declined transaction experience difficulty financial music clue hello translate
    english french instalment instalments dispute charges twice wrong paid pay off
    """
)


@dataclass(frozen=True)
class LanguageChoice:
    """The language a message is answered in, how sure, and what decided it.

    ``source`` is ``"metadata"`` (the hub said so), ``"detector"`` (the message's own words),
    ``"prior"`` (the conversation's previous language or the page's) or ``"default"``
    (nothing to go on: English).
    """

    code: str
    probability: float
    source: str


def page_language_code(page_language: str | None) -> str | None:
    """The bot language of a BCP-47 tag ("es-MX" -> "es", "en_GB" -> "en"), if it is one."""
    if not page_language:
        return None
    primary = re.split(r"[-_]", page_language.strip(), maxsplit=1)[0].lower()
    return primary if primary in BOT_LANGUAGES else None


def locale_for(code: str, page_language: str | None) -> str:
    """The CLDR locale to format answers in: the page's region when it is in ``code``.

    "es" with page "es-MX" -> "es_MX"; "es" with page "en-US" (or none) -> "es_ES";
    "en" with page "en-US" -> "en_US". Regions are two letters or a UN M.49 code ("es-419").
    """
    language = code if code in BOT_LANGUAGES else DEFAULT_LANGUAGE
    if page_language:
        parts = re.split(r"[-_]", page_language.strip())
        if parts[0].lower() == language:
            for part in parts[1:]:
                if re.fullmatch(r"[A-Za-z]{2}|\d{3}", part):
                    return f"{language}_{part.upper()}"
    return DEFAULT_LOCALES[language]


def language_words(text: str) -> list[str]:
    """The words of ``text`` that can say its language (no emails, links, numbers or codes)."""
    text = _URL.sub(" ", _EMAIL.sub(" ", text))
    # A chunk with a digit in it ("ORD-104233", "45,50", "5/12") is a code, not words.
    kept = " ".join(chunk for chunk in text.split() if not _HAS_DIGIT.search(chunk))
    return [match.group(0).lower() for match in _TOKEN.finditer(kept)]


@functools.lru_cache(maxsize=1)
def _bot_identifier() -> Any:
    """py3langid restricted to the bot's languages, without its built-in class prior.

    The model's class prior favours English about 2:1 (a featureless text comes out English
    at 0.66); the priors here are the page's and the conversation's, so it is zeroed.
    """
    import numpy as np
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=False)
    identifier.set_languages(list(BOT_LANGUAGES))
    identifier.nb_pc = np.zeros_like(identifier.nb_pc)
    return identifier


def _detector_log_odds(words: list[str]) -> float:
    """py3langid's log-likelihood ratio Spanish : English of ``words``, capped."""
    identifier = _bot_identifier()
    scores = identifier.nb_classprobs(identifier.instance2fv(" ".join(words)))
    spanish = BOT_LANGUAGES.index("es")
    odds = float(scores[spanish] - scores[1 - spanish])
    return max(-DETECTOR_CAP, min(DETECTOR_CAP, odds))


def _evidence(text: str, words: list[str]) -> float:
    """Log-odds Spanish : English from the message alone (0 when it says nothing)."""
    if not words:
        return 0.0
    reliability = min(1.0, len(words) / RELIABLE_WORDS)
    evidence = reliability * _detector_log_odds(words)
    for word in words:
        if word in _SPANISH_MARKERS:
            evidence += MARKER_WEIGHT
        elif word in _ENGLISH_MARKERS:
            evidence -= MARKER_WEIGHT
    evidence += SPANISH_CHAR_WEIGHT * min(2, len(_SPANISH_CHARS.findall(text.lower())))
    return evidence


def _sign(code: str) -> float:
    return 1.0 if code == "es" else -1.0


def choose_language(
    text: str, *, page_language: str | None, previous_language: str | None
) -> LanguageChoice:
    """The language to understand and answer ``text`` in: "en" or "es".

    The message's own evidence (py3langid restricted to en/es, marker words, Spanish-only
    characters) is weighed against two priors: the conversation's previous language
    (strongest) and the host page's language (a BCP-47 tag such as "es-MX"). A message
    with no words (an order number, an email, "👍") or of at most :data:`SHORT_MESSAGE_WORDS`
    words ("ok", "gracias") keeps the previous language; with no previous language the
    page's decides, then the evidence, then English.
    """
    previous = previous_language if previous_language in BOT_LANGUAGES else None
    page = page_language_code(page_language)
    words = language_words(text)
    if previous and len(words) <= SHORT_MESSAGE_WORDS:
        return LanguageChoice(previous, _PRIOR_PROBABILITY["prior"], "prior")
    evidence = _evidence(text, words)
    prior = (PREVIOUS_WEIGHT * _sign(previous) if previous else 0.0) + (
        PAGE_WEIGHT * _sign(page) if page else 0.0
    )
    total = evidence + prior
    if total == 0.0:
        return LanguageChoice(DEFAULT_LANGUAGE, _PRIOR_PROBABILITY["default"], "default")
    code = "es" if total > 0 else "en"
    probability = 1.0 / (1.0 + math.exp(-abs(total)))
    source = "detector" if evidence and _sign(code) * evidence > 0 else "prior"
    if source == "prior" and not prior:
        source = "default"
    return LanguageChoice(code, round(probability, 4), source)
