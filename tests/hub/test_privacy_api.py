"""A customer's rights and the audit log, through the real hub (HTTP and sockets).

A signed-in customer chats and is handed to a person; agents claim, read context, transfer and
close over the ``/agent`` socket; a supervisor then reads the audit log, exports and erases the
customer over HTTP. Every step that shows or changes a customer's data must leave an audit
entry with the acting agent and a session reference that is not the token.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import create_engine, func, insert, select, text

from hub.persistence import models as m
from hub.persistence.trackers import EVENTS
from hub.services.sessions import session_ref
from hub.settings import load_policy
from tests.hub.conftest import (
    AGENT_PASSWORD,
    RunningHub,
    customer_token,
    login,
    new_customer,
    online_agent,
)


async def _http(
    hub: RunningHub, method: str, path: str, token: str | None, body: Any = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{hub.url}{path}", json=body, headers=headers) as response,
    ):
        raw = await response.read()
        return response.status, json.loads(raw) if raw else None


def _count(url: str, table: str, where: str = "", **params: Any) -> int:
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        sql = f"SELECT COUNT(*) FROM {table} {where}"  # noqa: S608 - fixed names from the test
        value = int(conn.execute(text(sql), params).scalar_one())
    engine.dispose()
    return value


async def _handed_off(clients, hub, agent, ref: str) -> tuple[Any, dict[str, Any], str]:
    customer, confirm = await new_customer(clients, hub, token=customer_token(ref))
    await customer.call("user_uttered", {"message": "my card was declined, why?"})
    await customer.call("request_human", {"session_id": confirm["session_id"]})
    offer = await agent.wait_for("offer", lambda d: d["customer_ref"] == ref)
    return customer, confirm, offer["conversation_id"]


@pytest.fixture
async def tracked_hub(hub_factory, tmp_path: Path) -> tuple[RunningHub, str]:
    """A hub with Rasa's tracker store (an ``events`` table as Rasa's SQLTrackerStore makes)."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url, future=True)
    EVENTS.metadata.create_all(engine)
    engine.dispose()
    return await hub_factory(tracker_store_url=url), url


async def test_audit_export_and_erase_through_the_real_hub(tracked_hub, clients):
    hub, tracker_url = tracked_hub
    ana = await online_agent(clients, hub, "ana", queues=("payments",))
    ben = await online_agent(clients, hub, "ben", queues=("payments", "disputes"))
    hub.service.agents.create("sam", "Sam", "supervisor", [], AGENT_PASSWORD)
    sam = (await login(hub, "sam"))["token"]
    ana_token = ana.sio.connection_auth["token"]

    customer, confirm, cid = await _handed_off(clients, hub, ana, "cus_alice")
    packet = await ana.call("claim", {"conversation_id": cid})
    assert packet["customer"]["customer_ref"] == "cus_alice"
    # Agents only see the context of conversations they own: ben serves the queue but not it.
    denied = await ben.call("context", {"conversation_id": cid})
    assert denied["error"]["code"] == "not_allowed"
    again = await ana.call("context", {"conversation_id": cid})
    assert again["conversation"]["conversation_id"] == cid
    await ana.call("transfer", {"conversation_id": cid, "queue": "disputes"})
    # After the transfer ana owns it no more: her context is refused too.
    assert (await ana.call("context", {"conversation_id": cid}))["error"]["code"] == "not_allowed"
    await ben.wait_for("offer", lambda d: d["conversation_id"] == cid)
    await ben.call("claim", {"conversation_id": cid})
    await ben.call("close", {"conversation_id": cid, "disposition": "resolved"})
    await customer.call("rate", {"score": 4})
    engine = create_engine(tracker_url, future=True)
    with engine.begin() as conn:
        for sender in (session_ref(confirm["session_id"]), "someone-else"):
            conn.execute(insert(EVENTS).values(sender_id=sender, type_name="user", timestamp=1.0))
    engine.dispose()

    status, body = await _http(hub, "GET", f"/api/privacy/audit?conversation_id={cid}", sam)
    assert status == 200
    entries = body["entries"]
    seen = [(e["agent_username"], e["action"]) for e in reversed(entries)]
    assert seen == [
        ("ana", "context_opened"),  # the claim's packet
        ("ben", "context_denied"),
        ("ana", "context_opened"),
        ("ana", "transferred"),
        ("ana", "context_denied"),
        ("ben", "context_opened"),
        ("ben", "closed"),
    ]
    assert {e["customer_ref"] for e in entries} == {"cus_alice"}
    assert all(e["session_ref"].startswith("session:") for e in entries)
    assert ana_token not in json.dumps(body)
    assert entries[-1]["detail"] == {"via": "claim"}

    # Supervisor only: an agent's token is 403, no token 401, a bad confirmation 400.
    assert (await _http(hub, "GET", "/api/privacy/audit", ana_token))[0] == 403
    assert (await _http(hub, "GET", "/api/privacy/customers/cus_alice/export", ana_token))[0] == 403
    assert (await _http(hub, "GET", "/api/privacy/customers/cus_alice/export", None))[0] == 401
    erase = "/api/privacy/customers/cus_alice/erase"
    assert (await _http(hub, "POST", erase, ana_token, {"confirm": "cus_alice"}))[0] == 403
    assert (await _http(hub, "POST", erase, sam, {"confirm": "cus_bob"}))[0] == 400

    status, export = await _http(hub, "GET", "/api/privacy/customers/cus_alice/export", sam)
    assert status == 200
    (conversation,) = export["conversations"]
    assert conversation["id"] == cid
    assert conversation["rating"]["score"] == 4
    said = [x["text"] for x in conversation["messages"] if x["sender_type"] == "customer"]
    assert said[0] == "my card was declined, why?"
    assert [h["kind"] for h in conversation["handoffs"]] == ["handoff", "transfer"]
    assert [e["sender_id"] for e in export["bot_tracker_events"]] == [
        session_ref(confirm["session_id"])
    ]

    status, report = await _http(hub, "POST", erase, sam, {"confirm": "cus_alice"})
    assert status == 200
    assert report["conversations"] == 1
    assert report["ratings"] == 1
    assert report["messages"] >= 2
    assert report["tracker_events"] == 1
    db = hub.settings.database_url
    assert _count(db, "hub_conversations", "WHERE customer_ref = :r", r="cus_alice") == 0
    assert _count(db, "hub_messages", "WHERE conversation_id = :c", c=cid) == 0
    assert _count(tracker_url, "events") == 1  # someone-else's tracker is untouched

    status, body = await _http(hub, "GET", "/api/privacy/audit?customer_ref=cus_alice", sam)
    actions = [e["action"] for e in body["entries"]]
    assert actions[:3] == ["erased", "exported", "audit_read"]  # newest first
    assert body["entries"][0]["detail"]["conversations"] == 1
    assert "context_opened" in actions  # the record of who saw the data survives the erasure


