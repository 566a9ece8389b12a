# mypy: allow-subclassing-any
"""The order form: which order a payment question is about, collected safely.

``order_form`` (domain.yml) lists ``order_number``; ``validate_order_form`` decides per turn
what is really required:

* anonymous user: ``order_number`` and ``email``; the pair must match one order, checked as soon
  as both are known. On a mismatch both are cleared and the user is told the details do not
  match, never which of the two was wrong.
* signed-in customer: ``order_number`` only, and only their own orders are accepted. With
  exactly one order relevant to ``requested_topic`` it is filled in without asking; for the
  account-wide topics (next payment, late fees) and for topics with nothing relevant on the
  account, nothing is required and the action answers across all orders.

``action_ask_order_number`` asks the question: signed-in customers get their orders as buttons.
After :data:`MAX_FAILURES` rejected answers in one form run, or when the customer says they
don't have the number (``action_order_number_help``), the bot explains where to find it
(confirmation email, account page), suggests signing in, and offers a person as a button: it
hands off only if the customer asks for that.
"""

from __future__ import annotations

import contextvars
import logging
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import replies, topics, wording
from actions.base import EMAIL_SLOT, ORDER_SLOT, TOPIC_SLOT, PaymentsAction
from actions.context import ActionServices, default_services, run_blocking
from actions.conversation_language import conversation_language
from actions.resolution import Resolution, resolve
from actions.wording import Replies, replies_for
from common.customer_input import find_order_ref, parse_email
from common.identity import VerifiedCustomer
from store.errors import StoreUnavailable
from store.views import OrderView

logger = logging.getLogger(__name__)

FORM_NAME = "order_form"
MAX_FAILURES = 2

GET_HELP = wording.GET_HELP

# The second time in one form run an anonymous customer says they don't have the number: the
# bot stops asking (the form is closed; the question's topic is kept, so the number sent later
# still answers it) and says what else works (``Replies.stop_asking``).
STOP_ASKING = wording.STOP_ASKING
HELP_ACTION = "action_order_number_help"


def previous_failures(tracker: Tracker) -> int:
    """How many earlier turns of the current form run had an answer rejected.

    Counted from the conversation itself (a rejected answer is a ``SlotSet`` of
    ``order_number`` or ``email`` to ``None``) so no extra slot is needed in the domain; the
    count restarts whenever the form is activated again.
    """
    events = tracker.events
    start = 0
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == "active_loop" and event.get("name") == FORM_NAME:
            start = index
            break
    turn = 0
    rejected_turns: set[int] = set()
    for event in events[start:]:
        kind = event.get("event")
        if kind == "user":
            turn += 1
        elif (
            kind == "slot"
            and event.get("name") in (ORDER_SLOT, EMAIL_SLOT)
            and event.get("value") is None
        ):
            rejected_turns.add(turn)
    return len(rejected_turns)


@dataclass(frozen=True)
class _FormTurn:
    """What one run of the validation action knows about the caller, computed once per run."""

    customer: VerifiedCustomer | None
    topic: str | None
    # Loaded for every signed-in customer (what they said is read against them).
    orders: tuple[OrderView, ...] | None
    relevant: tuple[OrderView, ...]
    # Which order the latest message names (empty for anonymous users).
    resolution: Resolution = field(default_factory=Resolution)
    # The remembered order no longer fits the question (a refund question, no refund on it).
    stale_order: bool = False

    def order_to_fill(self) -> str | None:
        """The order to use without asking, if there is exactly one sensible choice."""
        if self.resolution.one is not None:
            return self.resolution.one.order_ref
        if self.orders is None or self.resolution.named:
            return None
        if len(self.relevant) == 1:
            return self.relevant[0].order_ref
        if not self.relevant and len(self.orders) == 1 and not self._answer_account_wide():
            return self.orders[0].order_ref
        return None

    def _answer_account_wide(self) -> bool:
        return self.topic in replies.NOTHING_RELEVANT

    def clears_order(self) -> bool:
        """Whether the remembered order must be dropped this turn.

        It is when the message names orders that are not exactly one (the customer chooses),
        asks across the whole account ("in total"), or the remembered order cannot answer the
        new question.
        """
        resolution = self.resolution
        if resolution.named:
            return resolution.one is None
        if resolution.all_orders and self.topic in topics.ACCOUNT_WIDE_TOPICS:
            return True
        return self.stale_order

    def needs_no_order(self) -> bool:
        """Whether the action can answer a signed-in customer without a chosen order."""
        if self.resolution.named:
            return False
        if self.topic in topics.ACCOUNT_WIDE_TOPICS:
            return True
        if self.orders is None:
            return False
        if not self.orders:
            return True  # the action says there are no orders on the account
        return not self.relevant and self._answer_account_wide()


