"""Slots copied through ``bot.slot_copy`` are the copies ``copy.copy`` makes by itself."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.slots import Slot, TextSlot
from rasa.shared.core.trackers import DialogueStateTracker

from bot import slot_copy

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fast() -> Iterator[None]:
    slot_copy.apply()
    yield
    slot_copy.restore()


def _stock_copy(slot: Slot) -> Slot:
    slot_copy.restore()
    try:
        return copy.copy(slot)
    finally:
        slot_copy.apply()


def test_every_project_slot_copies_like_stock(fast: None) -> None:
    domain = Domain.load(str(REPO / "domain.yml"))
    assert domain.slots
    for slot in domain.slots:
        slot.value = slot.initial_value
        ours, stock = copy.copy(slot), _stock_copy(slot)
        assert type(ours) is type(stock) is type(slot)
        assert ours.__dict__ == stock.__dict__
        assert ours is not slot
        assert ours.__dict__ is not slot.__dict__
        ours.value = "changed"
        assert slot.value == slot.initial_value


def test_every_project_slot_class_takes_the_fast_path() -> None:
    # Every Slot class inherits abc.ABC's empty ``__slots__``; it must not count as a hook,
    # or no slot would ever be copied the fast way (as happened before this test).
    domain = Domain.load(str(REPO / "domain.yml"))
    assert all(slot_copy._is_plain(type(slot)) for slot in domain.slots)


class _SlottedSlot(TextSlot):
    __slots__ = ("extra",)


def test_a_slot_class_with_real_slots_keeps_the_stock_copy(fast: None) -> None:
    assert not slot_copy._is_plain(_SlottedSlot)
    slot = _SlottedSlot("s", mappings=[{"type": "from_text"}])
    slot.extra = 7
    assert copy.copy(slot).extra == 7


def test_trackers_get_independent_slots(fast: None) -> None:
    domain = Domain.load(str(REPO / "domain.yml"))
    first = DialogueStateTracker("a", domain.slots)
    second = DialogueStateTracker("b", domain.slots)
    name = domain.slots[0].name
    first.slots[name].value = "x"
    assert second.slots[name].value != "x"


class _StatefulSlot(TextSlot):
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["copied"] = True
        return state


def test_slots_with_their_own_copy_protocol_keep_it(fast: None) -> None:
    slot = _StatefulSlot("s", mappings=[{"type": "from_text"}])
    assert copy.copy(slot).__dict__.get("copied") is True


def test_restore_removes_the_hook() -> None:
    slot_copy.apply()
    slot_copy.restore()
    assert "__copy__" not in Slot.__dict__
