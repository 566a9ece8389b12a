"""Rasa's ``SpacyNLP`` with one spaCy pipeline per language, and the step that uses them.

``config.yml`` names the English pipeline as ``model`` (as for stock ``SpacyNLP``) and the
others under ``models`` (language code -> path). :class:`SpacyNLP` loads them all and gives
every message the English doc, exactly as stock ``SpacyNLP`` does: the phrase matchers that
come next (``bot.explicit_request``, ``bot.frustration``) key their multilingual phrase books
by the English pipeline's lemmas, so they must see that doc. :class:`LanguageDocs`, after
them, gives each message tagged with another language (``bot.language_tagger``) the doc of
that language's pipeline, in training and in serving, so the tokenizer, the featurizers and
the entity extractor read a Spanish message with Spanish tokens, lemmas and patterns. An
English message is not touched (no cost).

Components that take the provided model (``model_from="SpacyNLP"``) get a
:class:`LanguageSpacyModel`: its ``model`` is the English pipeline, as before, and
:func:`pipeline_for` gives the pipeline of a message's language. The class keeps the name
``SpacyNLP`` because Rasa's recipe finds a component's model provider by class name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, SPACY_DOCS
from rasa.nlu.utils import spacy_utils
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.language import Language

from bot.language_tagger import message_language

MODELS_KEY = "models"


@dataclass
class LanguageSpacyModel(spacy_utils.SpacyModel):  # type: ignore[misc]
    """The default (English) pipeline as ``model``, plus every language's under ``models``."""

    models: dict[str, Language] = field(default_factory=dict)

    def for_language(self, code: str) -> Language:
        """The pipeline for ``code``; the default one for a language without its own."""
        pipeline = self.models.get(code)
        return pipeline if pipeline is not None else self.model  # type: ignore[no-any-return]


def pipeline_for(model: spacy_utils.SpacyModel, message: Message) -> Language:
    """The spaCy pipeline for ``message``'s language (the only one for a plain model)."""
    if isinstance(model, LanguageSpacyModel):
        return model.for_language(message_language(message))
    pipeline: Language = model.model
    return pipeline


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.MODEL_LOADER,
        DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER,
    ],
    is_trainable=False,
    model_from="SpacyNLP",
)
class SpacyNLP(spacy_utils.SpacyNLP):  # type: ignore[misc]
    """Stock ``SpacyNLP`` that also loads a pipeline per language (module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Stock options plus ``models``: language code -> pipeline path."""
        return {**spacy_utils.SpacyNLP.get_default_config(), MODELS_KEY: {}}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpacyNLP:
        """Load the default pipeline and each language's (stock checks for every one)."""
        config = {**cls.get_default_config(), **config}
        default = cls.load_model(config.get("model"))
        cls.ensure_proper_language_model(default.model)
        models = {str(default.model.lang): default.model}
        paths = config[MODELS_KEY] or {}
        if not isinstance(paths, dict):
            raise InvalidConfigException("SpacyNLP `models` must map language codes to paths")
        for code, path in sorted(paths.items()):
            loaded = cls.load_model(path).model
            cls.ensure_proper_language_model(loaded)
            if loaded.lang != code:
                raise InvalidConfigException(
                    f"SpacyNLP models.{code} is a pipeline for {loaded.lang!r}: {path}"
                )
            models[code] = loaded
        names = "+".join([str(config.get("model")), *(str(paths[c]) for c in sorted(paths))])
        return cls(LanguageSpacyModel(default.model, names, models), config)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False, model_from="SpacyNLP"
)
class LanguageDocs(GraphComponent):  # type: ignore[misc]
    """Replaces the English doc of a message in another language with its language's doc."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDocs:
        """Create the component (nothing is trained or persisted)."""
        return cls(config)

    def __init__(self, config: dict[str, Any]) -> None:
        """Prepare texts as ``SpacyNLP`` does (lower-cased unless ``case_sensitive``)."""
        self._case_sensitive = bool({**self.get_default_config(), **config}["case_sensitive"])

    def _text(self, message: Message, attribute: str) -> str:
        text = message.get(attribute) or ""
        return str(text) if self._case_sensitive else str(text).lower()

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Same ``case_sensitive`` option as ``SpacyNLP`` (set both alike)."""
        return {"case_sensitive": False}

    @classmethod
    def required_components(cls) -> list[type]:
        """The pipelines must be loaded (and the English docs made) first."""
        return [SpacyNLP]

    def _others(
        self, messages: list[Message], model: spacy_utils.SpacyModel
    ) -> dict[int, tuple[Language, list[Message]]]:
        groups: dict[int, tuple[Language, list[Message]]] = {}
        for message in messages:
            nlp = pipeline_for(model, message)
            if nlp is not model.model:
                groups.setdefault(id(nlp), (nlp, []))[1].append(message)
        return groups

    def process_training_data(
        self, training_data: TrainingData, model: spacy_utils.SpacyModel
    ) -> TrainingData:
        """Training examples in another language get that language's docs, piped in batches."""
        for nlp, examples in self._others(training_data.training_examples, model).values():
            for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                texts = [self._text(e, attribute) for e in examples]
                piped = iter(nlp.pipe([t for t in texts if t], batch_size=50))
                for example, text in zip(examples, texts, strict=True):
                    if text:
                        example.set(SPACY_DOCS[attribute], next(piped))
        return training_data

    def process(self, messages: list[Message], model: spacy_utils.SpacyModel) -> list[Message]:
        """Messages in another language get that language's docs."""
        for nlp, group in self._others(messages, model).values():
            for message in group:
                for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                    if message.get(attribute):
                        message.set(SPACY_DOCS[attribute], nlp(self._text(message, attribute)))
        return messages
