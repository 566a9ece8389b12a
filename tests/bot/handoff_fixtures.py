"""Shared builders for the handoff policy tests: a small domain and tracker events."""

from __future__ import annotations

import warnings
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.handoff_policy import HandoffPolicy

DOMAIN_YAML = """
version: "3.1"
intents:
  - greet
  - inform
  - order_status
  - refund_status
  - payment_declined
  - dispute_charge
  - request_human
  - complain
  - report_fraud
  - cannot_afford
  - bereavement
  - EXTERNAL_handback
slots:
  order_number:
    type: text
    influence_conversation: false
    mappings:
      - type: custom
  handoff_active:
    type: bool
    influence_conversation: false
    mappings:
      - type: custom
  handoff_reason:
    type: text
    influence_conversation: false
    mappings:
      - type: custom
  handoff_queue:
    type: text
    influence_conversation: false
    mappings:
      - type: custom
  handoff_signals:
    type: text
    influence_conversation: false
    mappings:
      - type: custom
forms:
  order_form:
    required_slots:
      - order_number
responses:
  utter_greet:
    - text: "Hi!"
  utter_default:
    - text: "Sorry, I didn't get that."
  utter_ask_order_number:
    - text: "Which order is this about?"
  utter_handoff:
    - text: "I'm bringing in someone from our team now."
  utter_handback:
    - text: "I'm back."
actions:
  - action_order_status
  - action_refund_status
  - action_open_dispute
  - action_handoff
  - action_handback
"""


def make_domain(yaml_text: str = DOMAIN_YAML) -> Domain:
    """The test domain (contract names, independent of the evolving domain.yml).

    Rasa 3.6 warns about the removed slot auto-fill for *every* domain with slots; that
    one warning is silenced here, anything else still fails the test run.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Slot auto-fill has been removed", UserWarning)
        return Domain.from_yaml(yaml_text)


def make_policy(
    tmp_path: Any, config: dict[str, Any] | None = None, name: str = "handoff"
) -> tuple[HandoffPolicy, LocalModelStorage, Resource, ExecutionContext]:
    """An untrained policy over a LocalModelStorage in ``tmp_path``."""
    storage = LocalModelStorage(tmp_path)
    resource = Resource(name)
    context = ExecutionContext(GraphSchema({}), "test")
    merged = {**HandoffPolicy.get_default_config(), **(config or {})}
    policy = HandoffPolicy.create(merged, storage, resource, context)
    return policy, storage, resource, context


def user(
    text: str,
    intent: str | None,
    confidence: float = 0.95,
    frustration: float = 0.0,
    explicit: bool = False,
    **extra: Any,
) -> list[Event]:
    """The events of one customer message (after the bot listened)."""
    parse_data: dict[str, Any] = {
        "intent": {"name": intent, "confidence": confidence},
        "entities": [],
        "text": text,
        "frustration": {"score": frustration, "signals": []},
        "explicit_request": {
            "matched": explicit,
            "phrase": text if explicit else None,
            "language": "en" if explicit else None,
        },
        **extra,
    }
    return [
        ActionExecuted("action_listen"),
        UserUttered(text, parse_data["intent"], [], parse_data),
    ]


def bot(action: str, text: str | None = None) -> list[Event]:
    """A bot action and (optionally) what it said."""
    events: list[Event] = [ActionExecuted(action)]
    if text is not None:
        events.append(BotUttered(text))
    return events


def form_started() -> list[Event]:
    """The order form activated and asking for the order number."""
    return [
        ActionExecuted("order_form"),
        ActiveLoop("order_form"),
        SlotSet("requested_slot", "order_number"),
        BotUttered("Which order is this about?"),
    ]


def tracker_of(domain: Domain, *groups: list[Event], sender: str = "test") -> DialogueStateTracker:
    """A tracker from event groups, starting like a real session."""
    events: list[Event] = [ActionExecuted("action_session_start")]
    for group in groups:
        events.extend(group)
    return DialogueStateTracker.from_events(sender, events, domain.slots)
