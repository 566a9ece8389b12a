"""Two hub processes sharing one database and one Redis: queue pushes reach every agent.

Runs two hub applications in this test process (each with its own Socket.IO server and Redis
manager, like two processes) against a throwaway ``redis-server`` on a free port. Skips when
Debian's ``redis-server`` is not installed, except in CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from connectors.app import CUSTOMERS
from tests.hub.clients import sender_of
from tests.hub.conftest import AGENT_PASSWORD, customer_token, login, new_customer

STARTUP_SECONDS = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server (Debian package ``redis-server``) on a free port."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server not found (apt-get install -y redis-server)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - fixed binary, arguments built here
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers_ping(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _agent(clients, hub, username: str):
    session = await login(hub, username)
    agent = clients(hub.url, "/agent")
    await agent.connect(auth={"token": session["token"]})
    return agent


async def test_queue_pushes_and_messages_cross_hub_processes(redis_url, hub_factory, clients):
    hub_a = await hub_factory(redis_url=redis_url)
    hub_b = await hub_factory(redis_url=redis_url)  # same SQLite file, same Redis
    # Another hub process writes the SQLite file too: no store call runs on the event loop.
    assert not hub_a.runner.app[CUSTOMERS].calls.inline_short_calls
    hub_a.service.agents.create("ana", "Ana", "agent", ["payments"], AGENT_PASSWORD)
    hub_a.service.agents.create("sue", "Sue", "supervisor", [], AGENT_PASSWORD)
    ana_on_b = await _agent(clients, hub_b, "ana")
    ana_on_a = await _agent(clients, hub_a, "ana")  # a second tab, on the other process
    sue_on_b = await _agent(clients, hub_b, "sue")

    # The customer asks on hub A; the agent and the supervisor on hub B see it at once.
    customer, confirm = await new_customer(clients, hub_a)
    sid = confirm["session_id"]
    assert await customer.call("request_human", {"session_id": sid}) == {"state": "queued"}
    offer = await ana_on_b.wait_for("offer")
    conversation_id = offer["conversation_id"]
    pushed = await ana_on_b.wait_for("queue", lambda d: len(d["waiting"]) == 1)
    assert pushed["waiting"][0]["conversation_id"] == conversation_id
    supervised = await sue_on_b.wait_for("queue", lambda d: len(d["waiting"]) == 1)
    assert supervised["role"] == "supervisor"

    # Claimed on B: the customer on A hears it, and the agent's tab on A joins the room.
    await ana_on_b.call("claim", {"conversation_id": conversation_id})
    await customer.wait_for("handoff_status", lambda d: d["state"] == "agent_joined")
    await ana_on_a.wait_for(
        "queue", lambda d: [c["conversation_id"] for c in d["mine"]] == [conversation_id]
    )
    await sue_on_b.wait_for("queue", lambda d: d["waiting"] == [])

    await customer.call("user_uttered", {"message": "hello from A", "session_id": sid})
    for tab in (ana_on_b, ana_on_a):
        relayed = await tab.wait_for("message", lambda d: d.get("text") == "hello from A")
        assert relayed["conversation_id"] == conversation_id
    await ana_on_b.call("reply", {"conversation_id": conversation_id, "text": "hi from B"})
    said = await customer.wait_for("bot_uttered", lambda d: sender_of(d) == "agent")
    assert said["metadata"]["text"] == "hi from B"
    assert [
        e["metadata"]["text"] for e in customer.of("bot_uttered") if sender_of(e) == "agent"
    ] == ["hi from B"]


async def test_a_logout_on_one_process_cuts_off_the_sockets_on_another(
    redis_url, hub_factory, clients
):
    hub_a = await hub_factory(redis_url=redis_url)
    hub_b = await hub_factory(redis_url=redis_url)
    hub_a.service.agents.create("ana", "Ana", "agent", ["payments"], AGENT_PASSWORD)
    ana_on_b = await _agent(clients, hub_b, "ana")
    token = ana_on_b.sio.connection_auth["token"]
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{hub_a.url}/api/agent/logout", json={"token": token}) as response,
    ):
        assert response.status == 204
    await ana_on_b.wait_for("error", lambda d: d["code"] == "unauthorized")
    await ana_on_b.dropped()


async def test_binding_on_one_process_cuts_off_the_anonymous_tab_on_another(
    redis_url, hub_factory, clients
):
    hub_a = await hub_factory(redis_url=redis_url)
    hub_b = await hub_factory(redis_url=redis_url)
    tab_a, confirm = await new_customer(clients, hub_a)
    sid = confirm["session_id"]
    tab_b, _ = await new_customer(clients, hub_b, session={"session_id": sid})
    token = customer_token("cus_alice")
    await tab_a.call(
        "user_uttered", {"message": "hi", "session_id": sid, "metadata": {"customer_token": token}}
    )
    await tab_a.wait_for("bot_uttered")
    for _ in range(50):
        refused = await tab_b.call("resume", {"session_id": sid, "last_seen_id": 0})
        if "error" in refused:
            break
        await asyncio.sleep(0.05)
    assert refused["error"]["code"] == "session_ended"
    assert tab_b.of("bot_uttered") == []
