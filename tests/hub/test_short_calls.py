"""Short store calls of a bot turn: on the event loop with embedded SQLite, in a thread otherwise.

``BlockingCalls.short`` skips the ``asyncio.to_thread`` hop only when the composition root says
the store is SQLite in this process and no other hub process writes it; PostgreSQL keeps the
thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from connectors.app import CUSTOMERS
from hub.services.blocking import BlockingCalls
from hub.services.wiring import HubServices
from tests.hub.clients import sender_of
from tests.hub.conftest import HubFactory, RunningHub, new_customer

# The calls of a session start and one plain bot turn that go through ``BlockingCalls.short``,
# by service. ``conversation_state`` is only called where the hub cannot know that no state
# changed since the message was stored (``BotTurns._route``): never by a hub that inlines its
# calls, where no other process writes.
TURN_CALLS = {
    "open_session": "sessions",
    "record_customer_message": "messages",
    "conversation_state": "sessions",
    "answer_turn": "messages",
}
INLINE_TURN_CALLS = ("open_session", "record_customer_message", "answer_turn")


def _thread_ident(*_args: Any) -> int:
    return threading.get_ident()


@pytest.mark.parametrize("inline", [True, False])
async def test_call_short_runs_inline_only_when_enabled(inline: bool) -> None:
    calls = BlockingCalls(inline_short_calls=inline)
    loop_thread = threading.get_ident()
    ran_on = await calls.short(_thread_ident, "arg")
    assert (ran_on == loop_thread) is inline
    assert await calls.call(_thread_ident) != loop_thread  # ``call`` always uses a thread


async def test_call_short_raises_the_calls_error_either_way() -> None:
    def fail() -> None:
        raise LookupError("missing")

    for inline in (True, False):
        with pytest.raises(LookupError, match="missing"):
            await BlockingCalls(inline_short_calls=inline).short(fail)


def _spy_threads(service: HubServices, monkeypatch: pytest.MonkeyPatch) -> dict[str, set[int]]:
    """Record the thread each of the turn's service calls runs on."""
    seen: dict[str, set[int]] = {name: set() for name in TURN_CALLS}
    for name, owner in TURN_CALLS.items():
        target = getattr(service, owner)
        real: Callable[..., Any] = getattr(target, name)

        def spy(
            *args: Any, _real: Callable[..., Any] = real, _name: str = name, **kwargs: Any
        ) -> Any:
            seen[_name].add(threading.get_ident())
            return _real(*args, **kwargs)

        monkeypatch.setattr(target, name, spy)
    return seen


async def _bot_turn(clients, hub: RunningHub) -> None:
    customer, confirm = await new_customer(clients, hub)
    ack = await customer.call(
        "user_uttered", {"message": "hello", "session_id": confirm["session_id"]}
    )
    assert ack["duplicate"] is False
    reply = await customer.wait_for("bot_uttered")
    assert reply["text"] == "bot reply to: hello"
    assert sender_of(reply) == "bot"


async def test_sqlite_hub_runs_the_turns_store_calls_on_the_loop(
    hub: RunningHub, clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert hub.runner.app[CUSTOMERS].calls.inline_short_calls
    seen = _spy_threads(hub.service, monkeypatch)
    await _bot_turn(clients, hub)
    loop_thread = threading.get_ident()
    assert seen == {
        name: {loop_thread} if name in INLINE_TURN_CALLS else set() for name in TURN_CALLS
    }


async def test_in_memory_sqlite_hub_answers_a_turn(
    hub_factory: HubFactory, clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = await hub_factory(database_url="sqlite://")
    assert hub.runner.app[CUSTOMERS].calls.inline_short_calls
    seen = _spy_threads(hub.service, monkeypatch)
    await _bot_turn(clients, hub)
    loop_thread = threading.get_ident()
    assert seen == {
        name: {loop_thread} if name in INLINE_TURN_CALLS else set() for name in TURN_CALLS
    }


@pytest.mark.postgres
async def test_postgres_hub_keeps_the_turns_store_calls_in_threads(
    hub_factory: HubFactory, postgres_url: str, clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = await hub_factory(database_url=postgres_url)
    assert not hub.service.store.is_embedded
    assert not hub.runner.app[CUSTOMERS].calls.inline_short_calls
    seen = _spy_threads(hub.service, monkeypatch)
    await _bot_turn(clients, hub)
    loop_thread = threading.get_ident()
    for name in TURN_CALLS:
        assert seen[name], name
        assert loop_thread not in seen[name], name
