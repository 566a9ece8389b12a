"""Disputes: record the customer's dispute, then hand the conversation to the disputes team.

Disputes are always handled by a person. This action only records the dispute (so the team
sees it even if the customer leaves) and sets ``handoff_reason``/``handoff_queue``; the rule
that follows it in ``data/rules/`` runs ``action_handoff``, which reads those slots.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import replies, topics
from actions.base import EMAIL_SLOT, OrderAction
from actions.context import run_blocking
from actions.wording import replies_for
from common.identity import VerifiedCustomer
from store.errors import OrderNotFound
from store.views import OrderView

logger = logging.getLogger(__name__)

HANDOFF_REASON_SLOT = "handoff_reason"
HANDOFF_QUEUE_SLOT = "handoff_queue"
DISPUTE_INTENT = "dispute_charge"
DEFAULT_REASON = "Customer disputed a charge in the chat (no details given)"
_MAX_REASON = 500


def dispute_reason(tracker: Tracker) -> str:
    """The customer's own words from the message that asked for the dispute.

    The latest ``dispute_charge`` message is used rather than the latest message, which is
    usually just the order number typed for the form.
    """
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        parse_data: dict[str, Any] = event.get("parse_data") or {}
        intent = (parse_data.get("intent") or {}).get("name")
        text = event.get("text")
        if intent == DISPUTE_INTENT and isinstance(text, str) and text.strip():
            return text.strip()[:_MAX_REASON]
    return DEFAULT_REASON


class ActionOpenDispute(OrderAction):
    """Open (or find the already open) dispute on an order, then route to the disputes team."""

    action_name = "action_open_dispute"
    topic = topics.DISPUTE_CHARGE

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """Record the dispute in the caller's scope and confirm it with its reference."""
        now = self.services.clock()
        email = tracker.get_slot(EMAIL_SLOT) if customer is None else None
        try:
            dispute = await run_blocking(
                self.services.repository.open_dispute,
                customer.customer_ref if customer is not None else None,
                order.order_ref,
                dispute_reason(tracker),
                None,
                now,
                email=email,
            )
        except OrderNotFound:
            # The order vanished (or its email changed) between the lookup and the write.
            logger.warning("%s: order disappeared before the dispute was recorded", self.name())
            dispatcher.utter_message(response=replies.RESPONSE_ORDER_NOT_FOUND)
            return []
        already_open = any(d.dispute_ref == dispute.dispute_ref for d in order.disputes)
        logger.info(
            "%s: dispute %s %s on %s",
            self.name(),
            dispute.dispute_ref,
            "already open" if already_open else "opened",
            order.order_ref,
        )
        dispatcher.utter_message(
            text=replies_for(tracker).dispute_opened(order, dispute.dispute_ref, already_open)
        )
        return [SlotSet(HANDOFF_REASON_SLOT, "topic"), SlotSet(HANDOFF_QUEUE_SLOT, "disputes")]
