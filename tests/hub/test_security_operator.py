"""``/metrics`` is for operators only: the metrics token or a supervisor's session (real HTTP)."""

from __future__ import annotations

import aiohttp
import pytest

from hub.settings import HubSettings, SettingsError
from tests.hub.conftest import AGENT_PASSWORD, RunningHub, login

METRICS_TOKEN = "scrape-token-0123456789abcdef"


async def _metrics(hub: RunningHub, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
        http.get(f"{hub.url}/metrics", headers=headers) as response,
    ):
        return response.status, await response.text(), response.headers.get("WWW-Authenticate", "")


@pytest.fixture
async def staffed_hub(hub_factory) -> RunningHub:
    hub: RunningHub = await hub_factory(metrics_token=METRICS_TOKEN)
    hub.service.agents.create("ana", "Ana", "agent", ["payments"], AGENT_PASSWORD)
    hub.service.agents.create("sam", "Sam", "supervisor", [], AGENT_PASSWORD)
    return hub


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": f"Basic {METRICS_TOKEN}"},
        {"Authorization": f"Bearer {METRICS_TOKEN}x"},
        {"Cookie": "payassist_session=made-up"},
    ],
)
async def test_metrics_are_refused_without_credentials(staffed_hub, headers):
    status, body, challenge = await _metrics(staffed_hub, headers)
    assert status == 401
    assert challenge == 'Bearer realm="metrics"'
    assert "hub_" not in body


async def test_the_metrics_token_is_accepted(staffed_hub):
    status, body, _ = await _metrics(staffed_hub, {"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200
    assert "hub_messages_total" in body or "hub_conversations_total" in body


async def test_a_supervisor_session_is_accepted_and_an_agent_session_is_not(staffed_hub):
    agent = await login(staffed_hub, "ana")
    supervisor = await login(staffed_hub, "sam")
    status, _, _ = await _metrics(staffed_hub, {"Authorization": f"Bearer {agent['token']}"})
    assert status == 401
    status, body, _ = await _metrics(
        staffed_hub, {"Authorization": f"Bearer {supervisor['token']}"}
    )
    assert status == 200
    assert "hub_conversations_total" in body


async def test_a_supervisors_console_cookie_works_from_the_hubs_own_pages_only(staffed_hub):
    supervisor = await login(staffed_hub, "sam")
    cookie = f"payassist_session={supervisor['token']}"
    status, _, _ = await _metrics(staffed_hub, {"Cookie": cookie, "Sec-Fetch-Site": "same-origin"})
    assert status == 200
    status, _, _ = await _metrics(staffed_hub, {"Cookie": cookie, "Sec-Fetch-Site": "cross-site"})
    assert status == 401


async def test_without_a_metrics_token_only_supervisors_may_scrape(hub):
    """The default is safe: no token configured means no anonymous scraping at all."""
    assert hub.settings.metrics_token is None
    status, _, _ = await _metrics(hub)
    assert status == 401
    status, _, _ = await _metrics(hub, {"Authorization": "Bearer "})
    assert status == 401


def test_settings_read_the_security_variables():
    settings = HubSettings.from_env(
        {
            "HUB_METRICS_TOKEN": METRICS_TOKEN,
            "HUB_BEHIND_TLS": "1",
            "HUB_PUBLIC_ORIGIN": "https://hub.example.com/",
        }
    )
    assert settings.metrics_token == METRICS_TOKEN
    assert settings.behind_tls is True
    assert settings.public_origin == "https://hub.example.com"
    assert HubSettings.from_env({}).behind_tls is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HUB_METRICS_TOKEN", "short"),
        ("HUB_PUBLIC_ORIGIN", "hub.example.com"),
        ("HUB_PUBLIC_ORIGIN", "https://hub.example.com/console"),
        ("HUB_PUBLIC_ORIGIN", "ftp://hub.example.com"),
    ],
)
def test_unusable_security_settings_are_refused(name, value):
    with pytest.raises(SettingsError, match=name):
        HubSettings.from_env({name: value})
