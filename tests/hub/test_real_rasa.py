"""Slow: the real hub in front of the real Rasa server and action server.

Needs a trained model (``make train`` -> ``models/``, or ``HUB_TEST_MODEL``). Without one the
tests are skipped with the reason, except under CI (env ``CI`` set), where that is a failure.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from hub.services.sessions import session_ref
from tests.hub.clients import RecordingClient, sender_of
from tests.hub.conftest import (
    TOKEN_SECRET,
    HubFactory,
    customer_token,
    new_customer,
    online_agent,
)
from tests.hub.real_rasa import AUTH_TOKEN, RealRasa, find_model

pytestmark = pytest.mark.slow

# Angry, but without any explicit "get me a person" phrase: only the bot's frustration policy
# should hand these off.
FRUSTRATED_TURNS = (
    "my instalment payment failed again",
    "this is useless, you are not helping at all",
    "this is ridiculous, I am so angry, nothing works",
    "worst service ever, this is a joke",
    "I am fed up, absolutely useless bot",
)


@pytest.fixture(scope="module")
def real_rasa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealRasa]:
    model = find_model()
    if model is None or not model.exists():
        message = "no trained model: run `make train` (or set HUB_TEST_MODEL)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    workdir = tmp_path_factory.mktemp("real-rasa")
    database_url = f"sqlite:///{workdir / 'hub.db'}"
    _seed(database_url)
    rasa = RealRasa(model, database_url, TOKEN_SECRET, workdir)
    try:
        rasa.ensure_running()
        yield rasa
    finally:
        rasa.stop()


def _seed(database_url: str) -> None:
    from datetime import date

    from migrations.runner import upgrade
    from store.db import create_engine_from_url, make_session_factory
    from store.seed import seed_demo_data

    upgrade(database_url)
    engine = create_engine_from_url(database_url)
    seed_demo_data(make_session_factory(engine), date.today())
    engine.dispose()


@pytest.fixture
def rasa(real_rasa: RealRasa) -> RealRasa:
    real_rasa.ensure_running()  # a previous test may have killed it
    return real_rasa


@pytest.fixture
async def real_hub(hub_factory: HubFactory, rasa: RealRasa) -> Any:
    # The hub gets its own (identically seeded) database per test; the actions read theirs.
    return await hub_factory(
        rasa_url=rasa.url, rasa_auth_token=AUTH_TOKEN, rasa_timeout_seconds=20.0
    )


def _bot_texts(client: RecordingClient) -> list[str]:
    return [e.get("text") or "" for e in client.of("bot_uttered") if sender_of(e) == "bot"]


async def test_routine_question_is_answered_by_the_real_bot(real_hub, clients):
    customer, confirm = await new_customer(clients, real_hub, token=customer_token("cus_alice"))
    await customer.call(
        "user_uttered",
        {"message": "when is my next payment due?", "session_id": confirm["session_id"]},
    )
    reply = await customer.wait_for("bot_uttered", timeout=30)
    assert sender_of(reply) == "bot"
    assert reply.get("text") or reply.get("quick_replies")
    assert customer.of("handoff_status") == []


async def test_explicit_request_is_handed_off(real_hub, clients):
    agent = await online_agent(clients, real_hub)
    customer, confirm = await new_customer(clients, real_hub)
    await customer.call(
        "user_uttered",
        {"message": "I want to speak to a human agent", "session_id": confirm["session_id"]},
    )
    status = await customer.wait_for("handoff_status", timeout=30)
    assert (status["state"], status["reason"]) == ("queued", "explicit_request")
    await agent.wait_for("offer", timeout=10)


async def test_frustration_handoff_carries_reason_and_summary(real_hub, clients):
    agent = await online_agent(clients, real_hub)
    customer, confirm = await new_customer(clients, real_hub, token=customer_token("cus_alice"))
    for text in FRUSTRATED_TURNS:
        mark = customer.mark()
        await customer.call("user_uttered", {"message": text, "session_id": confirm["session_id"]})
        await customer.wait_for("bot_uttered", after=mark, timeout=30)
        if customer.of("handoff_status"):
            break
    status = await customer.wait_for("handoff_status", timeout=30)
    assert status["state"] == "queued"
    assert status["reason"] == "frustration"
    offer = await agent.wait_for("offer", timeout=10)
    packet = await agent.call("claim", {"conversation_id": offer["conversation_id"]})
    assert packet["conversation"]["reason"] == "frustration"
    assert packet["conversation"]["summary"]
    assert packet["conversation"]["signals"]


async def test_rasa_killed_mid_conversation_fails_open(real_hub, clients, rasa):
    await online_agent(clients, real_hub)
    customer, confirm = await new_customer(clients, real_hub)
    await customer.call("user_uttered", {"message": "hello", "session_id": confirm["session_id"]})
    await customer.wait_for("bot_uttered", timeout=30)
    rasa.kill_rasa()
    mark = customer.mark()
    await customer.call(
        "user_uttered", {"message": "where is my refund?", "session_id": confirm["session_id"]}
    )
    status = await customer.wait_for("handoff_status", after=mark, timeout=30)
    assert (status["state"], status["reason"]) == ("queued", "bot_failure")


async def test_a_typed_card_number_reaches_rasa_masked_and_is_still_understood(
    real_hub, clients, rasa
):
    # The masked form keeps "my card ... was declined, why?": the trained NLU still reads it
    # as a declined payment, and Rasa's tracker never holds the full number.
    customer, confirm = await new_customer(clients, real_hub, token=customer_token("cus_alice"))
    sid = confirm["session_id"]
    ack = await customer.call(
        "user_uttered",
        {"message": "my card 4111 1111 1111 1111 was declined, why?", "session_id": sid},
    )
    masked = "my card •••• •••• •••• 1111 was declined, why?"
    assert ack["text"] == masked
    await customer.wait_for("bot_uttered", lambda d: sender_of(d) == "bot", timeout=30)
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{rasa.url}/conversations/{session_ref(sid)}/tracker",  # Rasa's sender id
            params={"token": AUTH_TOKEN},
        ) as response,
    ):
        assert response.status == 200
        tracker = await response.json()
    user = [e for e in tracker["events"] if e["event"] == "user"]
    assert [e["text"] for e in user] == [masked]
    assert user[0]["parse_data"]["intent"]["name"] == "payment_declined"
    dumped = json.dumps(tracker, ensure_ascii=False)
    assert "4111 1111 1111 1111" not in dumped
    assert "4111111111111111" not in dumped
