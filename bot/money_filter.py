"""Takes ``money_taken_wrongly`` out of the ranking of a message that names no money.

"me cancelaron el pedido de la silla", "my order got cancelled, didn't it": a settling event
(a cancellation, a refund, a return, a payoff) with no charge and no money word is not money
taken wrongly, however close the classifier finds it to that intent's examples; the
complaint, if it comes, comes in the next message ("so why has 45 dollars been taken"), which
the policy reads with this one (:func:`bot.money_reading.taken_after_settlement`). The topic
rule "money_taken_wrongly -> action_handoff" would otherwise hand off a turn early.

Goes after the intent classifier and before ``FallbackClassifier``, like
:class:`bot.explicit_request.DeclinedRequestFilter`; the other intents keep their confidences.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.explicit_request import without_intent
from bot.money_reading import settlement_only

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SettledWithoutChargeFilter(GraphComponent, IntentClassifier):  # type: ignore[misc]
    """Overrules ``money_taken_wrongly`` for a settling event with no money word."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Tunables: the intent that means "money taken wrongly"."""
        return {"intent": "money_taken_wrongly"}

    def __init__(self, config: dict[str, Any]) -> None:
        """Remember which intent to take out."""
        self._intent = str({**self.get_default_config(), **config}["intent"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SettledWithoutChargeFilter:
        """Create the component (nothing is trained or persisted)."""
        return cls(config)

    @classmethod
    def required_components(cls) -> list[type]:
        """An intent classifier must run first."""
        return [IntentClassifier]

    def process(self, messages: list[Message]) -> list[Message]:
        """Take the intent out where the message only tells of a settling event."""
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) != self._intent:
                continue
            if not settlement_only(str(message.get(TEXT) or "")):
                continue
            top, rest = without_intent(list(message.get(INTENT_RANKING_KEY) or []), self._intent)
            logger.debug("%s overruled (settled, no money word): now %s", self._intent, top)
            message.set(
                INTENT,
                top or {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
                add_to_output=True,
            )
            message.set(INTENT_RANKING_KEY, rest, add_to_output=True)
        return messages
