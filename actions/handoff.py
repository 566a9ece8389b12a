"""Handing the conversation to a person, and taking it back afterwards.

``action_handoff`` is predicted by the handoff policy (``bot/handoff_policy.py``). It tells the
customer, honestly, that a person is coming, sends the hub a structured handoff request (the
custom payload in docs/architecture.md, "Handoff contract"), closes any open form and pauses
the conversation so the bot stays silent while the agent owns it.

``action_handback`` runs when the hub resumes the conversation and triggers the intent
``EXTERNAL_handback``: the bot greets the customer back with a fresh slot state that keeps
only the order in question (the verified customer comes from the token on every message, so
nothing needs keeping for identity).

Where the reason comes from: the policy sets the slots ``handoff_reason``, ``handoff_queue``
and ``handoff_signals`` (its decision as JSON) just before this action runs. When they were
not set in this turn (a rule predicted the handoff), the decision is recomputed from the
events with the same pure scoring (:mod:`bot.conversation_signals`) and the policy's own
settings, read once from its entry in ``config.yml``.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import ActionServices, default_services
from actions.conversation_language import LANGUAGE_SLOT, LOCALE_SLOT, conversation_language
from actions.summary import build_summary
from bot.conversation_signals import (
    REASON_BOT_FAILURE,
    REASON_EXPLICIT,
    REASON_TOPIC,
    SignalSettings,
    decide,
    resolve_queue,
    settings_from_rasa_config,
    turns_from_event_dicts,
)

logger = logging.getLogger(__name__)

# The Rasa config whose HandoffPolicy entry the bot is trained with.
RASA_CONFIG = Path(__file__).resolve().parents[1] / "config.yml"

ACTIVE_SLOT = "handoff_active"
REASON_SLOT = "handoff_reason"
QUEUE_SLOT = "handoff_queue"
SIGNALS_SLOT = "handoff_signals"
ORDER_SLOT = "order_number"
REQUESTED_SLOT = "requested_slot"

# Slots that survive a hand-back: the order the customer was asking about, and the language
# and locale the conversation is held in (so the greeting back is in the customer's language).
KEPT_ON_HANDBACK: frozenset[str] = frozenset({ORDER_SLOT, LANGUAGE_SLOT, LOCALE_SLOT})

REASONS = frozenset({REASON_EXPLICIT, "frustration", REASON_TOPIC, REASON_BOT_FAILURE})


@functools.cache
def policy_settings(config_path: Path = RASA_CONFIG) -> SignalSettings:
    """The handoff policy's settings from its entry in a Rasa config file (read once).

    Raises:
        OSError: The file cannot be read.
        ValueError: No single valid ``HandoffPolicy`` entry in it.
    """
    return settings_from_rasa_config(config_path)


def _fresh_decision(events: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The policy's decision if it was set after the latest customer message, else None."""
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            return None
        if kind == "slot" and event.get("name") == SIGNALS_SLOT:
            raw = event.get("value")
            if not isinstance(raw, str):
                return None
            try:
                decision = json.loads(raw)
            except json.JSONDecodeError:
                logger.warning("handoff_signals slot is not valid JSON; recomputing")
                return None
            if isinstance(decision, dict) and decision.get("reason") in REASONS:
                return decision
            return None
    return None


def _recomputed_decision(
    events: Sequence[Mapping[str, Any]], settings: SignalSettings
) -> dict[str, Any]:
    """Decide again from the events when the policy did not pass its decision along."""
    turns = turns_from_event_dicts(events)
    latest_action = next(
        (
            str(event.get("name"))
            for event in reversed(events)
            if event.get("event") == "action" and event.get("name") != "action_listen"
        ),
        None,
    )
    decision = None
    if latest_action in settings.topic_actions:
        decision = decide(turns, settings, after_action=latest_action)
    if decision is None:
        decision = decide(turns, settings)
    if decision is not None:
        return decision.as_dict()
    latest = turns[-1] if turns else None
    topic_queue = settings.topic_intents.get(latest.intent or "") if latest else None
    if latest is not None and topic_queue is not None:
        # A rule handed off on a topic intent the policy found below its confidence floor:
        # still a topic handoff, routed to that topic's queue.
        return {
            "reason": REASON_TOPIC,
            "queue": topic_queue,
            "score": latest.confidence,
            "turn": latest.number,
            "intent": latest.intent,
            "signals": [
                {
                    "name": "topic",
                    "score": latest.confidence,
                    "turn": latest.number,
                    "evidence": f"intent {latest.intent} ({latest.confidence:.2f}), by rule",
                }
            ],
        }
    # Predicted by a rule or a model without any signal we know of: say so, don't invent one.
    return {
        "reason": REASON_BOT_FAILURE,
        "queue": resolve_queue(turns, settings),
        "score": 0.0,
        "turn": latest.number if latest else 0,
        "intent": latest.intent if latest else None,
        "signals": [
            {
                "name": "predicted_without_signal",
                "score": 0.0,
                "turn": latest.number if latest else 0,
                "evidence": "the dialogue model chose a handoff",
            }
        ],
    }


