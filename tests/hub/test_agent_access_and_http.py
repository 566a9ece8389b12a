"""Agent authentication, HTTP routes, health and metrics of the real hub."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

import aiohttp
import pytest
import socketio

from hub.domain.errors import NotAllowed, ValidationFailed
from tests.hub.conftest import AGENT_PASSWORD, RunningHub, login, new_customer, online_agent


async def _refused(hub: RunningHub, auth: Any) -> None:
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            hub.url, namespaces=["/agent"], auth=auth, transports=["websocket"], wait_timeout=3
        )
    await client.disconnect()


@pytest.mark.parametrize(
    "auth",
    [None, {}, {"token": ""}, {"token": "made-up-token"}, {"token": 12345}, "just-a-string"],
)
async def test_unauthenticated_sockets_cannot_join_agent_namespace(hub, auth):
    await _refused(hub, auth)


async def test_logged_out_token_stops_working(hub, clients):
    hub.service.agents.create("ana", "Ana", "agent", ["payments"], AGENT_PASSWORD)
    session = await login(hub, "ana")
    agent = clients(hub.url, "/agent")
    await agent.connect(auth={"token": session["token"]})
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{hub.url}/api/agent/logout", headers={"Authorization": f"Bearer {session['token']}"}
        ) as response,
    ):
        assert response.status == 204
    await agent.wait_for("error", lambda d: d["code"] == "unauthorized")
    await agent.dropped()
    await _refused(hub, {"token": session["token"]})


async def test_a_reply_after_the_session_ended_is_refused_and_never_reaches_the_customer(
    hub, clients
):
    """The reply checks the session inside its own write; a dead token stores nothing.

    The session is revoked in the store (as another process would) and the reply is sent
    before this hub's periodic check has dropped the socket.
    """
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    await customer.call(
        "user_uttered",
        {"message": "I want to talk to a human", "session_id": confirm["session_id"]},
    )
    offer = await agent.wait_for("offer")
    conversation_id = offer["conversation_id"]
    await agent.call("claim", {"conversation_id": conversation_id})
    first = await agent.call("reply", {"conversation_id": conversation_id, "text": "hello"})
    assert isinstance(first["id"], int)
    assert hub.service.agents.logout(agent.sio.connection_auth["token"]) is not None
    ack = await agent.call("reply", {"conversation_id": conversation_id, "text": "too late"})
    assert ack["error"]["code"] == "unauthorized"
    stored = hub.service.messages.messages_after(conversation_id, None)
    assert [m.text for m in stored if m.sender_type == "agent"] == ["hello"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"username": "ana", "password": "wrong password here"}, 401),
        ({"username": "nobody", "password": AGENT_PASSWORD}, 401),
        ({"username": "ana"}, 400),
        (["ana", AGENT_PASSWORD], 400),
    ],
)
async def test_bad_logins_are_refused_without_echoing_input(hub, body, status):
    hub.service.agents.create("ana", "Ana", "agent", ["payments"], AGENT_PASSWORD)
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{hub.url}/api/agent/login", json=body) as response,
    ):
        assert response.status == status
        text = await response.text()
    assert "wrong password here" not in text
    assert "nobody" not in text


async def test_supervisor_sees_every_queue(hub, clients, fake_rasa):
    supervisor = await online_agent(clients, hub, "sam", role="supervisor", queues=())
    customer, confirm = await new_customer(clients, hub)
    await customer.call("request_human", {"session_id": confirm["session_id"]})
    snapshot = await supervisor.wait_for("queue", lambda d: d["waiting"])
    assert {s["queue"] for s in snapshot["stats"]} == {"payments", "disputes", "collections"}
    payments = next(s for s in snapshot["stats"] if s["queue"] == "payments")
    assert payments["waiting"] == 1


async def _get(
    hub: RunningHub, path: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{hub.url}{path}", headers=headers) as response,
    ):
        return response.status, await response.read()


async def test_health_reports_store_and_rasa(hub, fake_rasa):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{hub.url}/health") as response:
            assert response.status == 200
            assert await response.json() == {
                "status": "ok",
                "components": {"store": "ok", "rasa": "ok"},
            }
        await fake_rasa.stop()
        async with http.get(f"{hub.url}/health") as response:
            # Rasa down is reported, but the hub still serves (customers fail open).
            assert response.status == 200
            assert await response.json() == {
                "status": "degraded",
                "components": {"store": "ok", "rasa": "down"},
            }


async def test_metrics_count_handoffs_messages_and_containment(hub, clients, fake_rasa):
    await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    await customer.call("user_uttered", {"message": "hello", "session_id": confirm["session_id"]})
    await customer.wait_for("bot_uttered")
    await customer.call(
        "user_uttered", {"message": "talk to a human please", "session_id": confirm["session_id"]}
    )
    await customer.wait_for("handoff_status")
    # Operators only (tests/hub/test_security_operator.py): a supervisor's session will do.
    hub.service.agents.create("sam", "Sam", "supervisor", [], AGENT_PASSWORD)
    session = await login(hub, "sam")
    status, body = await _get(
        hub, "/metrics", headers={"Authorization": f"Bearer {session['token']}"}
    )
    assert status == 200
    text = body.decode()
    assert (
        'hub_handoffs_total{outcome="queued",queue="payments",reason="explicit_request"} 1.0'
        in text
    )
    assert 'hub_queue_length{queue="payments"} 1.0' in text
    assert 'hub_messages_total{sender="customer"} 2.0' in text
    assert 'hub_messages_total{sender="bot"} 1.0' in text
    assert "hub_containment_rate 0.0" in text
    assert 'hub_rasa_request_seconds_count{endpoint="webhook"} 1.0' in text


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/demo/customers"), ("POST", "/api/demo/token"), ("GET", "/")],
)
async def test_demo_routes_do_not_exist_outside_demo_mode(hub, method, path):
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{hub.url}{path}", json={"customer_ref": "cus_alice"}) as response,
    ):
        assert response.status == 404


async def test_demo_mode_mints_tokens_the_hub_accepts(hub_factory, clients, fake_rasa):
    hub = await hub_factory(demo=True)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{hub.url}/api/demo/customers") as response:
            customers = (await response.json())["customers"]
        assert "cus_alice" in {c["customer_ref"] for c in customers}
        async with http.post(f"{hub.url}/api/demo/token", json={"customer_ref": "cus_nobody"}) as r:
            assert r.status == 404
        async with http.post(f"{hub.url}/api/demo/token", json={"customer_ref": "cus_alice"}) as r:
            token = (await r.json())["token"]
    customer, confirm = await new_customer(clients, hub, token=token)
    assert confirm["state"] == "bot"
    await customer.call("user_uttered", {"message": "hi", "session_id": confirm["session_id"]})
    await customer.wait_for("bot_uttered")
    assert fake_rasa.webhook_calls[0]["metadata"]["customer_ref"] == "cus_alice"


async def test_static_files_are_served_and_traversal_is_refused(hub_factory, tmp_path):
    static = tmp_path / "static"  # built before the hub starts, as by ``make setup``
    (static / "assets").mkdir(parents=True)
    (static / "widget.js").write_text("console.log('widget')")
    (static / "console.html").write_text("<h1>console</h1>")
    (static / "assets" / "app.css").write_text("body{}")
    (tmp_path / "secret.txt").write_text("do not serve")
    hub = await hub_factory(demo=True)
    assert hub.settings.static_dir == static
    assert await _get(hub, "/widget.js") == (200, b"console.log('widget')")
    assert await _get(hub, "/console") == (200, b"<h1>console</h1>")
    assert await _get(hub, "/static/assets/app.css") == (200, b"body{}")
    assert (await _get(hub, "/static/../secret.txt"))[0] == 404
    assert (await _get(hub, "/static/%2e%2e/secret.txt"))[0] == 404
    assert (await _get(hub, "/"))[0] == 404  # no demo page built yet


async def test_store_errors_become_503_without_details(hub_factory, migrated_sqlite, tmp_path):
    # A database that lost a payments table: the repository reports the store unavailable.
    url = migrated_sqlite("broken.db")
    with closing(sqlite3.connect(tmp_path / "broken.db")) as conn:
        conn.execute("DROP TABLE customers")
    hub = await hub_factory(demo=True, database_url=url)
    status, body = await _get(hub, "/api/demo/customers")
    assert status == 503
    assert b"customers" not in body
    assert b"unavailable" in body


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ValidationFailed("username", "bad"), 400, "invalid_input"),
        (NotAllowed("the account is disabled"), 403, "not_allowed"),
    ],
)
async def test_login_errors_keep_their_own_status(hub, monkeypatch, error, status, code):
    """A refused login is mapped by its code; only throttling would be 429."""

    def refuse(_username: str, _password: str) -> None:
        raise error

    monkeypatch.setattr(hub.service.agents, "login", refuse)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{hub.url}/api/agent/login", json={"username": "ana", "password": AGENT_PASSWORD}
        ) as response,
    ):
        assert response.status == status
        assert (await response.json())["error"]["code"] == code
