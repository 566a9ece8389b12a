"""Explicit requests for a person, matched on spaCy lemmas: a Rasa NLU component.

Adds to every parsed message (docs/architecture.md, "NLU output added to parse data")::

    "explicit_request": {"matched": true, "phrase": "talk to a person", "language": "en"}

The handoff policy hands off at once when ``matched`` is true, whatever the intent classifier
thought, so a request buried in a longer message ("ugh just get me an agent, my refund is
missing") or typed mid-form still reaches a person.

The phrase list (``bot/resources/explicit_request_phrases.yml``) and the matching itself are
the hub guard's (``common.explicit_request.PhraseMatcher``), so both decide alike; this
component only supplies the tokenizer: the same words, keyed by their spaCy lemma ("talking
to", "spoke with" and "agents" meet their base forms), see :func:`lemma_tokens`.

Registered as a non-trainable ``MESSAGE_FEATURIZER`` so that it runs after the tokenizer in
both the training and the prediction graph, with the spaCy pipeline provided by ``SpacyNLP``.

:class:`DeclinedRequestFilter` runs after the intent classifier: when the matcher saw the
customer say no person is needed ("sin necesidad de hablar con un agente, ¿cuánto debo?",
``blocked: "no need: ..."``), ``request_human`` is taken out of the intent ranking (the rest
keep their confidences), so the bot answers the question, or says it did not understand,
instead of handing off. The same when the matcher read the message as someone else's words
reported and no request (``blocked: "reported speech: ..."``, round 26: "el repartidor dijo
que tenía que firmar una persona mayor de edad").
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
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.language import Language
from spacy.tokens import Doc

from bot.ranking_filter import RankingFilter
from bot.spacy_pipeline import analyse
from common.explicit_request import (
    NO_MATCH,
    NO_NEED_PREFIX,
    REPORTED_SPEECH_PREFIX,
    ExplicitRequestMatch,
    PhraseBook,
    PhraseListError,
    PhraseMatcher,
    Token,
    load_phrase_book,
    match_key,
    word_spans,
)

logger = logging.getLogger(__name__)

EXPLICIT_REQUEST_KEY = "explicit_request"
# Added to the explicit_request record when the filter overruled the classifier.
OVERRULED_KEY = "overruled_intent"


def lemma_tokens(doc: Doc) -> list[Token]:
    """The words of ``doc``'s text (cut as the hub cuts them), keyed by their spaCy lemma.

    A word that spaCy keeps as one token is keyed by that token's lemma; a word it splits or
    joins with its neighbours ("dont" is "do" + "nt", an e-mail address is one token) is keyed
    by the word itself, exactly as the hub's tokenizer keys it.
    """
    tokens_at = {token.idx: token for token in doc}
    tokens = []
    for word in word_spans(doc.text):
        token = tokens_at.get(word.start)
        lemma = token.lemma_.lower() if token is not None and token.lower_ == word.text else ""
        tokens.append(Token(match_key(lemma or word.text), word.text))
    return tokens


class _LemmaMatcher:
    """The shared phrase matcher with the spaCy tokenizer of one pipeline."""

    def __init__(self, nlp: Language, book: PhraseBook) -> None:
        self.nlp = nlp
        self._matcher = PhraseMatcher(book, self.tokens)

    def tokens(self, text: str, doc: Doc | None = None) -> list[Token]:
        """Tokens of ``text``, from ``doc`` when it is a doc of exactly that text."""
        if doc is None or doc.text != text:
            doc = analyse(self.nlp, text)
        return lemma_tokens(doc)

    def match(self, text: str, doc: Doc | None) -> ExplicitRequestMatch:
        """Match ``text``; ``doc`` (the lower-cased doc from ``SpacyNLP``) is reused if it fits."""
        return self._matcher.match(text, lambda variant: self.tokens(variant, doc))


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
        """Load the shared phrase list; the matcher is built for the first pipeline it sees."""
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


def declined(record: Any) -> bool:
    """Whether an ``explicit_request`` record says the customer declined a person."""
    if not isinstance(record, dict) or record.get("matched"):
        return False
    blocked = record.get("blocked")
    return isinstance(blocked, str) and blocked.startswith(NO_NEED_PREFIX)


def disregarded(record: Any) -> bool:
    """Whether the NLU's ``request_human`` should not count for this message.

    The customer declined a person, or the matcher read someone else's words reported ("my
    bank's rep said ...", "el repartidor dijo ...") and no request in the message.
    """
    if declined(record):
        return True
    if not isinstance(record, dict) or record.get("matched"):
        return False
    blocked = record.get("blocked")
    return isinstance(blocked, str) and blocked.startswith(REPORTED_SPEECH_PREFIX)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class DeclinedRequestFilter(RankingFilter):
    """Takes ``request_human`` out of the ranking of a message that declines a person.

    Goes after the intent classifier and before ``FallbackClassifier`` (which then judges the
    renormalised top intent as usual).
    """

    default_intent = "request_human"

    def process(self, messages: list[Message]) -> list[Message]:
        """Overrule the classifier's ``request_human`` where the customer declined a person."""
        for message in messages:
            record = message.get(EXPLICIT_REQUEST_KEY)
            ranking = message.get(INTENT_RANKING_KEY) or []
            if not disregarded(record) or not any(
                item.get(INTENT_NAME_KEY) == self._intent for item in ranking
            ):
                continue
            confidence = (message.get(INTENT) or {}).get(PREDICTED_CONFIDENCE_KEY)
            top = self.take_out(message)
            if top is not None:
                message.set(
                    EXPLICIT_REQUEST_KEY,
                    {**record, OVERRULED_KEY: confidence},
                    add_to_output=True,
                )
                logger.debug("request_human overruled (%s): now %s", record.get("blocked"), top)
        return messages
