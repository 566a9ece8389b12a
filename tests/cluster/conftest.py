"""One cluster per test session: PostgreSQL, Redis, 2 Rasa servers, 2 hubs, HAProxy.

Built by :class:`deploy.cluster.Cluster`, the same code as ``make cluster``. Tests kill and
restart single processes; :func:`cluster` (function scope) first brings back anything an
earlier test left stopped, so tests can run in any order. Readiness waits are generous and no
assertion depends on how fast the (shared, two-core) machine is.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import secrets
import shutil
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from deploy.cluster import Cluster, http_ok, newest_model
from tests.hub.clients import RecordingClient, sender_of

AGENT = "ana"
AGENT_PASSWORD = "cluster-test-password-" + secrets.token_hex(6)
TURN_SECONDS = 120.0  # one bot turn on a loaded machine, generously


@pytest.fixture(scope="session")
def running_cluster() -> Iterator[Cluster]:
    try:
        newest_model()
    except RuntimeError as error:
        if os.environ.get("CI"):
            pytest.fail(str(error))
        pytest.skip(str(error))
    # Not under pytest's 0700 base folder: PostgreSQL runs as the postgres user when we are root.
    workdir = Path(tempfile.mkdtemp(prefix="payassist-cluster-"))
    workdir.chmod(0o755)
    cluster = Cluster(
        workdir=workdir,
        hub_env={
            "HUB_RASA_TIMEOUT": "90",  # a slow turn is not a failure here
            "HUB_RASA_HEALTH_INTERVAL": "1",
            "HUB_LOG_LEVEL": "INFO",
        },
    )
    # Every test's conversation stays with the agent: room for all of them.
    try:
        cluster.start(agents={AGENT: AGENT_PASSWORD}, capacity=50)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def cluster(running_cluster: Cluster) -> Cluster:
    """The cluster with every process running (restarts what an earlier test stopped)."""
    c = running_cluster
    if not (c.workdir / "pg" / "data" / "postmaster.pid").exists():
        c.start_postgres()
    if not c.alive("redis"):
        c.start_redis()
    for i in range(1, c.rasas + 1):
        if not c.alive(f"rasa{i}"):
            c.start_rasa(i)
    for i in range(1, c.hubs + 1):
        if not c.alive(f"hub{i}") or not http_ok(f"{c.hub_url(i)}/health"):
            if c.alive(f"hub{i}"):
                c.signal(f"hub{i}")
            c.start_hub(i)
    wait_until(lambda: all(lb_server_up(c, f"hub{i}") for i in range(1, c.hubs + 1)), 60)
    return c


def wait_until(check: Callable[[], bool], seconds: float, what: str = "condition") -> None:
    import time

    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {seconds:.0f}s")
        time.sleep(0.5)


def lb_stats(cluster: Cluster) -> list[dict[str, str]]:
    """HAProxy's CSV statistics, one row per frontend, backend and server."""
    url = f"http://127.0.0.1:{cluster.port('lb_stats')}/;csv"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local)
        text = response.read().decode().lstrip("# ")
    return list(csv.DictReader(io.StringIO(text)))


def lb_server_up(cluster: Cluster, server: str) -> bool:
    rows = [r for r in lb_stats(cluster) if r["svname"] == server]
    return bool(rows) and all(r["status"].startswith("UP") for r in rows)


def lb_websocket_hub(cluster: Cluster) -> str:
    """The hub the one open websocket through the load balancer goes to (``hub1``...)."""
    rows = [
        r for r in lb_stats(cluster) if r["pxname"] == "hubs_ws" and r["svname"].startswith("hub")
    ]
    busy = [r["svname"] for r in rows if int(r["scur"] or 0) > 0]
    assert len(busy) == 1, f"expected one websocket through the load balancer: {rows}"
    return busy[0]


def rasa_served(cluster: Cluster) -> dict[str, float]:
    """Requests answered by each Rasa server, summed over the hubs (hub /metrics)."""
    totals: dict[str, float] = {}
    pattern = re.compile(r'^hub_rasa_server_requests_total\{outcome="ok",server="([^"]+)"\} (\S+)$')
    for i in range(1, cluster.hubs + 1):
        if not cluster.alive(f"hub{i}"):
            continue
        scrape = urllib.request.Request(  # noqa: S310 (local)
            f"{cluster.hub_url(i)}/metrics",
            headers={"Authorization": f"Bearer {cluster.metrics_token}"},
        )
        with urllib.request.urlopen(scrape, timeout=10) as response:  # noqa: S310
            for line in response.read().decode().splitlines():
                match = pattern.match(line)
                if match:
                    totals[match.group(1)] = totals.get(match.group(1), 0.0) + float(match.group(2))
    return totals


def rasa_index(cluster: Cluster, url: str) -> int:
    return next(i for i in range(1, cluster.rasas + 1) if cluster.rasa_url(i) == url)


def served_since(cluster: Cluster, before: dict[str, float]) -> list[str]:
    after = rasa_served(cluster)
    return [url for url, count in after.items() if count > before.get(url, 0.0)]


@pytest.fixture
async def clients() -> Any:
    made: list[RecordingClient] = []

    def make(url: str, namespace: str = "/") -> RecordingClient:
        client = RecordingClient(url, namespace)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.disconnect()


async def customer(
    make: Callable[..., RecordingClient],
    url: str,
    session: dict[str, Any] | None = None,
    transports: tuple[str, ...] = ("websocket",),
) -> tuple[RecordingClient, dict[str, Any]]:
    client = make(url)
    await client.connect(transports=transports)
    confirm = await client.call("session_request", session or {"session_id": None}, timeout=30)
    return client, confirm


async def agent(make: Callable[..., RecordingClient], hub_url: str) -> RecordingClient:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{hub_url}/api/agent/login", json={"username": AGENT, "password": AGENT_PASSWORD}
        ) as response,
    ):
        assert response.status == 200, await response.text()
        token = (await response.json())["token"]
    client = make(hub_url, "/agent")
    await client.connect(auth={"token": token})
    ack = await client.call("presence", {"status": "online"}, timeout=30)
    assert ack == {"presence": "online"}
    return client


async def say(client: RecordingClient, confirm: dict[str, Any], text: str) -> dict[str, Any]:
    ack: dict[str, Any] = await client.call(
        "user_uttered", {"message": text, "session_id": confirm["session_id"]}, timeout=30
    )
    return ack


async def bot_reply(client: RecordingClient, mark: int) -> dict[str, Any]:
    reply: dict[str, Any] = await client.wait_for(
        "bot_uttered", lambda d: sender_of(d) != "customer", TURN_SECONDS, mark
    )
    return reply


async def pause(seconds: float) -> None:
    await asyncio.sleep(seconds)
