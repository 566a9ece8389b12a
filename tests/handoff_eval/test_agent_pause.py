"""End to end with the trained bot and the real action server: handoff mid-form, silence while
paused, clean hand-back (the hub's API calls simulated on the processor).

Slow: needs a trained model (``models/`` or ``HANDOFF_MODEL``) and starts an action server.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.handoff_eval.run_eval import REPO, ActionServer, latest_model

pytestmark = [
    pytest.mark.slow,
    # Rasa 3.6 emits this for every domain with slots while loading a model.
    pytest.mark.filterwarnings("ignore:Slot auto-fill has been removed:UserWarning"),
]


def _model() -> Path:
    try:
        return latest_model(Path(os.environ.get("HANDOFF_MODEL", REPO / "models")))
    except FileNotFoundError:
        pytest.skip("no trained model: run `make train` (or set HANDOFF_MODEL)")


@pytest.fixture(scope="module")
def model() -> Path:
    return _model()


async def say(agent: Any, sender: str, text: str) -> list[dict[str, Any]]:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    output = CollectingOutputChannel()
    await agent.handle_message(UserMessage(text, output, sender))
    return list(output.messages)


def test_handoff_mid_form_then_silence_then_handback(model: Path, tmp_path: Path) -> None:
    # One event loop for load and conversation (Rasa's loader manages loops itself, which
    # does not mix with pytest-asyncio's per-test loop).
    server = ActionServer(tmp_path, secrets.token_urlsafe(32))
    server.start()
    try:
        asyncio.run(_scenario(model, server.webhook))
    finally:
        server.stop()


async def _scenario(model: Path, webhook: str) -> None:
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.shared.core.events import BotUttered, ConversationResumed
    from rasa.utils.endpoints import EndpointConfig

    agent = Agent.load(str(model), action_endpoint=EndpointConfig(url=webhook))
    sender = "pause-e2e"
    replies = await say(agent, sender, "where is my order")
    assert replies, "the bot should ask which order"
    tracker = await agent.processor.get_tracker(sender)
    assert tracker.active_loop_name == "order_form"

    replies = await say(agent, sender, "I want to speak to a person")
    handoff = [m["custom"]["handoff"] for m in replies if m.get("custom")]
    assert len(handoff) == 1
    assert handoff[0]["reason"] == "explicit_request"
    assert "summary" in handoff[0]
    tracker = await agent.processor.get_tracker(sender)
    assert tracker.is_paused()
    assert tracker.active_loop_name is None
    assert tracker.get_slot("handoff_active") is True

    uttered_before = sum(isinstance(e, BotUttered) for e in tracker.events)
    for text in ("hello?", "this is useless", "agent!!"):
        assert await say(agent, sender, text) == []
    tracker = await agent.processor.get_tracker(sender)
    assert sum(isinstance(e, BotUttered) for e in tracker.events) == uttered_before

    # What the hub does through the HTTP API: resume, then trigger EXTERNAL_handback.
    tracker.update(ConversationResumed())
    await agent.processor.save_tracker(tracker)
    output = CollectingOutputChannel()
    await agent.processor.trigger_external_user_uttered("EXTERNAL_handback", None, tracker, output)
    assert output.messages, "the bot says it is back"
    tracker = await agent.processor.get_tracker(sender)
    assert not tracker.is_paused()
    assert tracker.get_slot("handoff_active") is False
    assert tracker.get_slot("handoff_reason") is None
