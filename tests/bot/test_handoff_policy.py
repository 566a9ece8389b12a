"""The handoff policy with real Rasa objects: predictions, ensemble, persistence, config."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.events import (
    ActionExecuted,
    ConversationPaused,
    ConversationResumed,
    Event,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.exceptions import InvalidConfigException
from rasa.utils.common import override_defaults

from bot.conversation_signals import (
    HANDOFF_POLICY_CLASS,
    SignalSettings,
    settings_from_rasa_config,
)
from bot.handoff_policy import HandoffPolicy
from tests.bot.handoff_fixtures import (
    bot,
    form_started,
    make_domain,
    make_policy,
    tracker_of,
    user,
)

DOMAIN = make_domain()
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def policy(tmp_path: Path) -> HandoffPolicy:
    policy, *_ = make_policy(tmp_path)
    policy.train([], DOMAIN)
    return policy


def predicted(prediction: PolicyPrediction) -> str | None:
    if prediction.max_confidence == 0.0:
        return None
    return str(DOMAIN.action_names_or_texts[prediction.max_confidence_index])


def slot_events(prediction: PolicyPrediction) -> dict[str, object]:
    return {e.key: e.value for e in prediction.optional_events if isinstance(e, SlotSet)}


def test_explicit_request_predicts_handoff_with_full_confidence(policy: HandoffPolicy) -> None:
    tracker = tracker_of(DOMAIN, user("I want to speak to a person", "request_human", 0.97))
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    assert predicted(prediction) == "action_handoff"
    assert prediction.max_confidence == 1.0
    assert prediction.policy_priority == 7
    assert prediction.is_no_user_prediction
    slots = slot_events(prediction)
    assert slots["handoff_reason"] == "explicit_request"
    assert slots["handoff_queue"] == "payments"
    decision = json.loads(str(slots["handoff_signals"]))
    assert decision["signals"][0]["name"] == "explicit_request"


def test_calm_question_gets_an_all_zero_prediction(policy: HandoffPolicy) -> None:
    tracker = tracker_of(DOMAIN, user("why was my payment declined?", "payment_declined"))
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    assert prediction.probabilities == [0.0] * DOMAIN.num_actions
    assert prediction.optional_events == []


def test_phrase_match_hands_off_even_when_the_intent_is_wrong(policy: HandoffPolicy) -> None:
    tracker = tracker_of(DOMAIN, user("humaaan", "nlu_fallback", 0.2, explicit=True))
    assert predicted(policy.predict_action_probabilities(tracker, DOMAIN)) == "action_handoff"


def test_request_below_the_floor_is_left_to_other_policies(policy: HandoffPolicy) -> None:
    tracker = tracker_of(DOMAIN, user("person?", "request_human", 0.3))
    assert predicted(policy.predict_action_probabilities(tracker, DOMAIN)) is None


def test_listen_after_handoff(policy: HandoffPolicy) -> None:
    tracker = tracker_of(DOMAIN, user("agent", "request_human"), bot("action_handoff"))
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    assert predicted(prediction) == "action_listen"


def test_paused_conversation_gets_no_prediction(policy: HandoffPolicy) -> None:
    tracker = tracker_of(
        DOMAIN,
        user("agent", "request_human"),
        [ActionExecuted("action_handoff"), ConversationPaused()],
        user("hello??", "request_human"),
    )
    assert tracker.is_paused()
    assert predicted(policy.predict_action_probabilities(tracker, DOMAIN)) is None


def test_no_second_handoff_right_after_handback(policy: HandoffPolicy) -> None:
    """The request that led to the first handoff must not trigger another one."""
    tracker = tracker_of(
        DOMAIN,
        user("agent", "request_human"),
        [ActionExecuted("action_handoff"), ConversationPaused(), ConversationResumed()],
        # As the hub does it: resume, then trigger the intent (the bot never listened).
        [UserUttered.create_external("EXTERNAL_handback")],
    )
    assert predicted(policy.predict_action_probabilities(tracker, DOMAIN)) == "action_handback"
    tracker.update_with_events(bot("action_handback", "I'm back."), DOMAIN)
    assert predicted(policy.predict_action_probabilities(tracker, DOMAIN)) == "action_listen"
    tracker.update_with_events(user("thanks", "greet"), DOMAIN)
    assert predicted(policy.predict_action_probabilities(tracker, DOMAIN)) is None


def test_handoff_after_the_dispute_is_recorded(policy: HandoffPolicy) -> None:
    tracker = tracker_of(
        DOMAIN,
        user("I want to dispute a charge", "dispute_charge"),
        form_started(),
        user("ORD-104233", "inform"),
        bot("action_open_dispute", "I'm opening a dispute ..."),
    )
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    assert predicted(prediction) == "action_handoff"
    assert slot_events(prediction)["handoff_queue"] == "disputes"
    assert slot_events(prediction)["handoff_reason"] == "topic"


def test_handoff_only_right_after_a_message_or_a_topic_action(policy: HandoffPolicy) -> None:
    tracker = tracker_of(
        DOMAIN, user("agent", "request_human"), bot("action_refund_status", "Your refund ...")
    )
    assert predicted(policy.predict_action_probabilities(tracker, DOMAIN)) is None


def test_signals_are_summed_again_right_after_the_core_fallback(policy: HandoffPolicy) -> None:
    """The fallback action is new evidence about the latest message: decide once more."""
    gibberish: dict[str, Any] = {"known_ratio": 0.0, "words": 1, "unknown": ["x"]}
    history = (
        user("qwerty", "thank", understood=gibberish),
        bot("utter_greet", "Hi!"),
        user("zzzz", "greet", understood=gibberish),
        bot("utter_greet", "Hi!"),
        user("where is my money", "order_status", 0.57),
    )
    assert (
        predicted(policy.predict_action_probabilities(tracker_of(DOMAIN, *history), DOMAIN)) is None
    )
    # As Rasa logs it: the action, its text, then the rewind of the message it failed.
    fallback = [
        *bot("action_default_fallback", "Sorry, I didn't get that."),
        UserUtteranceReverted(),
    ]
    after_fallback = tracker_of(DOMAIN, *history, fallback)
    prediction = policy.predict_action_probabilities(after_fallback, DOMAIN)
    assert predicted(prediction) == "action_handoff"
    assert slot_events(prediction)["handoff_reason"] == "bot_failure"


def test_a_third_identical_bot_answer_hands_off_right_after_it(policy: HandoffPolicy) -> None:
    """The bot going round in circles is only known once it has replied."""
    ask = ("order_form", "Which order is this about?")
    history = (
        user("refund status", "refund_status"),
        bot(*ask),
        user("refund status", "refund_status"),
        bot(*ask),
        user("refund status", "refund_status"),
    )
    # message time: asked 3 times (0.5) + the same answer twice (0.4) = 0.9
    at_message = tracker_of(DOMAIN, *history)
    assert predicted(policy.predict_action_probabilities(at_message, DOMAIN)) is None
    # the bot asks the same question a third time: 0.5 + 0.8 = 1.3, mostly the bot's doing
    replied = tracker_of(DOMAIN, *history, bot(*ask))
    prediction = policy.predict_action_probabilities(replied, DOMAIN)
    assert predicted(prediction) == "action_handoff"
    assert slot_events(prediction)["handoff_reason"] == "bot_failure"


def test_no_re_decision_for_an_explicit_request_after_the_reply(policy: HandoffPolicy) -> None:
    tracker = tracker_of(DOMAIN, user("agent", "request_human", 0.45), bot("utter_greet", "Hi!"))
    assert predicted(policy.predict_action_probabilities(tracker, DOMAIN)) is None


def _rule_policy(tmp_path: Path) -> RulePolicy:
    (tmp_path / "rules").mkdir()
    storage = LocalModelStorage(tmp_path / "rules")
    context = ExecutionContext(GraphSchema({}), "test")
    rules = RulePolicy.create(RulePolicy.get_default_config(), storage, Resource("rules"), context)
    rules.train([], DOMAIN)
    return rules


@pytest.mark.parametrize(
    "message",
    [
        user("I want to speak to a person", "request_human", 0.9),
        user("ORD-104233, now get me a human", "inform", 0.9, explicit=True),
    ],
)
def test_explicit_request_beats_the_active_form(
    policy: HandoffPolicy, tmp_path: Path, message: list[Event]
) -> None:
    """RulePolicy predicts the active form as a no-user prediction; the handoff must win."""
    tracker = tracker_of(DOMAIN, user("where is my order", "order_status"), form_started(), message)
    rules = _rule_policy(tmp_path)
    rule_prediction = rules.predict_action_probabilities(tracker, DOMAIN)
    assert predicted(rule_prediction) == "order_form"
    assert rule_prediction.is_no_user_prediction

    ours = policy.predict_action_probabilities(tracker, DOMAIN)
    ensemble = DefaultPolicyPredictionEnsemble()
    for order in ([rule_prediction, ours], [ours, rule_prediction]):
        winner = ensemble.combine_predictions(order, tracker, DOMAIN)
        assert predicted(winner) == "action_handoff"
        assert winner.policy_name == "HandoffPolicy"
        assert any(isinstance(e, SlotSet) and e.key == "handoff_reason" for e in winner.events)


def test_frustration_builds_up_to_a_handoff_with_its_signals(policy: HandoffPolicy) -> None:
    tracker = tracker_of(
        DOMAIN,
        user("where is my refund", "refund_status", frustration=0.2),
        form_started(),
        user("I've been waiting for weeks", "complain", frustration=0.45),
    )
    assert predicted(policy.predict_action_probabilities(tracker, DOMAIN)) is None
    tracker.update_with_events(
        [*bot("utter_ask_order_number", "Which order is this about?")], DOMAIN
    )
    tracker.update_with_events(
        user("this is useless, you're not helping", "complain", frustration=0.7), DOMAIN
    )
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    assert predicted(prediction) == "action_handoff"
    decision = json.loads(str(slot_events(prediction)["handoff_signals"]))
    assert decision["reason"] == "frustration"
    assert {s["name"] for s in decision["signals"]} >= {
        "message_frustration",
        "negative_trend",
        "repeated_bot_answer",
    }
    assert decision["turn"] == 3


def test_threshold_from_config_changes_behaviour(tmp_path: Path) -> None:
    tracker = tracker_of(DOMAIN, user("still nothing", "complain", frustration=0.6))
    strict, *_ = make_policy(tmp_path / "a")
    lenient, *_ = make_policy(tmp_path / "b", {"threshold": 0.5})
    assert predicted(strict.predict_action_probabilities(tracker, DOMAIN)) is None
    assert predicted(lenient.predict_action_probabilities(tracker, DOMAIN)) == "action_handoff"


def test_invalid_config_fails_at_creation(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfigException, match="decay"):
        make_policy(tmp_path, {"decay": 2})


def test_training_fails_without_the_handoff_action(tmp_path: Path) -> None:
    policy, *_ = make_policy(tmp_path, {"handoff_action": "action_missing"})
    with pytest.raises(InvalidConfigException, match="action_missing"):
        policy.train([], DOMAIN)


def test_persist_and_load_round_trip(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = {"topic_intents": {"report_fraud": "disputes", "not_in_domain": "x"}}
    policy, storage, resource, context = make_policy(tmp_path, config)
    with caplog.at_level(logging.WARNING, logger="bot.handoff_policy"):
        policy.train([], DOMAIN)
    assert "not_in_domain" in caplog.text

    loaded = HandoffPolicy.load(
        {**HandoffPolicy.get_default_config(), **config}, storage, resource, context
    )
    assert "not_in_domain" not in loaded.settings.topic_intents
    assert loaded.settings.topic_intents["report_fraud"] == "disputes"
    assert loaded.settings == policy.settings
    tracker = tracker_of(DOMAIN, user("someone stole my card", "report_fraud"))
    assert predicted(loaded.predict_action_probabilities(tracker, DOMAIN)) == "action_handoff"


def test_load_without_metadata_keeps_config_as_is(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    loaded = HandoffPolicy.load(
        HandoffPolicy.get_default_config(), storage, Resource("never-trained"), context
    )
    assert "bereavement" in loaded.settings.topic_intents


# --- settings: one set of defaults, the same settings for the action -----------------------


def test_default_config_is_the_dataclass_defaults() -> None:
    config = HandoffPolicy.get_default_config()
    assert {key: config[key] for key in SignalSettings().as_config()} == (
        SignalSettings().as_config()
    )
    assert set(config) - set(SignalSettings().as_config()) == {
        "priority",
        "handoff_action",
        "handback_intent",
        "handback_action",
    }
    assert SignalSettings.from_config(config) == SignalSettings()


def test_config_file_entry_names_this_policy() -> None:
    assert HandoffPolicy.__name__ == HANDOFF_POLICY_CLASS


@pytest.mark.parametrize(
    "changes",
    [{}, {"threshold": 0.5, "weights": {"repeated_intent": 0.9}, "topic_intents": {"x": "y"}}],
    ids=["as_shipped", "tuned"],
)
def test_config_file_gives_the_settings_rasa_gives_the_policy(
    tmp_path: Path, changes: dict[str, Any]
) -> None:
    """What the actions read from config.yml is what the policy gets through Rasa."""
    document = yaml.safe_load((REPO / "config.yml").read_text(encoding="utf-8"))
    entry = next(p for p in document["policies"] if p["name"].endswith(".HandoffPolicy"))
    entry.update(changes)
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")

    custom = {key: value for key, value in entry.items() if key != "name"}
    policy = HandoffPolicy.create(
        override_defaults(HandoffPolicy.get_default_config(), custom),
        LocalModelStorage(tmp_path / "storage"),
        Resource("handoff"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    assert settings_from_rasa_config(path) == policy.settings
