"""Per-message frustration signals: a Rasa NLU component that scores every parsed message.

The handoff policy (``bot/handoff_policy.py``) hands a conversation to a person when frustration
accumulates; it reads what this component adds to each message's parse data::

    "frustration": {"score": 0.72,
                    "signals": [{"name": "frustration_phrase", "score": 0.6,
                                 "evidence": "this is useless"}, ...]}

Signals (each scored in [0, 1] as its contribution, weights in ``config.yml``):

* ``negative_sentiment`` -- vaderSentiment's compound score, counted only when clearly negative
  (at or below ``-sentiment_threshold``), scaled from 0 at the threshold to 1 at -1. Problem
  descriptions ("my order is damaged") are mildly negative and stay below the threshold or
  contribute little.
* ``profanity`` -- words of better-profanity's list (minus ``profanity_ignore`` in the phrase
  file), matched on lower-cased tokens.
* ``insult`` -- insults aimed at the bot or the company ("stupid bot", "you are useless idiots").
* ``anger_form`` -- shouting in capitals (share of upper-case letters in words of four or
  more letters, codes such as ``ORD-104233`` left out, with a minimum length), and runs of
  ``!!`` / ``???`` / ``?!``.
* ``frustration_phrase`` -- exasperation on spaCy lemmas ("you're not helping", "this is
  useless", "I already told you", "not what I asked").
* ``complaint`` -- plain complaints ("I have been waiting for weeks", "still nothing", "nobody
  answers", "third time").

The lexicons follow the message's language (``message.data["language"]["code"]`` from the
language tagger, else ``common.language.detect``): English messages get VADER, better-profanity
and ``frustration_phrases.yml`` (on spaCy lemmas); Spanish ones get the same signals from
``frustration_es.yml`` (``bot/frustration_es.py``); a message whose language is unsure gets
both, the stronger score of each signal kept. The phrase lists of the other language apply to
every message too: a customer in a code-switched conversation often complains in their other
language ("estoy harto, seriously" in an English conversation, "this is a joke, de verdad" in a
Spanish one), and the conversation's language (the hub's decision, from its history) does not
follow that one sentence. The phrases are multi-word and language-specific, so they do not fire
on the other language's ordinary sentences; the sentiment lexicons stay with the message's
language. ``anger_form`` reads "¡¡" and "¿¿" like "!!", "??".

Phrase signals count each distinct match (up to ``max_matches``) as independent evidence:
``1 - (1 - weight) ** n``. The message score combines the signals the same way
(``1 - prod(1 - score)``), so it stays in [0, 1], grows with every extra signal and never lets
one weak signal alone look like strong frustration. The registration type is
``MESSAGE_FEATURIZER`` (not trainable): it then runs after the tokenizer in both the training
and the prediction graph, with the spaCy pipeline handed in by ``SpacyNLP``.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bot.frustration_es import (
    DEFAULT_SPANISH_PATH,
    SpanishLexicon,
    SpanishLexiconError,
    message_language,
    shared_spanish_lexicon,
)
from bot.spacy_pipeline import analyse, build_phrase_matcher
from common.explicit_request import expand_alternatives

logger = logging.getLogger(__name__)

FRUSTRATION_KEY = "frustration"
DEFAULT_PHRASES_PATH = Path(__file__).resolve().parent / "resources" / "frustration_phrases.yml"

NEGATIVE_SENTIMENT = "negative_sentiment"
PROFANITY = "profanity"
INSULT = "insult"
ANGER_FORM = "anger_form"
FRUSTRATION_PHRASE = "frustration_phrase"
COMPLAINT = "complaint"
SIGNAL_NAMES = (NEGATIVE_SENTIMENT, PROFANITY, INSULT, ANGER_FORM, FRUSTRATION_PHRASE, COMPLAINT)
PHRASE_SIGNALS = (INSULT, FRUSTRATION_PHRASE, COMPLAINT)

_PUNCT_RUN = re.compile(r"[!?]{2,}")
_INVERTED = str.maketrans("¡¿", "!?")
_LETTERS = re.compile(r"[^\W\d_]+")


class FrustrationConfigError(InvalidConfigException):  # type: ignore[misc]
    """The component's configuration or phrase file is invalid (raised when the model loads)."""


