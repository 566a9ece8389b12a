"""action_handoff, action_handback and the summary, with real rasa-sdk trackers."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ActionServices
from actions.handoff import ActionHandback, ActionHandoff, policy_settings
from actions.summary import MAX_SUMMARY_CHARS, build_summary
from tests.actions.conftest import REPO_ROOT


def user(
    text: str, intent: str, frustration: float = 0.0, *, confidence: float = 0.93, **metadata: Any
) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
            "text": text,
            "frustration": {
                "score": frustration,
                "signals": [{"name": "frustration_phrase", "score": frustration, "evidence": text}]
                if frustration
                else [],
            },
            "explicit_request": {"matched": False, "phrase": None, "language": None},
        },
        "metadata": metadata,
    }


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def bot(text: str) -> dict[str, Any]:
    return {"event": "bot", "text": text}


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


SLOTS = {
    "order_number": None,
    "email": None,
    "requested_topic": None,
    "requested_slot": None,
    "handoff_active": None,
    "handoff_reason": None,
    "handoff_queue": None,
    "handoff_signals": None,
}


def tracker_from(events: list[dict[str, Any]], **slots: Any) -> Tracker:
    latest = next(e for e in reversed(events) if e["event"] == "user")
    return Tracker(
        "conv-handoff",
        {**SLOTS, **slots},
        {**latest["parse_data"], "metadata": latest["metadata"]},
        events,
        False,
        None,
        {},
        "action_listen",
    )


async def run(action_obj: Any, tracker: Tracker, domain: dict[str, Any]):
    dispatcher = CollectingDispatcher()
    events = await action_obj.run(dispatcher, tracker, domain)
    return dispatcher.messages, events


def payload_of(messages: list[dict[str, Any]]) -> dict[str, Any]:
    customs = [m["custom"] for m in messages if m.get("custom")]
    assert len(customs) == 1
    handoff: dict[str, Any] = customs[0]["handoff"]
    return handoff


REFUND_EVENTS = [
    action("action_session_start"),
    {"event": "session_started"},
    action("action_listen"),
    user("where is my refund", "refund_status", 0.2),
    action("order_form"),
    {"event": "active_loop", "name": "order_form"},
    bot("Which order is this about?"),
    action("action_listen"),
    user("ORD-104233", "inform"),
    action("action_refund_status"),
    bot("Your refund of €45.50 for ORD-104233 is on its way, expected 5 December 2026."),
    action("action_listen"),
    user("I've been waiting for weeks, still nothing", "complain", 0.5),
    bot("I'm sorry this has been frustrating."),
    action("action_listen"),
    user("this is useless, you're not helping", "complain", 0.8),
]


async def test_handoff_uses_the_policy_decision_and_pauses(
    services: ActionServices, domain: dict[str, Any], token_for: Callable[[str], str]
) -> None:
    decision = {
        "reason": "frustration",
        "queue": "payments",
        "score": 1.42,
        "turn": 4,
        "intent": "complain",
        "signals": [
            {"name": "message_frustration", "score": 0.8, "turn": 4, "evidence": "useless"}
        ],
    }
    events = [*copy.deepcopy(REFUND_EVENTS), slot("handoff_signals", json.dumps(decision))]
    events[-2]["metadata"] = {"customer_token": token_for("cus_alice")}
    tracker = tracker_from(events, order_number="ORD-104233")

    messages, result = await run(ActionHandoff(services), tracker, domain)

    assert messages[0]["response"] == "utter_handoff"
    payload = payload_of(messages)
    assert payload["reason"] == "frustration"
    assert payload["queue"] == "payments"
    assert payload["score"] == 1.42
    assert payload["signals"] == decision["signals"]
    assert payload["order_number"] == "ORD-104233"
    assert payload["intent"] == "complain"
    assert "verified customer" in payload["summary"]
    assert ActiveLoop(None) in result
    assert SlotSet("handoff_active", True) in result
    assert SlotSet("handoff_reason", "frustration") in result
    assert SlotSet("handoff_queue", "payments") in result
    assert result[-1] == ConversationPaused()


async def test_handoff_recomputes_when_no_decision_was_passed(
    services: ActionServices, domain: dict[str, Any]
) -> None:
    """A stale decision from an earlier turn is ignored; the events decide again."""
    events = [
        slot("handoff_signals", json.dumps({"reason": "topic", "queue": "disputes"})),
        *REFUND_EVENTS,
    ]
    messages, _ = await run(ActionHandoff(services), tracker_from(events), domain)
    payload = payload_of(messages)
    assert payload["reason"] == "frustration"
    assert {s["name"] for s in payload["signals"]} >= {"message_frustration"}
    assert "anonymous" in payload["summary"]


@pytest.mark.parametrize(
    ("events", "reason", "queue"),
    [
        ([user("agent please", "request_human")], "explicit_request", "payments"),
        ([user("someone stole my card", "report_fraud")], "topic", "disputes"),
        (
            [
                user("dispute this charge", "dispute_charge"),
                action("order_form"),
                user("ORD-104233", "inform"),
                action("action_open_dispute"),
            ],
            "topic",
            "disputes",
        ),
        ([user("hello", "greet")], "bot_failure", "payments"),
        # a rule handed off on a topic intent below the policy's floor: still a topic
        (
            [user("not sure my payment worked", "cannot_afford", confidence=0.58)],
            "topic",
            "collections",
        ),
    ],
)
async def test_recomputed_reasons(
    services: ActionServices,
    domain: dict[str, Any],
    events: list[dict[str, Any]],
    reason: str,
    queue: str,
) -> None:
    messages, result = await run(ActionHandoff(services), tracker_from(events), domain)
    payload = payload_of(messages)
    assert (payload["reason"], payload["queue"]) == (reason, queue)
    assert SlotSet("handoff_reason", reason) in result


def config_with(tmp_path: Path, **handoff_policy: Any) -> Path:
    """The project's config.yml with some of the handoff policy's settings changed."""
    document = yaml.safe_load((REPO_ROOT / "config.yml").read_text(encoding="utf-8"))
    entry = next(p for p in document["policies"] if p["name"].endswith(".HandoffPolicy"))
    entry.update(handoff_policy)
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


# The same question three times, answered differently each time: a `repeated_intent` signal
# worth 0.5 with the default weights, below the default threshold of 1.0.
ASKED_THREE_TIMES = [
    user("where is my refund", "refund_status"),
    bot("Which order is this about?"),
    user("where is my refund??", "refund_status"),
    bot("Your refund is on its way."),
    user("but where is my refund", "refund_status"),
]


async def test_recomputed_decision_uses_the_policy_settings_from_config_yml(
    services: ActionServices, domain: dict[str, Any], tmp_path: Path
) -> None:
    """A rule predicted the handoff: the action decides with config.yml's settings."""
    tracker = tracker_from(ASKED_THREE_TIMES)
    as_shipped, _ = await run(ActionHandoff(services), tracker, domain)
    assert payload_of(as_shipped)["reason"] == "bot_failure"  # nothing reached the threshold

    tuned = policy_settings(config_with(tmp_path, threshold=0.5, default_queue="general"))
    messages, result = await run(ActionHandoff(services, tuned), tracker, domain)
    payload = payload_of(messages)
    assert (payload["reason"], payload["queue"]) == ("frustration", "general")
    assert [s["name"] for s in payload["signals"]] == ["repeated_intent"]
    assert SlotSet("handoff_queue", "general") in result


