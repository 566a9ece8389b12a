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

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.money_reading import settlement_only
from bot.ranking_filter import RankingFilter

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SettledWithoutChargeFilter(RankingFilter):
    """Overrules ``money_taken_wrongly`` for a settling event with no money word."""

    default_intent = "money_taken_wrongly"

    def process(self, messages: list[Message]) -> list[Message]:
        """Take the intent out where the message only tells of a settling event."""
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) != self._intent:
                continue
            if not settlement_only(str(message.get(TEXT) or "")):
                continue
            top = self.take_out(message)
            logger.debug("%s overruled (settled, no money word): now %s", self._intent, top)
        return messages
