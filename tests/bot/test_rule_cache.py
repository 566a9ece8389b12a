"""The RulePolicy match cache of ``bot.server``: same predictions as stock, only when loaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain

from bot import rule_cache


@pytest.fixture
def cached() -> Iterator[None]:
    rule_cache.apply()
    yield
    rule_cache.restore()


def _trained(tmp_path: Path, domain: Domain, trackers: list[Any]) -> tuple[Any, ...]:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    config = RulePolicy.get_default_config()
    policy = RulePolicy.create(config, storage, Resource("rules"), context)
    policy.train(trackers, domain)
    return config, storage, context


def _predictions(policy: RulePolicy, domain: Domain, trackers: list[Any]) -> list[Any]:
    out = []
    for tracker in trackers:
        for prior, _ in list(tracker.generate_all_prior_trackers())[-6:]:
            prediction = policy.predict_action_probabilities(prior, domain)
            out.append(
                (prediction.probabilities, prediction.policy_name, prediction.action_metadata)
            )
    return out


def test_loaded_policy_predicts_exactly_as_stock(
    tmp_path: Path, project_trackers: Any, cached: None
) -> None:
    domain, trackers = project_trackers
    config, storage, context = _trained(tmp_path, domain, trackers)
    fast = RulePolicy.load(config, storage, Resource("rules"), context)
    assert getattr(fast, rule_cache.CACHE_ATTR) == {}
    rule_cache.restore()
    stock = RulePolicy.load(config, storage, Resource("rules"), context)
    assert getattr(stock, rule_cache.CACHE_ATTR, None) is None
    rule_cache.apply()

    sample = trackers[:40]
    expected = _predictions(stock, domain, sample)
    assert sum(max(probabilities) == 1.0 for probabilities, _, _ in expected) > 50  # rules fired
    assert _predictions(fast, domain, sample) == expected
    assert getattr(fast, rule_cache.CACHE_ATTR)  # it did cache
    assert _predictions(fast, domain, sample) == expected  # and hits give the same answers


def test_a_policy_in_training_is_not_cached(
    tmp_path: Path, project_trackers: Any, cached: None
) -> None:
    domain, trackers = project_trackers
    config, storage, context = _trained(tmp_path, domain, trackers[:5])
    policy = RulePolicy.load(config, storage, Resource("rules"), context)
    assert getattr(policy, rule_cache.CACHE_ATTR) == {}
    policy.train(trackers[:5], domain)  # fine-tuning a loaded policy drops its cache
    assert getattr(policy, rule_cache.CACHE_ATTR) is None
    fresh = RulePolicy.create(config, storage, Resource("other"), context)
    assert getattr(fresh, rule_cache.CACHE_ATTR, None) is None


def test_callers_get_their_own_set(cached: None) -> None:
    policy = RulePolicy.__new__(RulePolicy)
    setattr(policy, rule_cache.CACHE_ATTR, {})
    lookup = {'[{"prev_action": {"action_name": "action_listen"}}]': "utter_greet"}
    states: list[Any] = [{"prev_action": {"action_name": "action_listen"}}]
    first = policy._get_possible_keys(lookup, states)
    first.clear()
    assert policy._get_possible_keys(lookup, states) == set(lookup)
