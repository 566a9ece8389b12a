"""Refunds and returns: where a refund is, and how to send something back."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import replies, topics
from actions.base import OrderAction
from common.identity import VerifiedCustomer
from store.views import OrderView


class ActionRefundStatus(OrderAction):
    """Each refund on an order: amount, state in plain words, expected or completed date."""

    topic = topics.REFUND_STATUS

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_refund_status"

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """Describe the refunds."""
        dispatcher.utter_message(text=replies.refund_status(order))
        return []


class ActionReturnItem(OrderAction):
    """How to return something to this order's merchant, plus refunds already under way."""

    topic = topics.RETURN_ITEM

    def name(self) -> str:
        """Action name in domain.yml."""
        return "action_return_item"

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """Explain the return."""
        dispatcher.utter_message(text=replies.return_item(order))
        return []