def test_the_action_reads_the_policy_settings_from_the_project_config() -> None:
    assert ActionHandoff()._settings == policy_settings(REPO_ROOT / "config.yml")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("policies: []\n", "expected one HandoffPolicy"),
        ("policies:\n  - name: bot.handoff_policy.HandoffPolicy\n    decay: 2\n", "decay"),
        ("policies: [\n", "config.yml"),
    ],
)
def test_a_config_without_valid_policy_settings_is_refused(
    tmp_path: Path, text: str, error: str
) -> None:
    path = tmp_path / "config.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=error):
        policy_settings(path)


async def test_invalid_json_in_the_slot_falls_back_to_recomputing(
    services: ActionServices, domain: dict[str, Any]
) -> None:
    events = [user("agent please", "request_human"), slot("handoff_signals", "{not json")]
    messages, _ = await run(ActionHandoff(services), tracker_from(events), domain)
    assert payload_of(messages)["reason"] == "explicit_request"


async def test_handoff_still_happens_when_identity_check_breaks(domain: dict[str, Any]) -> None:
    class BrokenServices(ActionServices):
        def identify(self, tracker: Tracker, now: Any = None) -> Any:
            raise RuntimeError("secret store down")

    messages, result = await run(
        ActionHandoff(BrokenServices()), tracker_from([user("agent", "request_human")]), domain
    )
    assert "Identity: unknown" in payload_of(messages)["summary"]
    assert result[-1] == ConversationPaused()


async def test_handback_resets_slots_but_keeps_the_order(domain: dict[str, Any]) -> None:
    events = [
        user("agent", "request_human"),
        action("action_handoff"),
        {"event": "pause"},
        {"event": "resume"},
        {
            "event": "user",
            "text": "EXTERNAL: EXTERNAL_handback",
            "parse_data": {"intent": {"name": "EXTERNAL_handback", "confidence": 1.0}},
            "metadata": {"is_external": True},
        },
    ]
    tracker = tracker_from(
        events,
        order_number="ORD-104233",
        email="alice@example.com",
        requested_topic="refund_status",
        handoff_active=True,
        handoff_reason="explicit_request",
        handoff_queue="payments",
        handoff_signals="{}",
    )
    messages, result = await run(ActionHandback(), tracker, domain)
    assert messages[0]["response"] == "utter_handback"
    assert ActiveLoop(None) in result
    reset = {e["name"] for e in result if e["event"] == "slot" and e["value"] is None}
    assert reset == {
        "email",
        "requested_topic",
        "handoff_reason",
        "handoff_queue",
        "handoff_signals",
    }
    assert SlotSet("handoff_active", False) in result
    assert all(e.get("name") != "order_number" for e in result)


def test_summary_names_wants_lookups_order_identity_and_mood() -> None:
    summary = build_summary(REFUND_EVENTS, order_number="ORD-104233", authenticated=False)
    assert "a refund" in summary
    assert "a complaint (x2)" in summary
    assert "refunds" in summary  # what the bot looked up
    assert "ORD-104233" in summary
    assert "anonymous" in summary
    assert "rising" in summary
    assert "this is useless" in summary
    assert len(summary) <= MAX_SUMMARY_CHARS


def test_summary_is_capped_for_long_conversations() -> None:
    events = []
    for i in range(60):
        events += [user(f"message number {i} " + "x" * 200, "complain", 0.5), bot("y" * 300)]
    summary = build_summary(events, order_number=None, authenticated=None)
    assert len(summary) <= MAX_SUMMARY_CHARS
    assert summary.startswith("Wants: a complaint (x60).")


def test_summary_of_an_empty_conversation() -> None:
    summary = build_summary([], order_number=None, authenticated=True)
    assert summary.startswith("Wants: unclear.")
    assert "Order: none given" in summary
