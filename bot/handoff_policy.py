"""The handoff policy: hands the conversation to a person whenever it must, at any point.

Why a policy and not rules: a rule or a form cannot see how the whole conversation has gone
(frustration building up over turns, the bot repeating itself), and rules lose against an
active form's loop. This policy reads the tracker at every turn, asks the pure scoring in
:mod:`bot.conversation_signals`, and when a person is needed predicts ``action_handoff`` with
confidence 1.0 and a priority above ``RulePolicy``.

Interplay with forms: while a form is active, ``RulePolicy`` predicts the form as a "no user"
prediction, and Rasa's ensemble lets no-user predictions overrule every other prediction. So
this policy marks its own predictions as no-user too; with confidence 1.0 and the higher
priority it then wins against the form, and ``action_handoff`` deactivates the form.

How the reason reaches the action: the winning prediction carries ``optional_events`` that
set the slots ``handoff_reason``, ``handoff_queue`` and ``handoff_signals`` (the decision as
JSON) just before ``action_handoff`` runs. The action reads them; when they were not set in
the current turn (``action_handoff`` predicted by a rule instead) it recomputes with the same
pure functions and the same settings, read from this policy's entry in config.yml
(:func:`bot.conversation_signals.settings_from_rasa_config`). See docs/handoff.md.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationResumed,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.utils.io import dump_obj_as_json_to_file, read_json_file

from bot.conversation_signals import (
    HandoffDecision,
    SignalSettings,
    UserTurn,
    decide,
    should_offer_person,
    turns_from_event_dicts,
)

logger = logging.getLogger(__name__)

HANDOFF_ACTION = "action_handoff"
HANDBACK_INTENT = "EXTERNAL_handback"
HANDBACK_ACTION = "action_handback"
REASON_SLOT = "handoff_reason"
QUEUE_SLOT = "handoff_queue"
SIGNALS_SLOT = "handoff_signals"
METADATA_FILE = "handoff_policy.json"


def _event_dicts(tracker: DialogueStateTracker) -> list[dict[str, Any]]:
    """The few events the scoring needs, in rasa-sdk's dict shape (cheaper than as_dict)."""
    shaped: list[dict[str, Any]] = []
    for event in tracker.events:
        if isinstance(event, UserUttered):
            shaped.append(
                {
                    "event": "user",
                    "text": event.text or "",
                    "parse_data": event.parse_data,
                    "metadata": event.metadata,
                }
            )
        elif isinstance(event, BotUttered):
            shaped.append({"event": "bot", "text": event.text})
        elif isinstance(event, ActionExecuted):
            shaped.append({"event": "action", "name": event.action_name})
        elif isinstance(event, (Restarted, SessionStarted)):
            shaped.append({"event": "restart"})
        elif isinstance(event, ConversationResumed):
            shaped.append({"event": "resume"})
    return shaped


def _user_message_pending(tracker: DialogueStateTracker) -> bool:
    """Whether the newest user message has not been answered by any action yet.

    Usually the previous action is then ``action_listen``; after a pause it is not (the bot
    never listened), so the event order is checked instead of the previous action's name.
    """
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return True
        if isinstance(event, ActionExecuted):
            return False
    return False


