"""The "one moment" notice for a slow bot answer: a timer on the turn's own task."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub.services.busy_notice import BusyNotice
from hub.services.ports import BotError, BotReply

AFTER_S = 0.05


class RecordingNotices:
    """Records ``announce`` calls; each takes a moment, like storing and sending a status."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    async def announce(self, conversation_id: str, key: str) -> None:
        await asyncio.sleep(0.01)
        self.events.append(f"{key}:{conversation_id}")


async def _answer(events: list[str], delay_s: float, text: str = "hi") -> list[BotReply]:
    await asyncio.sleep(delay_s)
    events.append(f"answer:{text}")
    return [BotReply(text=text)]


def _busy(events: list[str], after_s: float | None = AFTER_S) -> BusyNotice:
    notices: Any = RecordingNotices(events)
    return BusyNotice(notices, after_s)


async def test_a_quick_answer_gets_no_notice_and_leaves_no_timer_or_task():
    events: list[str] = []
    busy = _busy(events)
    tasks_before = len(asyncio.all_tasks())
    replies = await busy.answer("c1", _answer(events, 0.0))
    assert [r.text for r in replies] == ["hi"]
    assert events == ["answer:hi"]
    assert len(asyncio.all_tasks()) == tasks_before
    await asyncio.sleep(AFTER_S * 2)  # the cancelled timer never fires
    assert events == ["answer:hi"]


async def test_a_slow_answer_is_announced_once_before_the_answer_is_returned():
    events: list[str] = []
    busy = _busy(events)
    await busy.answer("c1", _answer(events, AFTER_S * 3, "first"))
    assert events == ["bot_busy:c1", "answer:first"]
    await busy.answer("c1", _answer(events, AFTER_S * 3, "second"))  # same spell: not again
    assert events == ["bot_busy:c1", "answer:first", "answer:second"]


async def test_the_notice_is_finished_before_an_answer_that_arrives_during_it():
    events: list[str] = []
    busy = _busy(events)
    # The answer arrives 5 ms after the timer, while the 10 ms notice is still being stored.
    replies = await busy.answer("c1", _answer(events, AFTER_S + 0.005))
    assert events == ["answer:hi", "bot_busy:c1"]  # the bot was quicker than the notice ...
    assert [r.text for r in replies] == ["hi"]  # ... yet the answer is returned after it


async def test_a_quick_answer_ends_the_spell_so_the_next_slow_one_is_announced_again():
    events: list[str] = []
    busy = _busy(events)
    await busy.answer("c1", _answer(events, AFTER_S * 3, "a"))
    await busy.answer("c1", _answer(events, 0.0, "b"))
    await busy.answer("c1", _answer(events, AFTER_S * 3, "c"))
    assert events == ["bot_busy:c1", "answer:a", "answer:b", "bot_busy:c1", "answer:c"]


async def test_conversations_are_told_separately():
    events: list[str] = []
    busy = _busy(events)
    await asyncio.gather(
        busy.answer("c1", _answer(events, AFTER_S * 3, "one")),
        busy.answer("c2", _answer(events, AFTER_S * 3, "two")),
    )
    assert sorted(events) == ["answer:one", "answer:two", "bot_busy:c1", "bot_busy:c2"]


async def test_a_failed_answer_is_raised_and_its_timer_cancelled():
    events: list[str] = []
    busy = _busy(events)

    async def failing() -> list[BotReply]:
        raise BotError("down")

    with pytest.raises(BotError):
        await busy.answer("c1", failing())
    await asyncio.sleep(AFTER_S * 2)
    assert events == []


async def test_without_a_notice_time_nobody_is_told():
    events: list[str] = []
    busy = _busy(events, None)
    await busy.answer("c1", _answer(events, AFTER_S * 2))
    assert events == ["answer:hi"]
