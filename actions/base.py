# mypy: allow-subclassing-any
"""Base classes shared by the payments actions: identity, order lookup and error mapping.

Every payments action answers about one customer's orders. Getting the scoping or the error
handling wrong once would leak data or show a stack trace, so it is written once here:

* :class:`PaymentsAction` resolves the caller, runs the action body on a private dispatcher and
  maps failures to polite replies plus a log line (the customer never sees a traceback, and
  never a half-finished answer followed by an apology).
* :class:`OrderAction` finds the order the question is about: for an authenticated customer
  only among their own orders, for an anonymous user only when ``order_number`` and ``email``
  both match the same order, re-checked on every call.
* :class:`OrderReplyAction` is an order action whose whole answer is one text built from the
  order, so each such action only says which reply it gives.

What the domain must contain for these actions: slots ``order_number``, ``email``,
``requested_topic``, ``handoff_reason`` and ``handoff_queue``; intents ``inform`` (entity
``order_number``) and ``request_human`` (used as button payloads).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import replies
from actions.context import ActionServices, default_services, run_blocking
from actions.topics import relevant_orders
from actions.wording import Replies, replies_for
from common.customer_input import parse_order_ref
from common.identity import VerifiedCustomer
from store.errors import StoreUnavailable
from store.views import OrderView

logger = logging.getLogger(__name__)

ORDER_SLOT = "order_number"
EMAIL_SLOT = "email"
TOPIC_SLOT = "requested_topic"


class PaymentsAction(Action, ABC):
    """An action that answers from the payments store on behalf of the verified caller.

    Subclasses set :attr:`action_name` and implement :meth:`answer`.
    """

    action_name: ClassVar[str]
    """The action's name in domain.yml."""

    def __init__(self, services: ActionServices | None = None) -> None:
        """Create the action.

        Args:
            services: Settings and repository. The action server passes nothing, so the
                process-wide default (built lazily from the environment) is used.
        """
        self._services = services

    @property
    def services(self) -> ActionServices:
        """Injected services, or the process-wide default."""
        return self._services if self._services is not None else default_services()

    def name(self) -> str:
        """Action name in domain.yml."""
        return self.action_name

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        """Answer, or apologise politely when the store or the code fails.

        The body writes to a private dispatcher whose messages are only passed on when it
        succeeds, so an error never leaves a partial answer behind.
        """
        inner = CollectingDispatcher()
        words = replies_for(tracker)
        try:
            customer = self.services.identify(tracker)
            events = await self.answer(inner, tracker, domain, customer)
        except StoreUnavailable:
            logger.warning(
                "%s: payments store unavailable (conversation %s)",
                self.name(),
                tracker.sender_id,
                exc_info=True,
            )
            dispatcher.utter_message(
                response=replies.RESPONSE_RECORDS_UNAVAILABLE,
                buttons=[words.talk_to_person_button()],
            )
            return []
        except Exception:
            logger.exception("%s failed (conversation %s)", self.name(), tracker.sender_id)
            dispatcher.utter_message(
                text=words.unexpected_error(), buttons=[words.talk_to_person_button()]
            )
            return []
        dispatcher.messages.extend(inner.messages)
        return events

    @abstractmethod
    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        customer: VerifiedCustomer | None,
    ) -> list[EventType]:
        """Produce the answer for ``customer`` (``None`` = anonymous)."""


class OrderAction(PaymentsAction, ABC):
    """A payments action about one order, chosen from the ``order_number`` slot.

    Subclasses set :attr:`topic` (a ``requested_topic`` value, used to pick the orders worth
    offering) and implement :meth:`answer_order`. Actions that answer across all of an
    authenticated customer's orders override :meth:`answer_account`.
    """

    topic: ClassVar[str]

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        customer: VerifiedCustomer | None,
    ) -> list[EventType]:
        """Resolve the order the question is about, then answer about it."""
        raw = tracker.get_slot(ORDER_SLOT)
        order_ref = parse_order_ref(raw) if isinstance(raw, str) else None
        if raw is not None and order_ref is None:
            dispatcher.utter_message(response=replies.RESPONSE_ORDER_NUMBER_INVALID)
            return [SlotSet(ORDER_SLOT, None)]

        repository = self.services.repository
        if customer is not None:
            if order_ref is None:
                orders = await run_blocking(repository.list_orders, customer.customer_ref)
                return await self.answer_account(dispatcher, tracker, customer, orders)
            order = await run_blocking(repository.get_order, customer.customer_ref, order_ref)
            if order is None:
                logger.info(
                    "%s: order not on the caller's account (conversation %s)",
                    self.name(),
                    tracker.sender_id,
                )
                dispatcher.utter_message(text=replies_for(tracker).order_not_on_account(order_ref))
                return [SlotSet(ORDER_SLOT, None)]
            return await self.answer_order(dispatcher, tracker, customer, order)

        email = tracker.get_slot(EMAIL_SLOT)
        if order_ref is None or not isinstance(email, str) or not email.strip():
            dispatcher.utter_message(text=replies_for(tracker).need_order_and_email())
            return []
        order = await run_blocking(repository.get_order_by_email, order_ref, email.strip())
        if order is None:
            logger.info(
                "%s: anonymous order/email pair did not match (conversation %s)",
                self.name(),
                tracker.sender_id,
            )
            dispatcher.utter_message(response=replies.RESPONSE_ORDER_NOT_FOUND)
            return [SlotSet(ORDER_SLOT, None), SlotSet(EMAIL_SLOT, None)]
        return await self.answer_order(dispatcher, tracker, None, order)

    async def answer_account(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer,
        orders: Sequence[OrderView],
    ) -> list[EventType]:
        """Answer a signed-in customer who has not said which order they mean.

        One order relevant to the topic: answer about it. Several: offer them as buttons.
        None: say so when the topic has a reply for that, otherwise offer every order.
        """
        words = replies_for(tracker)
        if not orders:
            dispatcher.utter_message(text=words.no_orders_on_account())
            return []
        relevant = relevant_orders(self.topic, list(orders), self.services.today())
        if len(relevant) == 1:
            return await self.answer_order(dispatcher, tracker, customer, relevant[0])
        nothing = words.nothing_relevant(self.topic)
        if not relevant and nothing is not None:
            dispatcher.utter_message(text=nothing)
            return []
        offered = relevant or list(orders)
        if len(offered) == 1:
            return await self.answer_order(dispatcher, tracker, customer, offered[0])
        dispatcher.utter_message(
            text=words.choose_order_text(self.topic), buttons=replies.order_buttons(offered)
        )
        return []

    @abstractmethod
    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """Answer about ``order``, which the caller is entitled to see."""


class OrderReplyAction(OrderAction, ABC):
    """An order action whose answer is one text message built from the order.

    Subclasses implement :meth:`reply`; actions that say more than one thing, or do more
    than answer, override :meth:`OrderAction.answer_order` instead.
    """

    async def answer_order(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer: VerifiedCustomer | None,
        order: OrderView,
    ) -> list[EventType]:
        """Send :meth:`reply` for ``order``, in the conversation's language."""
        words = replies_for(tracker)
        dispatcher.utter_message(text=self.reply(order, self.services.today(), words))
        return []

    @abstractmethod
    def reply(self, order: OrderView, today: date, words: Replies) -> str:
        """The answer about ``order``, as of ``today`` (UTC), in the language of ``words``."""
