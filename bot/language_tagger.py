"""The first NLU component: which language (en/es) each message is in, before spaCy runs.

Sets ``message.data["language"] = {"code", "probability", "source"}`` (also in the parse
data), which ``bot.spacy_languages.SpacyNLP`` reads to give the message the doc of its
language's spaCy pipeline, and from which ``bot.language_slots`` sets the ``language`` and
``locale`` slots.

* With ``metadata.language`` (the hub decided, with the conversation's history: see
  ``common.language.choose_language``) that is the answer, source ``"metadata"``.
* Otherwise (``rasa test``, REST clients, training data) the tagger decides from the text
  with the same function, the page's language (``metadata.page_language``) as its prior; it
  has no conversation history, which ``bot.language_slots`` adds for the slot.

Training examples are tagged from their text only, so the Spanish examples in
``data/nlu/es/`` go through the Spanish spaCy pipeline as Spanish messages will.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from common.language import BOT_LANGUAGES, DEFAULT_LANGUAGE, choose_language

LANGUAGE_KEY = "language"
METADATA_KEY = "metadata"
PAGE_LANGUAGE_KEY = "page_language"


def message_language(message: Message) -> str:
    """The language code the tagger gave ``message`` (English when it was not tagged)."""
    tag = message.get(LANGUAGE_KEY)
    code = tag.get("code") if isinstance(tag, dict) else None
    return code if code in BOT_LANGUAGES else DEFAULT_LANGUAGE


def metadata_of(message: Message) -> dict[str, Any]:
    """The message's metadata (the hub's, for a served message), ``{}`` when absent."""
    metadata = message.get(METADATA_KEY)
    return metadata if isinstance(metadata, dict) else {}


def decide(text: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """The language record for a message with ``metadata`` (see the module docstring)."""
    given = metadata.get(LANGUAGE_KEY)
    if isinstance(given, str) and given.lower() in BOT_LANGUAGES:
        return {"code": given.lower(), "probability": 1.0, "source": "metadata"}
    page = metadata.get(PAGE_LANGUAGE_KEY)
    choice = choose_language(
        text, page_language=page if isinstance(page, str) else None, previous_language=None
    )
    return {"code": choice.code, "probability": choice.probability, "source": choice.source}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class LanguageTagger(GraphComponent):  # type: ignore[misc]
    """Tags every message, in training and in serving, with its language (module docstring)."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageTagger:
        """Create the component (nothing is trained or persisted)."""
        return cls()

    @staticmethod
    def required_packages() -> list[str]:
        """Packages this component needs."""
        return ["py3langid"]

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Tag training examples from their text alone (no metadata in training data)."""
        for example in training_data.training_examples:
            example.set(LANGUAGE_KEY, decide(example.get(TEXT) or "", {}))
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Tag each message, trusting ``metadata.language`` when the hub sent one."""
        for message in messages:
            record = decide(message.get(TEXT) or "", metadata_of(message))
            message.set(LANGUAGE_KEY, record, add_to_output=True)
        return messages
