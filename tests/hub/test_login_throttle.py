"""Login throttling that slows a sprayer but cannot lock an agent out (issue 13).

Before: no per-client limit, a per-username lockout anyone could trigger, answered 401, and
every password check on the worker threads customer events share.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from argon2 import PasswordHasher

from hub.domain.policy import HubConfig
from hub.services.login_throttle import LoginThrottle
from tests.hub.conftest import AGENT_PASSWORD, RunningHub, new_customer

WRONG = "not the right password"


async def _login(
    hub: RunningHub, username: str, password: str, *, client: str = "127.0.0.1"
) -> tuple[int, dict[str, Any], str | None]:
    connector = aiohttp.TCPConnector(local_addr=(client, 0))
    async with (
        aiohttp.ClientSession(connector=connector) as http,
        http.post(
            f"{hub.url}/api/agent/login", json={"username": username, "password": password}
        ) as response,
    ):
        return response.status, await response.json(), response.headers.get("Retry-After")


async def test_a_sprayer_from_one_client_is_slowed_with_429_and_retry_after(hub):
    hub.service.agents.create("ana", "Ana", "agent", ["payments"], AGENT_PASSWORD)
    answers = [await _login(hub, f"user{index}", WRONG) for index in range(25)]
    statuses = [status for status, _body, _retry in answers]
    burst = hub.settings.policy.login_client_burst
    assert statuses[:burst] == [401] * burst
    assert set(statuses[burst:]) == {429}
    for _status, body, retry_after in answers[burst:]:
        assert body["error"]["code"] == "too_many_attempts"
        assert retry_after is not None
        assert int(retry_after) >= 1


async def test_failing_on_purpose_cannot_lock_a_known_agent_out(hub):
    hub.service.agents.create("ana", "Ana", "agent", ["payments"], AGENT_PASSWORD)
    attacker = [await _login(hub, "ana", WRONG, client="127.0.0.2") for _ in range(8)]
    after = hub.settings.policy.login_backoff_after
    assert [status for status, _b, _r in attacker[:after]] == [401] * after
    # The attacker's own pair backs off, answered 429 (what the console expects), not 401.
    assert {status for status, _b, _r in attacker[after:]} == {429}
    status, body, _retry = await _login(hub, "ana", AGENT_PASSWORD, client="127.0.0.1")
    assert status == 200
    assert body["username"] == "ana"


async def test_the_back_off_ends_and_a_success_resets_it(hub_factory):
    hub = await hub_factory(policy=HubConfig(login_backoff_base=timedelta(seconds=0.3)))
    hub.service.agents.create("ana", "Ana", "agent", ["payments"], AGENT_PASSWORD)
    for _ in range(hub.settings.policy.login_backoff_after):
        assert (await _login(hub, "ana", WRONG))[0] == 401
    status, _body, retry_after = await _login(hub, "ana", AGENT_PASSWORD)
    assert (status, retry_after) == (429, "1")
    await asyncio.sleep(0.35)
    assert (await _login(hub, "ana", AGENT_PASSWORD))[0] == 200
    assert (await _login(hub, "ana", WRONG))[0] == 401  # the counter started again


class RecordingHasher(PasswordHasher):
    """A cheap argon2 hasher that notes the thread of every check and can be slowed down."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.delay = delay
        self.threads: set[str] = set()
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._lock:
            self.threads.add(threading.current_thread().name)
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            time.sleep(self.delay)  # stands in for argon2's real cost
            return bool(super().verify(hash, password))
        finally:
            with self._lock:
                self.running -= 1


async def test_password_checks_run_only_on_the_login_threads(hub_factory):
    hasher = RecordingHasher()
    hub = await hub_factory(password_hasher=hasher)
    hub.service.agents.create("ana", "Ana", "agent", ["payments"], AGENT_PASSWORD)
    assert (await _login(hub, "ana", AGENT_PASSWORD))[0] == 200
    assert (await _login(hub, "ana", WRONG))[0] == 401
    assert (await _login(hub, "nobody", WRONG))[0] == 401
    assert hasher.threads
    assert all(name.startswith("hub-login") for name in hasher.threads), hasher.threads


async def test_a_login_storm_neither_floods_the_hash_threads_nor_slows_customers(
    hub_factory, clients
):
    """60 concurrent failed logins: a few are checked, the rest get 429 at once, and a
    customer's ``resume`` keeps its quiet-time latency.

    The slowest of ten resumes counts: the first one sent during a storm used to wait for
    every password check queued before it on the shared worker threads (seconds).
    """
    hasher = RecordingHasher(delay=0.3)
    hub = await hub_factory(password_hasher=hasher)
    customer, confirm = await new_customer(clients, hub)
    await customer.call("user_uttered", {"message": "hello", "session_id": confirm["session_id"]})
    await customer.wait_for("bot_uttered")

    async def slowest_resume(rounds: int = 10) -> float:
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            await customer.call("resume", {"session_id": confirm["session_id"], "last_seen_id": 0})
            times.append(time.perf_counter() - start)
        return max(times)

    quiet = await slowest_resume()
    storm = asyncio.gather(*(_login(hub, f"user{index}", WRONG) for index in range(60)))
    for _ in range(1000):  # the storm has reached the password checks...
        if hasher.running >= 2:
            break
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.1)  # ...and every request of it is in
    busy = await slowest_resume()
    statuses = [status for status, _b, _r in await storm]
    policy = hub.settings.policy
    assert hasher.most_at_once <= policy.login_workers
    assert statuses.count(429) >= 60 - policy.login_client_burst
    assert set(statuses) <= {401, 429}
    assert busy < max(5 * quiet, 0.25), (quiet, busy)


@pytest.mark.parametrize("clients_count", [1, 3])
def test_the_throttle_forgets_idle_clients_and_stays_bounded(clients_count):
    now = [0.0]
    throttle = LoginThrottle(HubConfig(), lambda: now[0], max_entries=2)
    for index in range(clients_count * 5):
        client = f"10.0.0.{index % clients_count}"
        assert throttle.admit(client, f"user{index}") is None
        throttle.finish(client, f"user{index}", ok=False)
    assert len(throttle._buckets) <= 2
    assert len(throttle._backoffs) <= 2
    now[0] += 3600
    assert throttle.admit("10.0.0.0", "user0") is None
    assert throttle.in_flight == 1