def tracker_turns(tracker: DialogueStateTracker) -> list[UserTurn]:
    """The customer's turns since the session start or the last hand-back."""
    return turns_from_event_dicts(_event_dicts(tracker))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class HandoffPolicy(Policy):  # type: ignore[misc]
    """Predicts ``action_handoff`` when the customer must get a person.

    Training learns nothing from stories; it checks the configuration against the domain
    (the handoff action must exist, configured intents should) and persists which topic
    intents and actions are live in this model, so a misconfiguration fails at training
    time instead of silently never handing off.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Every tunable, overridable from the policy's entry in config.yml."""
        return {
            # Above RulePolicy (6): on equal confidence the higher priority wins.
            "priority": 7,
            "handoff_action": HANDOFF_ACTION,
            "handback_intent": HANDBACK_INTENT,
            "handback_action": HANDBACK_ACTION,
            # The scoring's tunables, defaults as written in SignalSettings.
            **SignalSettings().as_config(),
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
        live_topic_intents: list[str] | None = None,
        live_topic_actions: list[str] | None = None,
    ) -> None:
        """Create the policy; invalid settings raise ``InvalidConfigException`` here."""
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        try:
            settings = SignalSettings.from_config(config)
        except (TypeError, ValueError) as error:
            raise InvalidConfigException(f"HandoffPolicy: {error}") from error
        if live_topic_intents is not None or live_topic_actions is not None:
            settings = replace(
                settings,
                topic_intents={
                    name: queue
                    for name, queue in settings.topic_intents.items()
                    if live_topic_intents is None or name in live_topic_intents
                },
                topic_actions={
                    name: queue
                    for name, queue in settings.topic_actions.items()
                    if live_topic_actions is None or name in live_topic_actions
                },
            )
        self.settings = settings
        self.handoff_action = str(config.get("handoff_action", HANDOFF_ACTION))
        self.handback_intent = str(config.get("handback_intent", HANDBACK_INTENT))
        self.handback_action = str(config.get("handback_action", HANDBACK_ACTION))

    def train(
        self,
        training_trackers: list[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        """Check the configuration against the domain and persist what is live."""
        if self.handoff_action not in domain.action_names_or_texts:
            raise InvalidConfigException(
                f"HandoffPolicy: the handoff action '{self.handoff_action}' is not in the "
                "domain; add it under 'actions:' in domain.yml."
            )
        intents = set(domain.intents)
        actions = set(domain.action_names_or_texts)
        for kind, configured, known in (
            ("intent", [self.settings.explicit_intent], intents),
            ("intent", list(self.settings.topic_intents), intents),
            ("action", list(self.settings.topic_actions), actions),
        ):
            for name in configured:
                if name not in known:
                    logger.warning(
                        "HandoffPolicy: configured %s '%s' is not in the domain; ignored.",
                        kind,
                        name,
                    )
        live_intents = [name for name in self.settings.topic_intents if name in intents]
        live_actions = [name for name in self.settings.topic_actions if name in actions]
        self.settings = replace(
            self.settings,
            topic_intents={n: self.settings.topic_intents[n] for n in live_intents},
            topic_actions={n: self.settings.topic_actions[n] for n in live_actions},
        )
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Write the live topic intents/actions next to the model."""
        with self._model_storage.write_to(self._resource) as directory:
            dump_obj_as_json_to_file(
                Path(directory) / METADATA_FILE,
                {
                    "live_topic_intents": sorted(self.settings.topic_intents),
                    "live_topic_actions": sorted(self.settings.topic_actions),
                },
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> HandoffPolicy:
        """Load a trained policy; without metadata every configured topic stays live."""
        live_intents: list[str] | None = None
        live_actions: list[str] | None = None
        try:
            with model_storage.read_from(resource) as directory:
                metadata = read_json_file(Path(directory) / METADATA_FILE)
                live_intents = list(metadata["live_topic_intents"])
                live_actions = list(metadata["live_topic_actions"])
        except (ValueError, KeyError, FileNotFoundError) as error:
            logger.warning(
                "HandoffPolicy: no persisted metadata (%s); using config.yml as is.", error
            )
        return cls(
            config,
            model_storage,
            resource,
            execution_context,
            live_topic_intents=live_intents,
            live_topic_actions=live_actions,
        )

    def decide(self, tracker: DialogueStateTracker) -> HandoffDecision | None:
        """The handoff decision for the tracker's current state, if any."""
        if _user_message_pending(tracker):
            return decide(tracker_turns(tracker), self.settings)
        latest_action = tracker.latest_action_name
        if latest_action in self.settings.topic_actions:
            return decide(tracker_turns(tracker), self.settings, after_action=latest_action)
        if self._bot_replied_since_last_message(tracker):
            # The bot's reply is new evidence the message alone did not carry (it repeated
            # itself, or the core fallback ran), so the accumulated signals are summed again.
            return decide(tracker_turns(tracker), self.settings, accumulated_only=True)
        return None

    def _bot_replied_since_last_message(self, tracker: DialogueStateTracker) -> bool:
        """Whether the latest action answered the latest message with text or a fallback.

        Raw events are read, not ``latest_action_name``: the core fallback rewinds the
        message (``UserUtteranceReverted``), which also hides the fallback action itself
        from the tracker's applied state.
        """
        replied = False
        for event in reversed(tracker.events):
            if isinstance(event, UserUttered):
                return replied
            if isinstance(event, BotUttered):
                replied = True
            elif isinstance(event, ActionExecuted):
                if event.action_name == ACTION_LISTEN_NAME:
                    return False
                return replied or event.action_name in self.settings.fallback_actions
        return False

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Predict the handoff (or listen right after it), else abstain with all zeros."""
        if tracker.is_paused():
            return self._prediction(self._default_predictions(domain))
        pending = _user_message_pending(tracker)
        if (
            pending
            and tracker.latest_message is not None
            and tracker.latest_message.intent.get("name") == self.handback_intent
            and self.handback_action in domain.action_names_or_texts
        ):
            # The hub resumes a paused conversation without the bot ever listening, so the
            # previous action is still action_handoff and no rule state matches: the policy
            # that paused the conversation also answers the hand-back.
            return self._certain(self.handback_action, domain)
        if not pending and tracker.latest_action_name in (
            self.handoff_action,
            self.handback_action,
        ):
            return self._certain(ACTION_LISTEN_NAME, domain)
        offer = self.settings.offer_action
        if not pending and tracker.latest_action_name == offer:
            return self._certain(ACTION_LISTEN_NAME, domain)
        decision = self.decide(tracker)
        if decision is None:
            if (
                pending
                and offer in domain.action_names_or_texts
                and should_offer_person(tracker_turns(tracker), self.settings)
            ):
                logger.info("HandoffPolicy: offering a person to %s", tracker.sender_id)
                return self._certain(offer, domain)
            return self._prediction(self._default_predictions(domain))
        logger.info(
            "HandoffPolicy: handing off conversation %s (reason %s, queue %s, score %.2f)",
            tracker.sender_id,
            decision.reason,
            decision.queue,
            decision.score,
        )
        slots = {slot.name for slot in domain.slots}
        optional_events: list[Event] = [
            SlotSet(name, value)
            for name, value in (
                (REASON_SLOT, decision.reason),
                (QUEUE_SLOT, decision.queue),
                (SIGNALS_SLOT, json.dumps(decision.as_dict(), ensure_ascii=False)),
            )
            if name in slots
        ]
        return self._certain(
            self.handoff_action,
            domain,
            optional_events=optional_events,
            diagnostic_data={"handoff": decision.as_dict()},
        )

    def _certain(
        self,
        action_name: str,
        domain: Domain,
        optional_events: list[Event] | None = None,
        diagnostic_data: dict[str, Any] | None = None,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action_name)] = 1.0
        # No-user, so it competes with (and beats) an active form's loop prediction.
        return self._prediction(
            probabilities,
            optional_events=optional_events,
            is_no_user_prediction=True,
            diagnostic_data=diagnostic_data,
        )
