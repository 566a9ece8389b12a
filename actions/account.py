"""Questions about the money side of a plan: card on file, last payment, the payment after next.

Added for issue 14. Each is an :class:`~actions.base.OrderAction`, so the order comes from what
the customer said (the order form) or the conversation, only among the caller's own orders;
a signed-in customer who names no order is answered across all of their orders.
"""

from __future__ import annotations

from collections.abc import Sequence

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import account_replies, topics
from actions.base import OrderAction
from actions.wording import Replies, replies_for
from common.identity import VerifiedCustomer
from store.views import OrderView, next_instalment

INSTALMENT_SLOT = "instalment_ref"
"""The instalment the customer was last told about, as ``ORD-104233#3`` (for "and after that?")."""


def instalment_ref(order: OrderView, sequence: int) -> str:
    """The ``instalment_ref`` slot value for one instalment."""
    return f"{order.order_ref}#{sequence}"


def parse_instalment_ref(value: object) -> tuple[str, int] | None:
    """``ORD-104233#3`` -> (``ORD-104233``, 3); anything else -> None."""
    if not isinstance(value, str) or "#" not in value:
        return None
    ref, _, sequence = value.partition("#")
    return (ref, int(sequence)) if sequence.isdigit() else None


class ActionCardOnFile(OrderAction):
    """The card a plan is charged to (brand and last four), and how to change it."""

    action_name = "action_card_on_file"
    topic = topics.CARD_ON_FILE

    async def answer_account(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer,
        orders: Sequence[OrderView],
    ) -> list[EventType]:
        """Every card on the customer's orders, plans first."""
        words = replies_for(tracker)
        if not orders:
            dispatcher.utter_message(text=words.no_orders_on_account())
            return []
        dispatcher.utter_message(text=words.card_on_file(orders))
        return []

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """The card on one order."""
        dispatcher.utter_message(text=replies_for(tracker).card_on_file_for_order(order))
        return []


class ActionLastPayment(OrderAction):
    """The last payment that went through (date, amount, order), and a later failure if any."""

    action_name = "action_last_payment"
    topic = topics.LAST_PAYMENT

    async def answer_account(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer,
        orders: Sequence[OrderView],
    ) -> list[EventType]:
        """Across every order."""
        words = replies_for(tracker)
        if not orders:
            dispatcher.utter_message(text=words.no_orders_on_account())
            return []
        dispatcher.utter_message(text=words.last_payment(orders))
        return []

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """For one order."""
        dispatcher.utter_message(text=replies_for(tracker).last_payment([order]))
        return []


class ActionFollowingPayment(OrderAction):
    """The payment after the one the customer was just told about ("and the one after that?")."""

    action_name = "action_following_payment"
    topic = topics.NEXT_PAYMENT

    async def answer_account(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer,
        orders: Sequence[OrderView],
    ) -> list[EventType]:
        """Continue on the order of the last instalment told, else after the soonest payment."""
        words = replies_for(tracker)
        if not orders:
            dispatcher.utter_message(text=words.no_orders_on_account())
            return []
        told = parse_instalment_ref(tracker.get_slot(INSTALMENT_SLOT))
        if told is not None:
            order = next((o for o in orders if o.order_ref == told[0]), None)
            if order is not None:
                return self._say(dispatcher, words, order, told[1])
        today = self.services.today()
        upcoming = [(i, o) for o in orders if (i := next_instalment(o, today)) is not None]
        if not upcoming:
            dispatcher.utter_message(text=words.no_payments_coming_up())
            return []
        instalment, order = min(upcoming, key=lambda pair: (pair[0].due_date, pair[1].order_ref))
        return self._say(dispatcher, words, order, instalment.sequence)

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """After the instalment told about on this order, else after its next one."""
        words = replies_for(tracker)
        told = parse_instalment_ref(tracker.get_slot(INSTALMENT_SLOT))
        if told is not None and told[0] == order.order_ref:
            return self._say(dispatcher, words, order, told[1])
        upcoming = next_instalment(order, self.services.today())
        after = upcoming.sequence if upcoming is not None else 0
        return self._say(dispatcher, words, order, after)

    @staticmethod
    def _say(
        dispatcher: CollectingDispatcher, words: Replies, order: OrderView, after: int
    ) -> list[EventType]:
        following = account_replies.following_instalment(order, after)
        dispatcher.utter_message(text=words.following_payment(order, following))
        if following is None:
            return []
        return [
            SlotSet(INSTALMENT_SLOT, instalment_ref(order, following.sequence)),
            SlotSet("order_number", order.order_ref),
        ]
