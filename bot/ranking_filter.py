"""Components that take one intent out of a message's ranking where the words rule it out.

They go after the intent classifier and before ``FallbackClassifier`` (which then judges the
new top intent as usual): :class:`bot.explicit_request.DeclinedRequestFilter` ("no need for a
person", reported speech) and :class:`bot.money_filter.SettledWithoutChargeFilter` (a
settling event with no money word). This module holds what they share: the configured
intent, the component's life cycle, and taking the intent out of the ranking.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

FilterT = TypeVar("FilterT", bound="RankingFilter")


def without_intent(
    ranking: list[dict[str, Any]], intent: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """``ranking`` without ``intent``, and the new top intent (None when nothing is left).

    The other confidences stay as the classifier gave them: scaling them up would turn a
    faint second guess into a confident one (a topic that hands off), whereas left as they
    are, ``FallbackClassifier`` reads a weak rest as "not understood", which is harmless.
    """
    rest = [dict(item) for item in ranking if item.get(INTENT_NAME_KEY) != intent]
    if not rest:
        return None, []
    top = {
        INTENT_NAME_KEY: rest[0][INTENT_NAME_KEY],
        PREDICTED_CONFIDENCE_KEY: rest[0].get(PREDICTED_CONFIDENCE_KEY),
    }
    return top, rest


class RankingFilter(GraphComponent, IntentClassifier):  # type: ignore[misc]
    """Base of a filter of one intent (``config["intent"]``, default :attr:`default_intent`)."""

    default_intent: ClassVar[str]

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        """Tunables: the intent the filter takes out."""
        return {"intent": cls.default_intent}

    def __init__(self, config: dict[str, Any]) -> None:
        """Remember which intent to take out."""
        self._intent = str({**self.get_default_config(), **config}["intent"])

    @classmethod
    def create(
        cls: type[FilterT],
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FilterT:
        """Create the component (nothing is trained or persisted)."""
        return cls(config)

    @classmethod
    def required_components(cls) -> list[type]:
        """An intent classifier must run first."""
        return [IntentClassifier]

    def take_out(self, message: Message) -> dict[str, Any] | None:
        """Remove the intent from ``message``'s ranking; the new top when it was the top.

        Returns None (and leaves the top intent alone) when the intent was not the top one.
        """
        intent = message.get(INTENT) or {}
        top, rest = without_intent(list(message.get(INTENT_RANKING_KEY) or []), self._intent)
        message.set(INTENT_RANKING_KEY, rest, add_to_output=True)
        if intent.get(INTENT_NAME_KEY) != self._intent:
            return None
        new_top = top or {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}
        message.set(INTENT, new_top, add_to_output=True)
        return new_top