def handoff_request(
    tracker: Tracker, authenticated: bool | None, settings: SignalSettings
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Build the handoff payload (contract shape) and return it with the raw decision.

    ``settings`` are the handoff policy's (:func:`policy_settings`), used when the decision
    has to be recomputed.
    """
    events = tracker.events
    decision = _fresh_decision(events) or _recomputed_decision(events, settings)
    order_number = tracker.get_slot(ORDER_SLOT)
    order = order_number if isinstance(order_number, str) and order_number else None
    payload = {
        "reason": decision["reason"],
        "queue": decision.get("queue") or settings.default_queue,
        "signals": list(decision.get("signals") or []),
        "score": decision.get("score", 0.0),
        "summary": build_summary(
            events,
            order_number=order,
            authenticated=authenticated,
            language=conversation_language(tracker).code,
        ),
        "order_number": order,
        "intent": decision.get("intent"),
    }
    return payload, decision


class ActionHandoff(Action):  # type: ignore[misc]
    """Bring in a person: tell the customer, send the hub the request, pause the bot."""

    def __init__(
        self, services: ActionServices | None = None, settings: SignalSettings | None = None
    ) -> None:
        """Create the action; tests inject ``services`` (identity check) and ``settings``.

        Without ``settings`` the handoff policy's are read from ``config.yml`` now, so a
        missing or invalid file stops the action server at start rather than at a handoff.

        Raises:
            OSError: ``config.yml`` cannot be read.
            ValueError: It has no single valid ``HandoffPolicy`` entry.
        """
        self._services = services
        self._settings = settings if settings is not None else policy_settings()

    def name(self) -> str:
        """The action name in the domain."""
        return "action_handoff"

    def _authenticated(self, tracker: Tracker) -> bool | None:
        services = self._services if self._services is not None else default_services()
        try:
            return services.identify(tracker) is not None
        except Exception:
            # The handoff must happen whatever else is broken; the agent sees "unknown".
            logger.exception("identity check failed during handoff of %s", tracker.sender_id)
            return None

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Send the warm message and the handoff payload, close forms, pause the bot."""
        payload, decision = handoff_request(tracker, self._authenticated(tracker), self._settings)
        logger.info(
            "handoff of %s: reason=%s queue=%s score=%s",
            tracker.sender_id,
            payload["reason"],
            payload["queue"],
            payload["score"],
        )
        dispatcher.utter_message(response="utter_handoff")
        dispatcher.utter_message(json_message={"handoff": payload})
        return [
            ActiveLoop(None),
            SlotSet(REQUESTED_SLOT, None),
            SlotSet(ACTIVE_SLOT, True),
            SlotSet(REASON_SLOT, payload["reason"]),
            SlotSet(QUEUE_SLOT, payload["queue"]),
            SlotSet(SIGNALS_SLOT, json.dumps(decision, ensure_ascii=False)),
            ConversationPaused(),
        ]


class ActionHandback(Action):  # type: ignore[misc]
    """Resume after an agent hands back: fresh slots except the order, greet back."""

    def name(self) -> str:
        """The action name in the domain."""
        return "action_handback"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Reset every slot but the kept ones, mark the handoff over, say the bot is back."""
        slots = domain.get("slots") or {}
        events: list[EventType] = [ActiveLoop(None)]
        for name in sorted(slots):
            if name in KEPT_ON_HANDBACK or name == ACTIVE_SLOT:
                continue
            if tracker.get_slot(name) is not None:
                events.append(SlotSet(name, None))
        events.append(SlotSet(ACTIVE_SLOT, False))
        dispatcher.utter_message(response="utter_handback")
        return events
