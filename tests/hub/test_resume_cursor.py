"""A resume cursor that cannot skip: the widget's own rule loses nothing, sees nothing twice.

The widget resumes after the highest id it saw, pushed or acknowledged
(``web/src/widget/messages.ts``). These tests drive the real hub over real sockets with a
client that follows that rule (``tests/hub/widget_model.py``) and make the races of issue 13
happen on purpose: an agent's reply whose push comes late (it is stored on a worker thread)
while the customer's next message is acknowledged with a higher id, and live messages that
arrive between a reconnect's ``session_confirm`` and its ``resume``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from connectors.app import TURNS
from tests.hub.conftest import RunningHub, online_agent
from tests.hub.widget_model import WidgetModel

# How late an agent reply's push is made to come (its row is committed long before).
LATE_PUSH_SECONDS = 0.4


def _agent_texts(widget: WidgetModel) -> list[str]:
    # The agent's own words (old clients' ``text`` carries the attribution in front).
    return [m["metadata"].get("text") for m in widget.messages("agent")]


@pytest.fixture
async def widgets() -> AsyncIterator[list[WidgetModel]]:
    """Widgets made by a test; their connections are closed after it."""
    made: list[WidgetModel] = []
    yield made
    for widget in made:
        await widget.drop()


async def _with_agent(
    hub: RunningHub, clients: Any, widgets: list[WidgetModel]
) -> tuple[WidgetModel, Any, str]:
    """A widget customer whose conversation an agent has claimed."""
    agent = await online_agent(clients, hub)
    widget = WidgetModel(hub.url)
    widgets.append(widget)
    await widget.connect()
    await widget.type("hello")
    assert await widget.wait_until(lambda w: w.messages("bot"), 5)
    assert widget.sio is not None
    await widget.sio.call("request_human", {"session_id": widget.session_id})
    offer = await agent.wait_for("offer")
    conversation_id = offer["conversation_id"]
    await agent.call("claim", {"conversation_id": conversation_id})
    joined = "system"
    assert await widget.wait_until(
        lambda w: any("joined" in (m.get("text") or "") for m in w.messages(joined)), 5
    )
    return widget, agent, conversation_id


def _delay_agent_pushes(hub: RunningHub, monkeypatch: pytest.MonkeyPatch) -> None:
    """Agent replies reach the customer channel late, as from a slow worker thread."""
    push = hub.runner.app[TURNS]._notices.customers  # the hub's one customer channel
    original = push.push_message

    async def late(conversation_id: str, message: Any) -> None:
        if message.sender_type == "agent":
            await asyncio.sleep(LATE_PUSH_SECONDS)
        await original(conversation_id, message)

    monkeypatch.setattr(push, "push_message", late)


async def _stored_agent_reply(hub: RunningHub, conversation_id: str, text: str) -> int:
    """Wait until the agent's reply is committed; its id."""
    for _ in range(200):
        for message in hub.service.messages.messages_after(conversation_id, None):
            if message.sender_type == "agent" and message.text == text:
                return message.id
        await asyncio.sleep(0.01)
    raise AssertionError(f"agent reply {text!r} never stored")


def _assert_in_order_once(widget: WidgetModel) -> None:
    ids = [message_id for _event, message_id in widget.deliveries]
    assert ids == sorted(set(ids)), f"deliveries out of order or repeated: {widget.deliveries}"


async def test_an_agent_reply_pushed_after_a_higher_ack_is_not_skipped_on_resume(
    hub, clients, fake_rasa, widgets, monkeypatch
):
    widget, agent, conversation_id = await _with_agent(hub, clients, widgets)
    _delay_agent_pushes(hub, monkeypatch)

    reply = asyncio.ensure_future(
        agent.call("reply", {"conversation_id": conversation_id, "text": "Ana here."})
    )
    agent_id = await _stored_agent_reply(hub, conversation_id, "Ana here.")
    sent = await widget.type("are you there?")  # acknowledged with a higher id ...
    assert sent.server_id is not None
    assert sent.server_id > agent_id
    await widget.drop()  # ... and the widget drops right after the ack
    await reply

    await widget.connect()  # resumes after the highest id it saw
    assert await widget.wait_until(lambda w: "Ana here." in _agent_texts(w), 3), (
        f"the agent's reply {agent_id} was skipped; widget resumed after {widget.max_id}"
    )
    _assert_in_order_once(widget)


async def test_live_messages_never_overtake_the_replay_of_a_reconnect(
    hub, clients, fake_rasa, widgets
):
    widget, agent, conversation_id = await _with_agent(hub, clients, widgets)
    await widget.drop()
    for text in ("first while away", "second while away"):
        await agent.call("reply", {"conversation_id": conversation_id, "text": text})

    async def agent_writes_before_the_resume() -> None:
        await agent.call("reply", {"conversation_id": conversation_id, "text": "third, live"})

    await widget.connect(before_resume=agent_writes_before_the_resume)
    assert await widget.wait_until(lambda w: "third, live" in _agent_texts(w), 3)
    assert _agent_texts(widget)[-3:] == ["first while away", "second while away", "third, live"]
    _assert_in_order_once(widget)


async def test_a_widget_that_drops_after_every_ack_misses_no_agent_reply(
    hub, clients, fake_rasa, widgets
):
    """The issue's probe: agent replies race customer messages; the widget drops each time."""
    widget, agent, conversation_id = await _with_agent(hub, clients, widgets)
    replies: list[str] = []

    async def agent_keeps_writing() -> None:
        for n in range(40):
            text = f"agent line {n}"
            await agent.call("reply", {"conversation_id": conversation_id, "text": text})
            replies.append(text)
            await asyncio.sleep(0.003 * (n % 4))

    writer = asyncio.ensure_future(agent_keeps_writing())
    round_number = 0
    while not writer.done():
        await widget.type(f"customer line {round_number}")
        await widget.drop()
        await widget.connect()
        round_number += 1
    await writer
    assert await widget.wait_until(lambda w: set(replies) <= set(_agent_texts(w)), 5)
    missing = sorted(set(replies) - set(_agent_texts(widget)), key=replies.index)
    assert missing == [], f"skipped by the resume cursor: {missing}"
    _assert_in_order_once(widget)
