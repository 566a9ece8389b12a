"""One warm-up parse right after the model loads, and a failed one never stops the start."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest
import rasa.core.agent

from bot import warm_start

STOCK_LOAD_AGENT = rasa.core.agent.load_agent


class _Agent:
    def __init__(self, ready: bool, fails: bool = False) -> None:
        self.ready, self.fails, self.parsed = ready, fails, []

    def is_ready(self) -> bool:
        return self.ready

    async def parse_message(self, text: str) -> dict[str, Any]:
        if self.fails:
            raise RuntimeError("spaCy went away")
        self.parsed.append(text)
        return {}


@pytest.fixture
def applied() -> Iterator[None]:
    warm_start.apply()
    yield
    warm_start.restore()
    gc.unfreeze()  # the test process's objects go back to the collector


def test_the_loaded_model_is_frozen_and_a_later_load_thaws_the_old_one_first(
    applied: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen_when_loading: list[int] = []

    async def stock_load(*args: Any, **kwargs: Any) -> _Agent:
        frozen_when_loading.append(gc.get_freeze_count())
        return _Agent(True)

    monkeypatch.setattr(warm_start, "_stock_load_agent", stock_load)
    first = asyncio.run(rasa.core.agent.load_agent(model_path="m"))
    assert gc.get_freeze_count() > 0
    assert all(o is not first for o in gc.get_objects())  # out of the collector's generations
    second = asyncio.run(rasa.core.agent.load_agent(model_path="m"))
    assert frozen_when_loading == [0, 0]  # thawed before each load: the old model can go
    assert second is not first
    assert gc.get_freeze_count() > 0


@pytest.mark.parametrize(
    ("ready", "fails", "parsed"), [(True, False, 1), (False, False, 0), (True, True, 0)]
)
def test_the_loaded_agent_is_warmed_up_once(
    applied: None, monkeypatch: pytest.MonkeyPatch, ready: bool, fails: bool, parsed: int
) -> None:
    loaded = _Agent(ready, fails)

    async def stock_load(*args: Any, **kwargs: Any) -> _Agent:
        return loaded

    monkeypatch.setattr(warm_start, "_stock_load_agent", stock_load)
    assert rasa.core.agent.load_agent is warm_start.load_agent_warm
    assert asyncio.run(rasa.core.agent.load_agent(model_path="m")) is loaded
    assert loaded.parsed == [warm_start.WARM_UP_TEXT] * parsed


def test_restore_puts_stock_back() -> None:
    warm_start.apply()
    warm_start.restore()
    assert rasa.core.agent.load_agent is STOCK_LOAD_AGENT
