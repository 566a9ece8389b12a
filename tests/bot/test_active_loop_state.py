"""``current_state``'s active loop, copied by ``bot.active_loop_state``: what stock makes."""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from rasa.shared.core import trackers
from rasa.shared.core.trackers import DialogueStateTracker, TrackerActiveLoop

from bot import active_loop_state

PARSE_DATA: dict[str, Any] = {
    "text": "when is my next payment due?",
    "intent": {"name": "next_payment", "confidence": 0.93},
    "intent_ranking": [
        {"name": "next_payment", "confidence": 0.93},
        {"name": "x", "confidence": 0},
    ],
    "entities": [{"entity": "order", "value": "ORD-1", "start": 0, "end": 5, "extractor": None}],
    "understood": {"known_ratio": 1.0, "words": ["when", "is"], "unknown": [], "confused": False},
    "frustration": {"score": 0.0, "signals": [], "pair": ("a", ["b", {"c": 1}])},
    "message_id": None,
    3: "non-string key",
}


@pytest.fixture
def walk() -> Iterator[None]:
    active_loop_state.apply()
    yield
    active_loop_state.restore()


def _loop(trigger: Any) -> TrackerActiveLoop:
    return TrackerActiveLoop("order_form", False, True, trigger)


@pytest.mark.parametrize("trigger", [PARSE_DATA, None, {}], ids=["parse-data", "none", "empty"])
def test_same_dictionary_as_stock(walk: None, trigger: Any) -> None:
    loop = _loop(trigger)
    ours = active_loop_state.asdict(loop)
    assert ours == dataclasses.asdict(loop)
    assert list(ours) == [f.name for f in dataclasses.fields(TrackerActiveLoop)]


def test_a_deep_copy(walk: None) -> None:
    trigger = {"intent": {"name": "a"}, "entities": [{"value": "x"}]}
    ours = active_loop_state.asdict(_loop(trigger))
    ours["trigger_message"]["intent"]["name"] = "changed"
    ours["trigger_message"]["entities"][0]["value"] = "changed"
    assert trigger == {"intent": {"name": "a"}, "entities": [{"value": "x"}]}


def test_other_values_are_copied_as_stock_copies_them(walk: None) -> None:
    point = collections.namedtuple("point", "x y")(1, [2])
    trigger = {"ordered": collections.OrderedDict(a=1), "point": point, "array": np.arange(3)}
    ours = active_loop_state.deep_copy(trigger)
    stock = dataclasses.asdict(_loop(trigger))["trigger_message"]
    assert type(ours["ordered"]) is collections.OrderedDict
    assert ours["point"] == stock["point"]
    assert type(ours["point"]) is type(point)
    assert ours["point"][1] is not point[1]
    assert np.array_equal(ours["array"], stock["array"])
    assert ours["array"] is not trigger["array"]


def test_the_tracker_state_is_unchanged(walk: None) -> None:
    tracker = DialogueStateTracker("s", [])
    tracker.active_loop = _loop(PARSE_DATA)
    ours = tracker.current_state()
    active_loop_state.restore()
    assert ours == tracker.current_state()


def test_restore_puts_the_module_back() -> None:
    active_loop_state.apply()
    active_loop_state.restore()
    assert trackers.dataclasses is dataclasses
