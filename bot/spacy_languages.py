"""Rasa's ``SpacyNLP`` with one spaCy pipeline per language, picked per message.

``config.yml`` names the English pipeline as ``model`` (as for stock ``SpacyNLP``) and the
others under ``models`` (language code -> path). Each message gets its ``spacy_doc`` from
the pipeline of the language ``bot.language_tagger.LanguageTagger`` gave it, in training and
in serving, so tokens and lemmas are Spanish for a Spanish message. English messages get
exactly the doc stock ``SpacyNLP`` makes.

Components that take the provided model (``model_from="SpacyNLP"``) get a
:class:`LanguageSpacyModel`: its ``model`` is the English pipeline, as before, and
:func:`pipeline_for` gives the pipeline of a message's language. The class keeps the name
``SpacyNLP`` because Rasa's recipe finds a component's model provider by class name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rasa.engine.graph import ExecutionContext
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
    """Stock ``SpacyNLP`` with a pipeline per language (module docstring)."""

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

    def _docs(self, nlp: Language, texts: list[str]) -> list[Any]:
        # Stock SpacyNLP pipes non-empty texts in batches of 50 and gives "" an empty doc.
        from spacy.tokens import Doc

        piped = iter(nlp.pipe([t for t in texts if t], batch_size=50))
        return [next(piped) if text else Doc(nlp.vocab) for text in texts]

    def process_training_data(
        self, training_data: TrainingData, model: spacy_utils.SpacyModel
    ) -> TrainingData:
        """Stock docs for training examples, each from its language's pipeline."""
        by_language: dict[int, list[Message]] = defaultdict(list)
        pipelines: dict[int, Language] = {}
        for example in training_data.training_examples:
            nlp = pipeline_for(model, example)
            pipelines[id(nlp)] = nlp
            by_language[id(nlp)].append(example)
        for key, examples in by_language.items():
            for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                texts = [self._get_text(e, attribute) for e in examples]
                for example, doc in zip(examples, self._docs(pipelines[key], texts), strict=True):
                    if len(doc):
                        example.set(SPACY_DOCS[attribute], doc)
        return training_data

    def process(self, messages: list[Message], model: spacy_utils.SpacyModel) -> list[Message]:
        """Stock docs for messages, each from its language's pipeline."""
        for message in messages:
            nlp = pipeline_for(model, message)
            for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                if message.get(attribute):
                    message.set(
                        SPACY_DOCS[attribute], self._doc_for_text(nlp, message.get(attribute))
                    )
        return messages
