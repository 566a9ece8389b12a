"""Behind HAProxy the hubs count each client's limits against that client, not the balancer."""

from __future__ import annotations

import aiohttp
import pytest

from deploy.cluster import Cluster
from tests.cluster.conftest import AGENT, AGENT_PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

GUESSER = "203.0.113.7"  # documentation addresses (RFC 5737), as HAProxy's forwardfor passes them
AGENT_DESK = "198.51.100.9"


async def test_password_guessing_through_the_lb_throttles_the_guesser_not_the_agents(
    cluster: Cluster,
) -> None:
    url = f"{cluster.lb_url}/api/agent/login"
    # One cookie jar: HAProxy's stickiness sends every request to the same hub process, whose
    # throttle is the one being tested.
    async with aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(15):
            async with http.post(
                url,
                json={"username": AGENT, "password": "not-the-password"},
                headers={"X-Forwarded-For": GUESSER},
            ) as response:
                statuses.append(response.status)
        assert set(statuses) <= {401, 429}, statuses
        assert statuses[-1] == 429, f"the guesser was never throttled: {statuses}"

        async with http.post(
            url,
            json={"username": AGENT, "password": AGENT_PASSWORD},
            headers={"X-Forwarded-For": AGENT_DESK},
        ) as response:
            body = await response.json()
            assert response.status == 200, body
