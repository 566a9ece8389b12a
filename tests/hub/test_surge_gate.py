"""The line in front of Rasa is first come, first served, and a cancelled waiter leaks nothing."""

from __future__ import annotations

import asyncio

import pytest

from connectors.rasa_gate import FifoGate


async def _holder(gate: FifoGate, name: str, order: list[str], release: asyncio.Event) -> None:
    await gate.acquire()
    order.append(name)
    await release.wait()
    gate.release()


async def test_a_released_slot_goes_to_the_oldest_waiter_not_a_newcomer() -> None:
    gate = FifoGate(1)
    order: list[str] = []
    await gate.acquire()  # the slot is taken
    releases = {name: asyncio.Event() for name in "abc"}
    waiters = [asyncio.ensure_future(_holder(gate, n, order, releases[n])) for n in "ab"]
    await asyncio.sleep(0)
    assert gate.waiting == 2
    gate.release()
    # A newcomer arriving right after the release must queue behind "a" and "b".
    late = asyncio.ensure_future(_holder(gate, "c", order, releases["c"]))
    for name in "abc":
        releases[name].set()
    await asyncio.gather(*waiters, late)
    assert order == ["a", "b", "c"]
    assert gate.waiting == 0


async def test_a_cancelled_waiter_leaves_the_line_without_taking_a_slot() -> None:
    gate = FifoGate(1)
    await gate.acquire()
    cancelled = asyncio.ensure_future(gate.acquire())
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    gate.release()
    await asyncio.wait_for(gate.acquire(), 5)  # the slot is free again, not lost
    gate.release()


async def test_a_waiter_cancelled_just_as_it_was_handed_the_slot_gives_it_back() -> None:
    gate = FifoGate(1)
    await gate.acquire()
    waiter = asyncio.ensure_future(gate.acquire())
    await asyncio.sleep(0)
    gate.release()  # hands the slot to the waiter...
    waiter.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await asyncio.wait_for(gate.acquire(), 5)


def test_a_gate_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        FifoGate(0)
