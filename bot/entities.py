"""Rasa's ``SpacyEntityExtractor`` that runs only the entity ruler when that is all it needs.

Stock ``SpacyEntityExtractor`` runs the whole spaCy pipeline a second time on every message
(entity values must keep the customer's casing, and ``SpacyNLP`` ran it on lower-cased text).
The project's pipeline (``bot/spacy_pipeline.py``) sets lemmas, which entities do not need,
and then runs an entity ruler whose patterns read only attributes the tokenizer provides
(``LOWER``, ``ORTH``, ``LIKE_EMAIL``...): the tokenizer and the ruler alone give the same
entities, for less.

That is checked once per loaded pipeline, not assumed: the shortcut is taken only when every
component is an attribute ruler, a lemmatizer or an entity ruler, and every entity-ruler
pattern reads only tokenizer attributes. Any other pipeline (a statistical ``ner``, a pattern
on ``LEMMA``...) gets stock behaviour. Output, configuration (``dimensions``) and training are
stock ``SpacyEntityExtractor``'s; with one pipeline per language (``bot.spacy_languages``)
each message is read by its language's pipeline.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from spacy.language import Language
from spacy.tokens import Doc

from bot.spacy_languages import pipeline_for

# Components whose output the entity ruler cannot see unless a pattern reads what they set.
_TOKEN_ANNOTATORS = frozenset({"attribute_ruler", "lemmatizer"})
_ENTITY_RULERS = frozenset({"entity_ruler"})
# Token attributes set by the tokenizer and the vocabulary alone (plus the pattern operator);
# not NORM, LEMMA, POS, TAG or MORPH, which the attribute ruler and the lemmatizer may set.
TOKENIZER_ATTRIBUTES = frozenset(
    {
        "ORTH",
        "TEXT",
        "LOWER",
        "SHAPE",
        "PREFIX",
        "SUFFIX",
        "LENGTH",
        "IS_ALPHA",
        "IS_ASCII",
        "IS_DIGIT",
        "IS_LOWER",
        "IS_UPPER",
        "IS_TITLE",
        "IS_PUNCT",
        "IS_SPACE",
        "IS_BRACKET",
        "IS_QUOTE",
        "IS_LEFT_PUNCT",
        "IS_RIGHT_PUNCT",
        "IS_CURRENCY",
        "LIKE_NUM",
        "LIKE_EMAIL",
        "LIKE_URL",
        "OP",
    }
)


def _pattern_attributes(pattern: Any) -> set[str]:
    if isinstance(pattern, str):  # a phrase pattern: matched on the ruler's phrase attribute
        return set()
    return {str(key).upper() for token in pattern for key in token}


def ruler_only_components(nlp: Language) -> list[Any] | None:
    """The entity rulers, if they alone decide the entities (see the module docstring)."""
    factories = [nlp.get_pipe_meta(name).factory for name in nlp.pipe_names]
    if not factories or any(f not in _TOKEN_ANNOTATORS | _ENTITY_RULERS for f in factories):
        return None
    rulers = [
        component
        for name, component in nlp.pipeline
        if nlp.get_pipe_meta(name).factory in _ENTITY_RULERS
    ]
    for ruler in rulers:
        phrase_attribute = getattr(ruler, "phrase_matcher_attr", None)
        if phrase_attribute not in (None, "ORTH", "TEXT", "LOWER"):
            return None
        for entry in getattr(ruler, "patterns", []):
            if not _pattern_attributes(entry["pattern"]) <= TOKENIZER_ATTRIBUTES:
                return None
    return rulers


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False, model_from="SpacyNLP"
)
class RulerEntityExtractor(SpacyEntityExtractor):  # type: ignore[misc]
    """``SpacyEntityExtractor`` running only the entity ruler when it can (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Create the extractor (arguments as for ``SpacyEntityExtractor``)."""
        super().__init__(*args, **kwargs)
        self._plans: dict[int, tuple[Language, list[Any] | None]] = {}

    def _doc(self, nlp: Language, text: str) -> Doc:
        plan = self._plans.get(id(nlp))
        if plan is None or plan[0] is not nlp:
            plan = (nlp, ruler_only_components(nlp))
            self._plans[id(nlp)] = plan
        rulers = plan[1]
        if rulers is None:
            return nlp(text)
        doc = nlp.make_doc(text)
        for ruler in rulers:
            doc = ruler(doc)
        return doc

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        """Stock ``process``, with the document built by :meth:`_doc`."""
        for message in messages:
            # The pipeline of the message's language (the only one for a plain SpacyModel).
            doc = self._doc(pipeline_for(model, message), message.get(TEXT))
            extracted = self.filter_irrelevant_entities(
                self.add_extractor_name(self._extract_entities(doc)), self._config["dimensions"]
            )
            message.set(ENTITIES, message.get(ENTITIES, []) + extracted, add_to_output=True)
        return messages
