"""The cached SQL tracker store answers exactly as Rasa's own SQLTrackerStore on the same rows."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_cache import CachedSQLTrackerStore

DOMAIN = Domain.from_yaml(
    "slots:\n  order_number:\n    type: text\n    mappings: []\n"
    "  requested_topic:\n    type: text\n    mappings: []\n"
)


def _stores(tmp_path: Path) -> tuple[str, CachedSQLTrackerStore, SQLTrackerStore]:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    return url, CachedSQLTrackerStore(domain=DOMAIN, host=url), SQLTrackerStore(DOMAIN, host=url)


def _events(tracker: DialogueStateTracker | None) -> list[dict]:
    return [] if tracker is None else [event.as_dict() for event in tracker.events]


def _turn(tracker: DialogueStateTracker, number: int) -> None:
    tracker.update(UserUttered(f"message {number}", {"name": "order_status", "confidence": 0.9}))
    tracker.update(ActionExecuted("order_form"))
    tracker.update(SlotSet("order_number", f"ORD-{100000 + number}"))
    tracker.update(BotUttered(f"reply {number}"))
    tracker.update(ActionExecuted("action_listen"))


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


def test_written_rows_are_the_rows_stock_writes_and_reads(tmp_path: Path) -> None:
    _, cached, stock = _stores(tmp_path)
    tracker = DialogueStateTracker("conv-a", DOMAIN.slots)
    for number in range(4):
        _turn(tracker, number)
        run(cached.save(tracker))
        # Stock reads what the cached store wrote, and both read the same tracker.
        assert _events(run(stock.retrieve("conv-a"))) == _events(tracker)
        assert _events(run(cached.retrieve("conv-a"))) == _events(tracker)
    restored = run(cached.retrieve("conv-a"))
    assert restored is not None
    assert restored.get_slot("order_number") == "ORD-100003"
    assert run(cached.retrieve("nobody")) is None


def test_a_turn_written_by_another_server_is_seen_at_once(tmp_path: Path) -> None:
    url, cached, stock = _stores(tmp_path)
    other = CachedSQLTrackerStore(domain=DOMAIN, host=url)  # a second Rasa server
    tracker = DialogueStateTracker("conv-b", DOMAIN.slots)
    _turn(tracker, 1)
    run(cached.save(tracker))
    assert _events(run(cached.retrieve("conv-b"))) == _events(tracker)
    moved = run(other.retrieve("conv-b"))
    assert moved is not None
    _turn(moved, 2)
    run(other.save(moved))
    back = run(cached.retrieve("conv-b"))
    assert _events(back) == _events(moved) == _events(run(stock.retrieve("conv-b")))
    # And the first server goes on from there without writing anything twice.
    assert back is not None
    _turn(back, 3)
    run(cached.save(back))
    assert _events(run(stock.retrieve("conv-b"))) == _events(back)


def test_rows_deleted_by_a_purge_are_never_served_from_memory(tmp_path: Path) -> None:
    url, cached, _ = _stores(tmp_path)
    tracker = DialogueStateTracker("conv-c", DOMAIN.slots)
    _turn(tracker, 1)
    run(cached.save(tracker))
    assert run(cached.retrieve("conv-c")) is not None
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # the hub's erasure, in another process
        connection.execute(sa.text("DELETE FROM events WHERE sender_id = 'conv-c'"))
    engine.dispose()
    assert run(cached.retrieve("conv-c")) is None
    fresh = DialogueStateTracker("conv-c", DOMAIN.slots)
    _turn(fresh, 9)
    run(cached.save(fresh))
    assert _events(run(cached.retrieve("conv-c"))) == _events(fresh)


def test_only_the_latest_session_is_returned_like_stock(tmp_path: Path) -> None:
    _, cached, stock = _stores(tmp_path)
    tracker = DialogueStateTracker("conv-d", DOMAIN.slots)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    _turn(tracker, 1)
    run(cached.save(tracker))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted(timestamp=tracker.events[-1].timestamp + 1))
    _turn(tracker, 2)
    run(cached.save(tracker))
    mine, theirs = run(cached.retrieve("conv-d")), run(stock.retrieve("conv-d"))
    assert _events(mine) == _events(theirs)
    assert len(_events(mine)) < len(tracker.events)


def test_random_interleavings_of_two_servers_and_stock_agree(tmp_path: Path) -> None:
    url, first, stock = _stores(tmp_path)
    second = CachedSQLTrackerStore(domain=DOMAIN, host=url, cache_size=2)
    chooser = random.Random(7)
    senders = [f"conv-{index}" for index in range(4)]
    for step in range(40):
        sender = chooser.choice(senders)
        store = chooser.choice((first, second))
        tracker = run(store.retrieve(sender)) or DialogueStateTracker(sender, DOMAIN.slots)
        assert _events(run(stock.retrieve(sender))) == _events(
            None if not tracker.events else tracker
        )
        _turn(tracker, step)
        run(store.save(tracker))
    for sender in senders:
        expected = _events(run(stock.retrieve(sender)))
        assert _events(run(first.retrieve(sender))) == expected
        assert _events(run(second.retrieve(sender))) == expected


def test_an_empty_tracker_is_saved_without_a_database_call(tmp_path: Path) -> None:
    # Rasa saves the empty tracker it creates for a new conversation before the turn adds
    # anything; stock writes no row for it, and the cached store does not even ask.
    url, cached, stock = _stores(tmp_path)
    statements: list[str] = []
    sa.event.listen(
        cached.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
    )
    created = run(cached.get_or_create_tracker("conv-new", append_action_listen=False))
    assert not created.events
    assert all(statement.lstrip().startswith("SELECT") for statement in statements)
    reads = len(statements)
    run(cached.save(DialogueStateTracker("conv-new", DOMAIN.slots)))
    assert len(statements) == reads
    assert run(stock.retrieve("conv-new")) is None
    # The first save with events writes them all, as stock does.
    _turn(created, 1)
    run(cached.save(created))
    assert _events(run(stock.retrieve("conv-new"))) == _events(created)
    with sa.create_engine(url).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM events")).scalar() == 5
