"""Explicit requests for a person, matched on spaCy lemmas: a Rasa NLU component.

Adds to every parsed message (docs/architecture.md, "NLU output added to parse data")::

    "explicit_request": {"matched": true, "phrase": "talk to a person", "language": "en"}

The handoff policy hands off at once when ``matched`` is true, whatever the intent classifier
thought, so a request buried in a longer message ("ugh just get me an agent, my refund is
missing") or typed mid-form still reaches a person.

The phrase list is ``bot/resources/explicit_request_phrases.yml``, shared with the hub's guard
(``common/explicit_request.py``), which also owns the normalisation (lower case, accents
optional, elongations collapsed), the ``{a|b|}`` expansion and the rule for picking a match
(longest, not inside a ``not_requests`` phrase), so both matchers agree. Here phrases and text
are compared on spaCy lemmas ("talking to", "spoke with" and "agents" meet their base forms).

Registered as a non-trainable ``MESSAGE_FEATURIZER`` so that it runs after the tokenizer in
both the training and the prediction graph, with the spaCy pipeline provided by ``SpacyNLP``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

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
from spacy.tokens import Doc

from bot.spacy_pipeline import analyse, analyse_many, build_phrase_matcher
from common.explicit_request import (
    NO_MATCH,
    ExplicitRequestMatch,
    PhraseBook,
    PhraseListError,
    SpanMatch,
    elongation_variants,
    load_phrase_book,
    normalise,
    pick_match,
)

logger = logging.getLogger(__name__)

EXPLICIT_REQUEST_KEY = "explicit_request"
_EXCLUSION_KEY = "not_request"


class _LemmaMatcher:
    """The phrase book compiled into spaCy phrase matchers for one pipeline."""

    def __init__(self, nlp: Language, book: PhraseBook) -> None:
        self.nlp = nlp
        self._phrases = book.phrases
        docs = analyse_many(nlp, [normalise(phrase.text) for phrase in book.phrases])
        self._surfaces = [_surface(doc) for doc in docs]
        # One match key per phrase: the key's string is the phrase's index in the book.
        self._requests = build_phrase_matcher(nlp, {str(i): [doc] for i, doc in enumerate(docs)})
        self._exclusions = build_phrase_matcher(
            nlp, {_EXCLUSION_KEY: [normalise(text) for text in book.exclusions]}
        )

    def match(self, text: str, doc: Doc | None) -> ExplicitRequestMatch:
        """Match ``text``; ``doc`` (the lower-cased doc from ``SpacyNLP``) is reused if it fits."""
        strings = self.nlp.vocab.strings
        for variant in elongation_variants(normalise(text)):
            variant_doc = doc if doc is not None and doc.text == variant else None
            if variant_doc is None:
                variant_doc = analyse(self.nlp, variant)
            exclusions = [(start, end) for _, start, end in self._exclusions(variant_doc)]
            typed = _surface(variant_doc)
            candidates = []
            for match_id, start, end in self._requests(variant_doc):
                rank = int(strings[match_id])
                listed = self._surfaces[rank]
                same = sum(a == b for a, b in zip(typed[start:end], listed, strict=True))
                candidates.append(SpanMatch(start, end, self._phrases[rank], rank, same))
            found = pick_match(candidates, exclusions)
            if found.matched:
                return found
        return NO_MATCH


def _surface(doc: Doc) -> list[str]:
    """Token texts as typed, lower case, for telling apart phrases that share lemmas."""
    return [token.lower_ for token in doc]


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="SpacyNLP",
)
class ExplicitRequestMatcher(GraphComponent):  # type: ignore[misc]
    """Adds ``explicit_request`` (matched, phrase, language) to every parsed message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Tunables: only where the phrase list lives (None: the shared default file)."""
        return {"phrases_path": None}

    def __init__(self, config: dict[str, Any]) -> None:
        """Load the shared phrase list; the spaCy matchers are built on first use."""
        path = {**self.get_default_config(), **config}["phrases_path"]
        try:
            self._book = load_phrase_book(Path(path) if path else None)
        except PhraseListError as exc:
            logger.error("explicit-request phrase list unusable: %s", exc)
            raise InvalidConfigException(str(exc)) from exc
        self._matcher: _LemmaMatcher | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ExplicitRequestMatcher:
        """Create the component (nothing is trained or persisted)."""
        return cls(config)

    @classmethod
    def required_components(cls) -> list[type]:
        """The spaCy pipeline must be loaded first."""
        return [SpacyNLP]

    @staticmethod
    def required_packages() -> list[str]:
        """Packages this component needs."""
        return ["spacy"]

    def process_training_data(self, training_data: TrainingData, model: SpacyModel) -> TrainingData:
        """Annotate training examples too, so evaluation tools see the same record."""
        self.process(training_data.training_examples, model)
        return training_data

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        """Add the ``explicit_request`` record to each message."""
        for message in messages:
            found = self.match(message.get(TEXT) or "", model.model, message.get(SPACY_DOCS[TEXT]))
            message.set(EXPLICIT_REQUEST_KEY, found.as_dict(), add_to_output=True)
        return messages

    def match(self, text: str, nlp: Language, doc: Doc | None = None) -> ExplicitRequestMatch:
        """Whether ``text`` asks for a person (``doc``: the lower-cased doc, if any)."""
        if not text.strip():
            return NO_MATCH
        if self._matcher is None or self._matcher.nlp is not nlp:
            self._matcher = _LemmaMatcher(nlp, self._book)
        return self._matcher.match(text, doc)
