"""Property-based tests over generated conversations (hypothesis).

1. Whatever came before (payment questions, forms waiting for a slot, fallbacks, complaints),
   an explicit request for a person leads to ``action_handoff`` at that very turn.
2. After the handoff the real ``action_handoff`` pauses the conversation: Rasa's processor
   handles no message (so no bot utterance) until the hub resumes it and hands back, and the
   old request does not trigger a second handoff after the hand-back.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationResumed,
    Event,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ActionServices, ActionSettings
from actions.handoff import ActionHandoff
from bot.handoff_policy import HandoffPolicy
from tests.bot.handoff_fixtures import bot, form_started, make_domain, make_policy, user

DOMAIN = make_domain()
PAYMENT_INTENTS = ["order_status", "refund_status", "payment_declined", "greet", "complain"]


def _policy() -> HandoffPolicy:
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="handoff-prop-"))
    policy, *_ = make_policy(directory)
    policy.train([], DOMAIN)
    return policy


POLICY = _policy()

frustration = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)

question = st.builds(
    lambda intent, score, answer: [
        *user(f"question about {intent}", intent, 0.9, score),
        *bot("action_refund_status", answer),
    ],
    st.sampled_from(PAYMENT_INTENTS),
    frustration,
    st.sampled_from(["Here is your refund.", "Your order shipped.", "It was declined."]),
)
form_question = st.builds(
    lambda intent, score: [*user(f"ask {intent}", intent, 0.9, score), *form_started()],
    st.sampled_from(PAYMENT_INTENTS),
    frustration,
)
slot_answer = st.builds(
    lambda score: [
        *user("ORD-104233", "inform", 0.9, score),
        *bot("order_form"),
        *bot("action_order_status", "It's on its way."),
    ],
    frustration,
)
fallback = st.builds(
    lambda score: [*user("asdf qwer", "nlu_fallback", 0.3, score), *bot("utter_default", "Sorry?")],
    frustration,
)
step = st.one_of(question, form_question, slot_answer, fallback)

explicit_request = st.one_of(
    # by intent, at or above the default floor
    st.builds(
        lambda conf, text: user(text, "request_human", conf),
        st.floats(min_value=0.5, max_value=1.0),
        st.sampled_from(["agent", "human please", "I want to speak to a person"]),
    ),
    # by phrase, whatever the intent classifier thought (also mid-form, as a slot answer)
    st.builds(
        lambda intent, conf, text: user(text, intent, conf, explicit=True),
        st.sampled_from(["inform", "nlu_fallback", "order_status", "complain", "greet"]),
        st.floats(min_value=0.0, max_value=1.0),
        st.sampled_from(["ORD-104233 but get me a human", "hablar con una persona", "humaaan"]),
    ),
)


def build_tracker(groups: list[list[Event]]) -> DialogueStateTracker:
    events: list[Event] = [ActionExecuted("action_session_start")]
    for group in groups:
        events.extend(group)
    return DialogueStateTracker.from_events("prop", events, DOMAIN.slots)


def predicted(tracker: DialogueStateTracker) -> str | None:
    prediction = POLICY.predict_action_probabilities(tracker, DOMAIN)
    if prediction.max_confidence == 0.0:
        return None
    assert prediction.max_confidence == 1.0
    return str(DOMAIN.action_names_or_texts[prediction.max_confidence_index])


PROPERTY_SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(history=st.lists(step, max_size=8), request=explicit_request)
def test_explicit_request_at_any_turn_hands_off_at_that_turn(
    history: list[list[Event]], request: list[Event]
) -> None:
    tracker = build_tracker([*history, request])
    assert predicted(tracker) == "action_handoff"


def _run_real_handoff(tracker: DialogueStateTracker) -> list[Event]:
    """Run the real action on the tracker as the action server would see it."""
    sdk_tracker = Tracker.from_dict(tracker.current_state(EventVerbosity.ALL))
    dispatcher = CollectingDispatcher()
    services = ActionServices(ActionSettings(customer_token_secret=None, database_url="sqlite://"))
    domain_dict: dict[str, Any] = DOMAIN.as_dict()
    sdk_events = asyncio.run(ActionHandoff(services).run(dispatcher, sdk_tracker, domain_dict))
    bot_events: list[Event] = [
        BotUttered(m.get("text"), data={"custom": m.get("custom")}) for m in dispatcher.messages
    ]
    return [
        ActionExecuted("action_handoff"),
        *bot_events,
        *[Event.from_parameters(e) for e in sdk_events],
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history=st.lists(step, max_size=5),
    request=explicit_request,
    after=st.lists(st.one_of(question, fallback, explicit_request), min_size=1, max_size=4),
)
def test_no_bot_turn_after_handoff_until_handback(
    history: list[list[Event]], request: list[Event], after: list[list[Event]]
) -> None:
    tracker = build_tracker([*history, request])
    assert predicted(tracker) == "action_handoff"
    tracker.update_with_events(_run_real_handoff(tracker), DOMAIN)
    assert tracker.is_paused()
    assert tracker.active_loop_name is None
    assert tracker.get_slot("handoff_active") is True

    for message in after:
        # Messages arriving while paused (the hub normally keeps them from Rasa entirely).
        tracker.update_with_events([e for e in message if isinstance(e, UserUttered)], DOMAIN)
        assert not MessageProcessor._should_handle_message(tracker)
        assert predicted(tracker) is None

    tracker.update_with_events(
        # What the hub does through Rasa's API: resume, then trigger the intent.
        [ConversationResumed(), UserUttered.create_external("EXTERNAL_handback")],
        DOMAIN,
    )
    assert MessageProcessor._should_handle_message(tracker)
    # The hand-back is answered by action_handback, never by another handoff.
    assert predicted(tracker) == "action_handback"
