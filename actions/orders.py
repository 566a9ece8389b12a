"""Order status: where an order is, what is in it, and how it is being shipped."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import replies, topics
from actions.base import OrderAction
from common.identity import VerifiedCustomer
from store.views import OrderView


class ActionOrderStatus(OrderAction):
    """Status, items, shipping state, carrier and tracking number of one order."""

    topic = topics.ORDER_STATUS

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_order_status"

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """Describe the order."""
        dispatcher.utter_message(text=replies.order_status(order))
        return []
