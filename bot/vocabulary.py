"""How much of a message the NLU could have understood: a trainable Rasa NLU component.

The intent classifier always picks *some* intent, often confidently, even for keyboard mashing
("qwerty" read as ``thank``, "zzzz" as ``out_of_scope``): a softmax (DIET's or a linear
classifier's) has no "none of these" class, and ``FallbackClassifier`` only sees that
confidence. Whether the *words* of a message were ever seen in training is a better test of
"not understood". This component learns the
training vocabulary at train time, persists it with the model, and adds to every parsed message
(docs/architecture.md, "NLU output added to parse data")::

    "understood": {"known_ratio": 0.0, "words": 1, "unknown": ["qwerty"], "confused": false}

* ``known_ratio`` -- share of the message's words found in the training vocabulary (1.0 when it
  has no words at all, e.g. "ORD-104233" or "!!"): nothing in it was unknown.
* ``words`` -- how many words were checked; pieces of text with digits (order numbers,
  amounts) and e-mail addresses or URLs are left out: they are data, not language.
* ``unknown`` -- the first few unknown words, as evidence for the agent.
* ``confused`` -- the message is a bewildered reaction such as "???", "what??" or "huh?": it has a
  question mark and no words other than ``confusion_words``.

The handoff policy (``bot/conversation_signals.py``) counts a message with ``known_ratio`` below
its ``min_known_ratio`` as not understood for the consecutive-fallback signal, and lets a
confused reaction right after not-understood messages extend that streak.

Words are compared in the form the hub's guard uses (``common.explicit_request.surface_words``
and ``stem``: lower case, accents and apostrophes dropped, a small suffix stemmer), so
"refunds"/"refunded" meet "refund" without spaCy, and letters typed three or more times are
collapsed ("pleeease"). The vocabulary is whatever the model was trained on, so it follows the
NLU data automatically: retraining with new examples teaches it new words.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import dump_obj_as_json_to_file, read_json_file

from common.explicit_request import elongation_variants, normalise, stem, surface_words

logger = logging.getLogger(__name__)

UNDERSTOOD_KEY = "understood"
VOCABULARY_FILE = "vocabulary.json"

# Reactions that say "I don't follow" (English and Spanish, accents optional). Only whole
# messages made of these words plus a question mark count ("what??", "que?"); "what is my
# balance?" does not.
DEFAULT_CONFUSION_WORDS: tuple[str, ...] = (
    "what",
    "wat",
    "wut",
    "huh",
    "eh",
    "hm",
    "hmm",
    "um",
    "umm",
    "sorry",
    "pardon",
    "wtf",
    "que",
    "como",
    "perdon",
)


def _is_data(piece: str) -> bool:
    """Order numbers, amounts, dates, e-mail addresses, URLs: data, not vocabulary."""
    return "@" in piece or "://" in piece or any(ch.isdigit() for ch in piece)


def message_words(text: str) -> list[str]:
    """The words of ``text`` that vocabulary is checked on (normalised, data left out).

    Whitespace-separated pieces with a digit, an "@" or a URL scheme are removed before
    splitting, so "ORD-104233" or "bob@example.com" do not turn into unknown words.
    """
    return surface_words(" ".join(piece for piece in text.split() if not _is_data(piece)))


def word_forms(word: str) -> tuple[str, ...]:
    """The forms under which a word may be in the vocabulary (stemmed, elongations collapsed)."""
    return tuple(dict.fromkeys(stem(variant) for variant in elongation_variants(word)))


def learn_vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """Every word form of the given training texts."""
    return frozenset(stem(word) for text in texts for word in message_words(text))


def stop_word_forms(languages: Iterable[str]) -> frozenset[str]:
    """The stop words spaCy ships for the given languages, in vocabulary form.

    Function words ("could", "about", "por") say nothing about what a message means, and a
    few dozen training examples never contain them all; they count as known so that a plain
    sentence with one new noun is not mistaken for gibberish.

    Raises:
        InvalidConfigException: for a language spaCy has no stop-word list for.
    """
    forms: set[str] = set()
    for language in languages:
        try:
            module = importlib.import_module(f"spacy.lang.{language}.stop_words")
        except ImportError as error:
            raise InvalidConfigException(
                f"TrainingVocabulary: spaCy has no stop words for language {language!r}"
            ) from error
        forms.update(stem(word) for text in module.STOP_WORDS for word in message_words(text))
    return frozenset(forms)


@dataclass(frozen=True)
class Understanding:
    """What :func:`assess` found out about one message."""

    known_ratio: float
    words: int
    unknown: tuple[str, ...]
    confused: bool

    def as_dict(self) -> dict[str, Any]:
        """The ``understood`` parse-data record (docs/architecture.md)."""
        return {
            "known_ratio": round(self.known_ratio, 3),
            "words": self.words,
            "unknown": list(self.unknown),
            "confused": self.confused,
        }


def assess(
    text: str,
    vocabulary: frozenset[str],
    confusion_words: frozenset[str],
    max_unknown: int = 5,
) -> Understanding:
    """Share of known words, the unknown ones, and whether the message is a confused reaction.

    Args:
        text: The message as typed.
        vocabulary: Word forms learnt from the training data (:func:`learn_vocabulary`).
        confusion_words: Stemmed words that on their own, with a "?", mean "I don't follow".
        max_unknown: How many unknown words to report as evidence.
    """
    found = message_words(text)
    unknown = [word for word in found if not any(f in vocabulary for f in word_forms(word))]
    ratio = 1.0 - len(unknown) / len(found) if found else 1.0
    confused = "?" in text and all(
        any(form in confusion_words for form in word_forms(word)) for word in found
    )
    return Understanding(ratio, len(found), tuple(dict.fromkeys(unknown))[:max_unknown], confused)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=True,
)
class TrainingVocabulary(GraphComponent):  # type: ignore[misc]
    """Adds ``understood`` (known-word ratio, confused reaction) to every parsed message.

    Registered as a trainable ``MESSAGE_FEATURIZER`` so that it sees the training data at
    train time (to learn the vocabulary) and runs on every message at prediction time; it adds
    no features, only the parse-data record.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Tunables, overridable per key from ``config.yml``."""
        return {
            # Single words that, alone with a "?", make a message a confused reaction.
            "confusion_words": list(DEFAULT_CONFUSION_WORDS),
            # Unknown words reported per message (evidence for the agent).
            "max_unknown": 5,
            # spaCy stop words of these languages count as known (function words).
            "stop_word_languages": ["en", "es"],
        }

    def __init__(
        self,
        config: Mapping[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: frozenset[str] = frozenset(),
    ) -> None:
        """Validate the configuration; ``vocabulary`` is empty until trained or loaded."""
        settings = {**self.get_default_config(), **config}
        words = settings["confusion_words"]
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise InvalidConfigException(
                f"TrainingVocabulary: confusion_words must be a list of words, got {words!r}"
            )
        self._confusion = frozenset(stem(normalise(word)) for word in words)
        self._max_unknown = int(settings["max_unknown"])
        if self._max_unknown < 0:
            raise InvalidConfigException("TrainingVocabulary: max_unknown must be >= 0")
        languages = settings["stop_word_languages"]
        if not isinstance(languages, list):
            raise InvalidConfigException(
                f"TrainingVocabulary: stop_word_languages must be a list, got {languages!r}"
            )
        self._function_words = stop_word_forms(str(language) for language in languages)
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TrainingVocabulary:
        """Create an untrained component (empty vocabulary)."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TrainingVocabulary:
        """Load the persisted vocabulary.

        A model without it cannot tell known from unknown words; rather than calling every
        word unknown (and handing off calm customers), it then reports every message as fully
        known and logs an error.
        """
        try:
            with model_storage.read_from(resource) as directory:
                words = read_json_file(Path(directory) / VOCABULARY_FILE)["words"]
        except (ValueError, KeyError, TypeError, FileNotFoundError) as error:
            logger.error("TrainingVocabulary: no persisted vocabulary (%s); disabled.", error)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, frozenset(str(word) for word in words))

    def train(self, training_data: TrainingData) -> Resource:
        """Learn the vocabulary of every training example and persist it."""
        texts = [message.get(TEXT) or "" for message in training_data.training_examples]
        self.vocabulary = learn_vocabulary(texts)
        if not self.vocabulary:
            logger.warning("TrainingVocabulary: the training data has no words.")
        with self._model_storage.write_to(self._resource) as directory:
            dump_obj_as_json_to_file(
                Path(directory) / VOCABULARY_FILE, {"words": sorted(self.vocabulary)}
            )
        logger.debug("TrainingVocabulary: learnt %d word forms.", len(self.vocabulary))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Annotate training examples too, so evaluation tools see the same record."""
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the ``understood`` record to each message (nothing when untrained)."""
        if not self.vocabulary:
            return messages
        for message in messages:
            report = self.assess(message.get(TEXT) or "")
            message.set(UNDERSTOOD_KEY, report.as_dict(), add_to_output=True)
        return messages

    def assess(self, text: str) -> Understanding:
        """:func:`assess` with this component's vocabulary and settings."""
        return assess(
            text, self.vocabulary | self._function_words, self._confusion, self._max_unknown
        )
