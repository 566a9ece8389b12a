"""The dialogue-state memo of ``bot.server``: exactly stock's states, fresh lists every call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.policies.memoization import AugmentedMemoizationPolicy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import RULE_ONLY_LOOPS, RULE_ONLY_SLOTS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import state_cache

RULE_ONLY = {RULE_ONLY_SLOTS: ["order_number"], RULE_ONLY_LOOPS: ["order_form"]}


@pytest.fixture(scope="module")
def project(
    project_trackers: tuple[Domain, list[DialogueStateTracker]],
) -> tuple[Domain, list[DialogueStateTracker]]:
    """The project's domain, 30 trackers as trained and 30 with hidden rule turns, as served."""
    domain, trackers = project_trackers
    return domain, trackers[:30] + [_with_hidden_turns(domain, t) for t in trackers[-30:]]


def _with_hidden_turns(domain: Domain, tracker: DialogueStateTracker) -> DialogueStateTracker:
    """The tracker as served, where actions a rule predicted are hidden from ML policies."""
    events = []
    for index, event in enumerate(tracker.events):
        if isinstance(event, ActionExecuted) and index % 3 == 1:
            event = ActionExecuted(
                event.action_name,
                policy=event.policy,
                confidence=event.confidence,
                timestamp=event.timestamp,
                hide_rule_turn=True,
            )
        events.append(event)
    return DialogueStateTracker.from_events(tracker.sender_id, events, domain.slots)


@pytest.fixture
def cached() -> Iterator[None]:
    state_cache.apply()
    yield
    state_cache.restore()


def _stock(domain: Domain, tracker: Any, **flags: Any) -> list[Any]:
    return state_cache._stock_states_for_tracker_history(domain, tracker, **flags)  # type: ignore[no-any-return]


FLAGS = [
    {},
    {"omit_unset_slots": True},
    {"ignore_rule_only_turns": True, "rule_only_data": RULE_ONLY},
]


@pytest.mark.parametrize("flags", FLAGS, ids=["plain", "omit_unset", "rule_only"])
def test_states_equal_stock_for_every_prefix(project: Any, cached: None, flags: Any) -> None:
    domain, trackers = project
    compared = 0
    for tracker in trackers[:60]:
        for prior, _ in tracker.generate_all_prior_trackers():
            expected = _stock(domain, prior, **flags)
            assert domain.states_for_tracker_history(prior, **flags) == expected
            # The second call is answered from the cache, and is still the same.
            assert domain.states_for_tracker_history(prior, **flags) == expected
            compared += 1
    assert compared > 200


def test_callers_can_change_what_they_get(project: Any, cached: None) -> None:
    domain, trackers = project
    tracker = max(trackers[:60], key=lambda t: len(t.events))
    first = domain.states_for_tracker_history(tracker)
    expected = _stock(domain, tracker)
    for state in first:  # what _choose_last_user_input and friends do to their copy
        state.pop("user", None)
        for sub_state in state.values():
            sub_state.clear()
    first.append({"user": {"intent": "changed"}})
    assert domain.states_for_tracker_history(tracker) == expected


def test_new_events_and_other_flags_are_new_keys(project: Any, cached: None) -> None:
    domain, trackers = project
    tracker = trackers[0].copy()
    before = domain.states_for_tracker_history(tracker)
    tracker.update(UserUttered("hi", {"name": "greet", "confidence": 1.0}))
    tracker.update(SlotSet("order_number", "A-1"))
    after = domain.states_for_tracker_history(tracker)
    assert after == _stock(domain, tracker)
    assert after != before
    omitted = domain.states_for_tracker_history(tracker, omit_unset_slots=True)
    assert omitted == _stock(domain, tracker, omit_unset_slots=True)


def test_copies_share_states_and_the_cache_is_bounded(project: Any, cached: None) -> None:
    domain, trackers = project
    for tracker in trackers[:40]:
        copy = tracker.copy()
        assert domain.states_for_tracker_history(copy) == _stock(domain, tracker)
    assert len(state_cache._cache) <= state_cache.MAX_ENTRIES


def test_policies_predict_as_with_stock_states(tmp_path: Path, project: Any) -> None:
    domain, trackers = project
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    policies = [
        RulePolicy.create(RulePolicy.get_default_config(), storage, Resource("r"), context),
        AugmentedMemoizationPolicy.create(
            {**AugmentedMemoizationPolicy.get_default_config(), "max_history": 5},
            storage,
            Resource("m"),
            context,
        ),
    ]
    for policy in policies:
        policy.train(trackers, domain)

    def predictions() -> list[Any]:
        out = []
        for tracker in trackers[:40]:
            for prior, _ in list(tracker.generate_all_prior_trackers())[-5:]:
                for policy in policies:
                    out.append(policy.predict_action_probabilities(prior, domain).probabilities)
        return out

    expected = predictions()
    state_cache.apply()
    try:
        assert predictions() == expected
        assert state_cache._cache  # it was used
    finally:
        state_cache.restore()


def test_the_rule_only_setting_matters_for_the_compared_trackers(project: Any) -> None:
    # Guards the comparison above: some trackers hide rule-only turns from ML policies.
    domain, trackers = project
    differing = sum(
        _stock(domain, tracker) != _stock(domain, tracker, **FLAGS[2]) for tracker in trackers[:60]
    )
    assert differing > 5