async def test_erasure_waits_while_a_person_serves_the_customer(hub, clients):
    ana = await online_agent(clients, hub, "ana", queues=("payments",))
    hub.service.agents.create("sam", "Sam", "supervisor", [], AGENT_PASSWORD)
    sam = (await login(hub, "sam"))["token"]
    _customer, _confirm, cid = await _handed_off(clients, hub, ana, "cus_bob")
    await ana.call("claim", {"conversation_id": cid})
    erase = "/api/privacy/customers/cus_bob/erase"
    status, body = await _http(hub, "POST", erase, sam, {"confirm": "cus_bob"})
    assert status == 409
    assert body["error"]["code"] == "invalid_state"
    assert _count(hub.settings.database_url, "hub_conversations", "WHERE id = :c", c=cid) == 1
    await ana.call("close", {"conversation_id": cid, "disposition": "resolved"})
    status, body = await _http(hub, "POST", erase, sam, {"confirm": "cus_bob"})
    assert (status, body["conversations"]) == (200, 1)


async def test_an_agent_of_another_queue_is_never_offered_nor_can_claim(hub, clients):
    ana = await online_agent(clients, hub, "ana", queues=("payments",))
    carl = await online_agent(clients, hub, "carl", queues=("collections",))
    _customer, _confirm, cid = await _handed_off(clients, hub, ana, "cus_carmen")
    snapshot = await carl.call("queue", {})
    assert all(w["conversation_id"] != cid for w in snapshot["waiting"])
    assert (await carl.call("claim", {"conversation_id": cid}))["error"]["code"] == "not_allowed"
    assert (await carl.call("context", {"conversation_id": cid}))["error"]["code"] == (
        "not_allowed"
    )


async def test_the_running_hub_purges_expired_conversations(hub_factory, clients, tmp_path):
    """The periodic task: a conversation idle past a (tiny) transcript period disappears."""
    config = tmp_path / "retention.yml"
    config.write_text(
        "retention: {transcripts_days: 0.00002, purge_interval_seconds: 0.2, batch_size: 1}\n",
        encoding="utf-8",
    )
    hub = await hub_factory(policy=load_policy(config))
    ids = []
    for _ in range(3):
        customer, confirm = await new_customer(clients, hub)
        await customer.call("user_uttered", {"message": "hello"})
        ids.append(confirm["session_id"])
    engine = create_engine(hub.settings.database_url, future=True)
    try:
        for _ in range(300):  # the purge runs every 0.2 s once the 1.7 s period has passed
            with engine.connect() as conn:
                left = conn.execute(
                    select(func.count())
                    .select_from(m.Conversation.__table__)
                    .where(m.Conversation.session_id.in_(ids))
                ).scalar_one()
            if left == 0:
                break
            await asyncio.sleep(0.1)
    finally:
        engine.dispose()
    assert left == 0
    status, health = await _http(hub, "GET", "/health", None)
    assert (status, health["components"]["store"]) == (200, "ok")  # still serving