@dataclass(frozen=True)
class Signal:
    """One named reason behind a message's frustration score."""

    name: str
    score: float
    evidence: str

    def as_dict(self) -> dict[str, Any]:
        """The parse-data shape (``frustration.signals[]`` in docs/architecture.md)."""
        return {"name": self.name, "score": round(self.score, 3), "evidence": self.evidence}


@dataclass(frozen=True)
class FrustrationPhrases:
    """Expanded phrase lists per phrase signal, plus the profanity words to ignore."""

    phrases: Mapping[str, tuple[str, ...]]
    profanity_ignore: frozenset[str]


def load_frustration_phrases(path: Path) -> FrustrationPhrases:
    """Read and expand ``frustration_phrases.yml``.

    Raises:
        FrustrationConfigError: when the file is missing or malformed.
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FrustrationConfigError(f"cannot read frustration phrases from {path}: {exc}") from exc
    expected = {*PHRASE_SIGNALS, "profanity_ignore"}
    if not isinstance(document, Mapping) or set(document) - expected:
        raise FrustrationConfigError(f"{path}: expected only the keys {sorted(expected)}")
    phrases: dict[str, tuple[str, ...]] = {}
    for name in (*PHRASE_SIGNALS, "profanity_ignore"):
        entries = document.get(name, [])
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise FrustrationConfigError(f"{path}: {name} must be a list of strings")
        phrases[name] = tuple(
            dict.fromkeys(text.lower() for entry in entries for text in expand_alternatives(entry))
        )
    ignore = frozenset(phrases.pop("profanity_ignore"))
    return FrustrationPhrases(phrases, ignore)


def profanity_words() -> list[str]:
    """better-profanity's shipped word list, read from the package without importing it.

    Importing ``better_profanity`` builds its own censor (every leetspeak variant of every
    word, ~5 MB); only the list is needed here.

    Raises:
        FrustrationConfigError: when the package is not installed.
    """
    spec = importlib.util.find_spec("better_profanity")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        wordlist = Path(location) / "profanity_wordlist.txt"
        if wordlist.is_file():
            lines = wordlist.read_text(encoding="utf-8").splitlines()
            return [line.strip().lower() for line in lines if line.strip()]
    raise FrustrationConfigError("better-profanity is not installed (bot dependency group)")


_NONE = Signal("", 0.0, "")


def combine(scores: Iterable[float]) -> float:
    """Noisy-OR: ``1 - prod(1 - s)``; in [0, 1], and every extra signal raises it."""
    return 1.0 - math.prod(1.0 - min(1.0, max(0.0, score)) for score in scores)


def _shoutable_words(text: str) -> list[str]:
    """Words whose capitals can mean shouting: not codes or amounts, not 3-letter acronyms.

    "My ORDER ORD-104233 EUR 45.50" is not shouting; "WHERE IS MY REFUND" is.
    """
    return [
        word
        for chunk in text.split()
        if not any(ch.isdigit() for ch in chunk)
        for word in _LETTERS.findall(chunk)
        if len(word) > 3
    ]


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


class _Matchers:
    """Phrase matchers bound to one spaCy pipeline (built on first use, then reused)."""

    def __init__(self, nlp: Language, phrases: FrustrationPhrases) -> None:
        self.nlp = nlp
        self.phrases = build_phrase_matcher(nlp, phrases.phrases)
        self.profanity = PhraseMatcher(nlp.vocab, attr="LOWER")
        words = [w for w in profanity_words() if w not in phrases.profanity_ignore]
        self.profanity.add(PROFANITY, [nlp.make_doc(word) for word in words])


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="SpacyNLP",
)
class FrustrationSignals(GraphComponent):  # type: ignore[misc]
    """Adds ``frustration`` (score and named signals) to every parsed message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Every tunable, overridable per key from ``config.yml``."""
        return {
            # Contribution of a signal at full strength (phrase signals: of each match).
            "weights": {
                NEGATIVE_SENTIMENT: 0.6,
                PROFANITY: 0.5,
                INSULT: 0.8,
                ANGER_FORM: 0.45,
                FRUSTRATION_PHRASE: 0.6,
                COMPLAINT: 0.4,
            },
            # Distinct matches of one phrase signal that still add evidence.
            "max_matches": 3,
            # VADER compound at or below -threshold counts as clearly negative.
            "sentiment_threshold": 0.5,
            # Capitals count as shouting from this many letters and this share of upper case.
            "caps_min_letters": 8,
            "caps_ratio": 0.7,
            # Shortest run of "!" (and of "?") that counts; mixed "?!" runs count from 2.
            "exclamation_run": 2,
            "question_run": 3,
            # Longest evidence text kept per signal (the agent sees it in the handoff).
            "evidence_max_chars": 80,
            # None: bot/resources/frustration_phrases.yml.
            "phrases_path": None,
            # None: bot/resources/frustration_es.yml (Spanish messages).
            "spanish_path": None,
        }

    def __init__(self, config: Mapping[str, Any]) -> None:
        """Validate the configuration and load the phrase lists (matchers come later)."""
        defaults = self.get_default_config()
        weights = {**defaults["weights"], **(config.get("weights") or {})}
        unknown = set(weights) - set(SIGNAL_NAMES)
        if unknown:
            raise FrustrationConfigError(f"unknown frustration signals in weights: {unknown}")
        if not all(isinstance(w, int | float) and 0.0 <= w <= 1.0 for w in weights.values()):
            raise FrustrationConfigError(f"frustration weights must be in [0, 1]: {weights}")
        self._weights: dict[str, float] = {name: float(w) for name, w in weights.items()}
        settings = {**defaults, **config}
        self._max_matches = int(settings["max_matches"])
        self._sentiment_threshold = float(settings["sentiment_threshold"])
        self._caps_min_letters = int(settings["caps_min_letters"])
        self._caps_ratio = float(settings["caps_ratio"])
        self._exclamation_run = int(settings["exclamation_run"])
        self._question_run = int(settings["question_run"])
        self._evidence_max = int(settings["evidence_max_chars"])
        path = settings["phrases_path"]
        self._phrases = load_frustration_phrases(Path(path) if path else DEFAULT_PHRASES_PATH)
        self._sentiment = SentimentIntensityAnalyzer()
        spanish = settings["spanish_path"]
        try:
            self._spanish: SpanishLexicon = shared_spanish_lexicon(
                Path(spanish).resolve() if spanish else DEFAULT_SPANISH_PATH
            )
        except SpanishLexiconError as exc:
            raise FrustrationConfigError(str(exc)) from exc
        self._matchers: _Matchers | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FrustrationSignals:
        """Create the component (nothing is trained or persisted)."""
        return cls(config)

    @classmethod
    def required_components(cls) -> list[type]:
        """The spaCy pipeline must be loaded first."""
        return [SpacyNLP]

    @staticmethod
    def required_packages() -> list[str]:
        """Packages whose data this component reads."""
        return ["spacy", "vaderSentiment", "better_profanity"]

    def process_training_data(self, training_data: TrainingData, model: SpacyModel) -> TrainingData:
        """Score training examples too, so evaluation tools see the same record."""
        self.process(training_data.training_examples, model)
        return training_data

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        """Add the ``frustration`` record to each message (empty text scores 0)."""
        for message in messages:
            text = message.get(TEXT) or ""
            language = message_language(message.data, text)
            report = self.score(text, model.model, message.get(SPACY_DOCS[TEXT]), language)
            message.set(FRUSTRATION_KEY, report, add_to_output=True)
        return messages

    def score(
        self, text: str, nlp: Language, doc: Doc | None = None, language: str | None = "en"
    ) -> dict[str, Any]:
        """Score one message.

        Args:
            text: The message as typed (capitals matter for ``anger_form``).
            nlp: The spaCy pipeline (lemmas for the English phrase matchers).
            doc: The lower-cased doc ``SpacyNLP`` already made, reused when present.
            language: "en" or "es" picks that language's sentiment lexicon; None (unsure)
                applies both. The phrase lists of both languages always apply.

        Returns:
            ``{"score": float, "signals": [{"name", "score", "evidence"}, ...]}``, strongest
            signal first.
        """
        if not text.strip():
            return {"score": 0.0, "signals": []}
        found: list[Signal | None] = [self._anger_form(text)]
        if language != "es":
            if doc is None:
                doc = analyse(nlp, text.lower())
            found += [self._negative_sentiment(text), *self._phrase_signals(text, doc, nlp)]
        else:
            # A Spanish message's doc comes from the Spanish pipeline: the English phrases
            # read English lemmas, so they get their own doc (code-switched complaints).
            found += self._phrase_signals(text, analyse(nlp, text.lower()), nlp)
        if language != "en":
            found += [self._sentiment_signal(self._spanish.compound(text), text)]
        found += self._spanish_phrase_signals(text)
        strongest: dict[str, Signal] = {}
        for signal in found:
            if signal is not None and signal.score > strongest.get(signal.name, _NONE).score:
                strongest[signal.name] = signal
        signals = sorted(strongest.values(), key=lambda sig: -sig.score)
        return {
            "score": round(combine(sig.score for sig in signals), 3),
            "signals": [sig.as_dict() for sig in signals],
        }

    def _evidence(self, text: str) -> str:
        text = " ".join(text.split())
        if len(text) <= self._evidence_max:
            return text
        return text[: self._evidence_max - 1].rstrip() + "…"

    def _negative_sentiment(self, text: str) -> Signal | None:
        return self._sentiment_signal(
            float(self._sentiment.polarity_scores(text)["compound"]), text
        )

    def _sentiment_signal(self, compound: float, text: str) -> Signal | None:
        threshold = self._sentiment_threshold
        if compound > -threshold or threshold >= 1.0:
            return None
        strength = _clip((-compound - threshold) / (1.0 - threshold))
        return Signal(
            NEGATIVE_SENTIMENT, self._weights[NEGATIVE_SENTIMENT] * strength, self._evidence(text)
        )

    def _anger_form(self, text: str) -> Signal | None:
        evidence: list[str] = []
        parts: list[float] = []
        letters = "".join(_shoutable_words(text))
        if len(letters) >= self._caps_min_letters and self._caps_ratio < 1.0:
            ratio = sum(ch.isupper() for ch in letters) / len(letters)
            if ratio >= self._caps_ratio:
                parts.append(0.5 + 0.5 * (ratio - self._caps_ratio) / (1.0 - self._caps_ratio))
                evidence.append(f"capitals {ratio:.0%}")
        punct = 0.0
        for run in _PUNCT_RUN.findall(text.translate(_INVERTED)):
            if "!" in run and "?" in run:
                minimum = 2
            elif "!" in run:
                minimum = self._exclamation_run
            else:
                minimum = self._question_run
            if len(run) >= minimum:
                punct = max(punct, min(1.0, 0.5 + 0.25 * (len(run) - minimum)))
                evidence.append(run)
        if punct:
            parts.append(punct)
        if not parts:
            return None
        return Signal(ANGER_FORM, self._weights[ANGER_FORM] * combine(parts), ", ".join(evidence))

    def _spanish_phrase_signals(self, text: str) -> list[Signal]:
        found: dict[str, list[str]] = {}
        for match in self._spanish.find(text):
            found.setdefault(match.signal, []).append(match.text)
        return [self._phrase_signal(name, quoted) for name, quoted in found.items()]

    def _phrase_signal(self, name: str, quoted: list[str]) -> Signal:
        distinct = list(dict.fromkeys(quoted))
        count = min(len(distinct), self._max_matches)
        strength = 1.0 - (1.0 - self._weights[name]) ** count
        return Signal(name, strength, self._evidence("; ".join(distinct)))

    def _matchers_for(self, nlp: Language) -> _Matchers:
        if self._matchers is None or self._matchers.nlp is not nlp:
            self._matchers = _Matchers(nlp, self._phrases)
        return self._matchers

    def _phrase_signals(self, text: str, doc: Doc, nlp: Language) -> list[Signal]:
        matchers = self._matchers_for(nlp)
        # The doc is lower-cased; quote the customer's own spelling when offsets line up.
        same_offsets = len(doc.text) == len(text)
        found: dict[str, list[Span]] = {}
        for match_id, start, end in matchers.phrases(doc):
            found.setdefault(nlp.vocab.strings[match_id], []).append(doc[start:end])
        for _match_id, start, end in matchers.profanity(doc):
            found.setdefault(PROFANITY, []).append(doc[start:end])
        signals: list[Signal] = []
        for name, spans in found.items():
            # "this is useless" also contains "useless": overlapping matches are one piece of
            # evidence, the longest one.
            kept = sorted(filter_spans(spans), key=lambda span: span.start)
            quoted = [text[s.start_char : s.end_char] if same_offsets else s.text for s in kept]
            signals.append(self._phrase_signal(name, quoted))
        return signals