_TURN: contextvars.ContextVar[_FormTurn] = contextvars.ContextVar("order_form_turn")


class ValidateOrderForm(FormValidationAction):
    """Validates and, for signed-in customers, pre-fills the slots of ``order_form``."""

    def __init__(self, services: ActionServices | None = None) -> None:
        """Create the validation action.

        Args:
            services: Settings and repository; the process-wide default when omitted.
        """
        self._services = services

    @property
    def services(self) -> ActionServices:
        """Injected services, or the process-wide default."""
        return self._services if self._services is not None else default_services()

    def name(self) -> str:
        """Action name in domain.yml."""
        return "validate_order_form"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        """Validate this turn's answers; map store and code failures to a polite reply.

        On a failure the answers of this turn are cleared, so the form asks again instead of
        finishing with unchecked values.
        """
        inner = CollectingDispatcher()
        words = replies_for(tracker)
        try:
            turn = await self._form_turn(tracker)
            token = _TURN.set(turn)
            try:
                events: list[dict[str, Any]] = await super().run(inner, tracker, domain)
            finally:
                _TURN.reset(token)
        except StoreUnavailable:
            logger.warning(
                "validate_order_form: payments store unavailable (conversation %s)",
                tracker.sender_id,
                exc_info=True,
            )
            dispatcher.utter_message(
                response=replies.RESPONSE_RECORDS_UNAVAILABLE,
                buttons=[words.talk_to_person_button()],
            )
            return [SlotSet(ORDER_SLOT, None), SlotSet(EMAIL_SLOT, None)]
        except Exception:
            logger.exception("validate_order_form failed (conversation %s)", tracker.sender_id)
            dispatcher.utter_message(
                text=words.unexpected_error(), buttons=[words.talk_to_person_button()]
            )
            return [SlotSet(ORDER_SLOT, None), SlotSet(EMAIL_SLOT, None)]
        dispatcher.messages.extend(inner.messages)
        return events

    async def _form_turn(self, tracker: Tracker) -> _FormTurn:
        customer = self.services.identify(tracker)
        topic = tracker.get_slot(TOPIC_SLOT)
        topic = topic if isinstance(topic, str) else None
        if customer is None:
            return _FormTurn(customer=customer, topic=topic, orders=None, relevant=())
        orders = await run_blocking(self.services.repository.list_orders, customer.customer_ref)
        today = self.services.today()
        relevant = topics.relevant_orders(topic, orders, today)
        current = tracker.get_slot(ORDER_SLOT)
        current = current if isinstance(current, str) else None
        resolution = resolve(
            str(tracker.latest_message.get("text") or ""),
            orders,
            today=today,
            current=current,
            relevant=lambda order: topics.is_answerable(topic, order, today),
            language=conversation_language(tracker).code,
        )
        remembered = next((o for o in orders if o.order_ref == current), None)
        stale = remembered is not None and not topics.is_answerable(topic, remembered, today)
        if resolution.named:
            logger.info(
                "validate_order_form: message names %d order(s) by %s (conversation %s)",
                len(resolution.orders),
                "+".join(resolution.cues),
                tracker.sender_id,
            )
        return _FormTurn(customer, topic, tuple(orders), tuple(relevant), resolution, stale)

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """``order_number`` + ``email`` when anonymous; only what is needed when signed in."""
        turn = _TURN.get()
        if turn.customer is None:
            return [ORDER_SLOT, EMAIL_SLOT]
        current = None if turn.clears_order() else tracker.get_slot(ORDER_SLOT)
        if current is None and turn.needs_no_order():
            return []
        return [ORDER_SLOT]

    async def extract_order_number(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Fill (or change) the order of a signed-in customer from what they said.

        The order the message names wins over the one the conversation was on; several
        matching orders, or none, clear it so the customer is asked with buttons; a message
        naming no order keeps the conversation's order (follow-ups) unless it cannot answer
        the question. Otherwise, the only order relevant to the question is used.
        """
        turn = _TURN.get()
        if turn.customer is None:
            return {}
        if turn.resolution.not_found:
            dispatcher.utter_message(text=replies_for(tracker).no_order_matches())
        current = tracker.get_slot(ORDER_SLOT)
        order_ref = turn.order_to_fill()
        if turn.resolution.one is not None:
            return {ORDER_SLOT: order_ref}
        if turn.clears_order():
            return {ORDER_SLOT: None} if current is not None else {}
        if current is not None:
            return {}
        return {ORDER_SLOT: order_ref} if order_ref is not None else {}

    async def validate_order_number(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Accept a well-formed order number; for a signed-in customer, only their own."""
        if slot_value is None:
            return {ORDER_SLOT: None}  # cleared by extraction: the form asks
        order_ref = find_order_ref(slot_value)
        if order_ref is None:
            self._reject(dispatcher, tracker, response=replies.RESPONSE_ORDER_NUMBER_INVALID)
            return {ORDER_SLOT: None}
        customer = _TURN.get().customer
        if customer is None:
            return {ORDER_SLOT: order_ref}  # checked together with the email
        order = await run_blocking(
            self.services.repository.get_order, customer.customer_ref, order_ref
        )
        if order is None:
            logger.info(
                "validate_order_form: order not on the caller's account (conversation %s)",
                tracker.sender_id,
            )
            text = replies_for(tracker).order_not_on_account(order_ref)
            self._reject(dispatcher, tracker, text=text)
            return {ORDER_SLOT: None}
        return {ORDER_SLOT: order_ref}

    async def validate_email(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Accept an email address (matched with the order later), kept in lower case.

        The slot is only ever a lookup key, compared case-insensitively by the store.
        """
        email = parse_email(slot_value)
        if email is None:
            self._reject(dispatcher, tracker, response=replies.RESPONSE_EMAIL_INVALID)
            return {EMAIL_SLOT: None}
        return {EMAIL_SLOT: email.lower()}

    async def get_validation_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Validate each slot, then check an anonymous user's order + email pair together."""
        events: list[EventType] = await super().get_validation_events(dispatcher, tracker, domain)
        if _TURN.get().customer is not None:
            return events
        changed = {e.get("name") for e in events if e.get("event") == "slot"}
        order_ref = tracker.get_slot(ORDER_SLOT)
        email = tracker.get_slot(EMAIL_SLOT)
        if not changed & {ORDER_SLOT, EMAIL_SLOT} or order_ref is None or email is None:
            return events
        order = await run_blocking(
            self.services.repository.get_order_by_email, str(order_ref), str(email)
        )
        if order is not None:
            return events
        logger.info(
            "validate_order_form: anonymous order/email pair did not match (conversation %s)",
            tracker.sender_id,
        )
        self._reject(dispatcher, tracker, response=replies.RESPONSE_ORDER_NOT_FOUND)
        cleared: dict[str, Any] = {ORDER_SLOT: None, EMAIL_SLOT: None}
        tracker.slots.update(cleared)
        kept = [e for e in events if e.get("name") not in cleared]
        return kept + [SlotSet(name, value) for name, value in cleared.items()]

    @staticmethod
    def _reject(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        *,
        text: str | None = None,
        response: str | None = None,
    ) -> None:
        """Explain a rejected answer; after repeated failures also say how to get help."""
        if response is not None:
            dispatcher.utter_message(response=response)
        else:
            dispatcher.utter_message(text=text)
        failures = previous_failures(tracker) + 1
        if failures >= MAX_FAILURES:
            logger.info(
                "validate_order_form: %d rejected answers (conversation %s)",
                failures,
                tracker.sender_id,
            )
            words = replies_for(tracker)
            dispatcher.utter_message(text=words.get_help(), buttons=[words.talk_to_person_button()])


class ActionAskOrderNumber(PaymentsAction):
    """Asks the form's order question; a signed-in customer picks from their own orders.

    Rasa runs ``action_ask_order_number`` instead of ``utter_ask_order_number`` when the domain
    lists it under ``actions``.
    """

    action_name = "action_ask_order_number"

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        customer: VerifiedCustomer | None,
    ) -> list[EventType]:
        """Ask, with buttons for the candidate orders when the customer is known."""
        if customer is None:
            dispatcher.utter_message(response=replies.RESPONSE_ASK_ORDER_NUMBER)
            return []
        words = replies_for(tracker)
        orders = await run_blocking(self.services.repository.list_orders, customer.customer_ref)
        if not orders:
            dispatcher.utter_message(text=words.no_orders_on_account())
            return []
        topic = tracker.get_slot(TOPIC_SLOT)
        topic = topic if isinstance(topic, str) else None
        today = self.services.today()
        resolution = resolve(
            str(tracker.latest_message.get("text") or ""),
            orders,
            today=today,
            relevant=lambda order: topics.is_answerable(topic, order, today),
            language=words.language.code,
        )
        if resolution.ambiguous:
            dispatcher.utter_message(
                text=words.several_orders_match(),
                buttons=replies.order_buttons(resolution.orders),
            )
            return []
        relevant = topics.relevant_orders(topic, orders, today)
        dispatcher.utter_message(
            text=words.choose_order_text(topic),
            buttons=replies.order_buttons(relevant or orders),
        )
        return []


def _form_run_start(tracker: Tracker) -> int:
    """Index of the event that last activated the order form (0 if none)."""
    events = tracker.events
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == "active_loop" and event.get("name") == FORM_NAME:
            return index
    return 0


def helped_in_form_run(tracker: Tracker) -> bool:
    """Whether the order-number help was already given in the current run of the order form."""
    if (tracker.active_loop or {}).get("name") != FORM_NAME:
        return False
    return any(
        event.get("event") == "action" and event.get("name") == HELP_ACTION
        for event in tracker.events[_form_run_start(tracker) :]
    )


def stop_asking(dispatcher: CollectingDispatcher, words: Replies) -> list[EventType]:
    """Close the order form without its answer: say what else works, offer a person."""
    dispatcher.utter_message(text=words.stop_asking(), buttons=[words.talk_to_person_button()])
    return [ActiveLoop(None), SlotSet("requested_slot", None)]


class ActionOrderNumberHelp(PaymentsAction):
    """The customer doesn't have the order number: where to find it, sign in, or a person.

    Runs on ``no_order_number`` ("I don't know it", "I can't find it"); the form then keeps
    waiting for the number. Said a second time in the same form run, the bot stops asking
    (:func:`stop_asking`). The person is only a button: no handoff unless it is pressed.
    """

    action_name = HELP_ACTION

    async def answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        customer: VerifiedCustomer | None,
    ) -> list[EventType]:
        """Explain, or for a signed-in customer offer their orders instead."""
        words = replies_for(tracker)
        if customer is not None:
            orders = await run_blocking(self.services.repository.list_orders, customer.customer_ref)
            if orders:
                dispatcher.utter_message(
                    text=words.pick_order(),
                    buttons=replies.order_buttons(orders),
                )
                return []
        if helped_in_form_run(tracker):
            return stop_asking(dispatcher, words)
        dispatcher.utter_message(text=words.get_help(), buttons=[words.talk_to_person_button()])
        return []
