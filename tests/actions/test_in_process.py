"""Custom actions run inside Rasa (``bot/inprocess_actions.py``) exactly as over the webhook.

The same action calls go to the real action server and to the in-process executor, against the
same seeded database, and must get the same answers; errors map to the statuses the webhook
answers with, so Rasa's ``RemoteAction`` raises its usual exceptions.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, read_endpoint_config

from actions.context import set_default_services
from bot import inprocess_actions
from common.identity import mint_customer_token
from tests.actions.conftest import REPO_ROOT, SECRET
from tests.actions.test_action_server import _post, action_call

FAILING = "tests.actions.misbehaving_actions"


@pytest.fixture
def in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Actions read the same database as the ``action_server`` fixture's; Rasa patched."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'payassist.db'}")
    monkeypatch.setenv("CUSTOMER_TOKEN_SECRET", SECRET)
    set_default_services(None)
    inprocess_actions.apply()
    yield
    inprocess_actions.restore()
    set_default_services(None)


@pytest.mark.parametrize(
    ("action", "customer", "slots"),
    [
        ("action_next_payment", "cus_alice", {}),
        ("action_next_payment", "cus_dan", {}),
        ("action_next_payment", None, {"order_number": "ORD-104233", "email": "bob@example.com"}),
        ("validate_order_form", None, {}),
        ("validate_order_form", "cus_alice", {}),
        ("action_ask_order_number", "cus_alice", {}),
    ],
)
def test_same_answer_as_the_webhook(
    action_server: str,
    in_process: None,
    domain: dict[str, Any],
    action: str,
    customer: str | None,
    slots: dict[str, Any],
) -> None:
    metadata = {"customer_token": mint_customer_token(customer, SECRET)} if customer else {}
    body = action_call(action, metadata, slots, domain)
    over_http = _post(action_server, body)
    local = asyncio.run(inprocess_actions.run_in_process("actions", body))
    assert local == over_http


def test_the_call_is_not_shared_with_the_action() -> None:
    body = action_call("action_next_payment", {}, {})
    before = repr(body)
    asyncio.run(inprocess_actions.run_in_process("actions", body))
    assert repr(body) == before


def test_the_round_trip_gives_what_json_over_the_wire_gives() -> None:
    value = {"n": 1, "f": 0.1, "t": ("a", 2), 3: None, True: [{"x": "é"}]}
    assert inprocess_actions._round_trip(value) == json.loads(json.dumps(value))


def test_a_value_json_cannot_carry_is_refused() -> None:
    with pytest.raises(TypeError):
        inprocess_actions._round_trip({"x": object()})


@pytest.mark.parametrize(
    ("action", "status", "error"),
    [
        ("action_rejects", 400, "not now"),
        ("action_crashes", 500, "database on fire"),
        ("action_nobody_wrote", 404, None),
    ],
)
def test_errors_map_to_the_webhook_statuses(action: str, status: int, error: str | None) -> None:
    body = action_call(action, {}, {})
    with pytest.raises(ClientResponseError) as raised:
        asyncio.run(inprocess_actions.run_in_process(FAILING, body))
    assert raised.value.status == status
    if error is not None:
        assert error in raised.value.text


def _tracker(domain: Domain) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "in-process",
        [
            ActionExecuted("action_listen"),
            UserUttered("when is my next payment due?", {"name": "next_payment"}),
            SlotSet("requested_topic", "next_payment"),
        ],
        domain.slots,
    )


async def _run(name: str, endpoint: EndpointConfig) -> list[Any]:
    domain = Domain.load(str(REPO_ROOT / "domain.yml"))
    return await RemoteAction(name, endpoint).run(
        CollectingOutputChannel(),
        TemplatedNaturalLanguageGenerator(domain.responses),
        _tracker(domain),
        domain,
    )


def test_rasa_runs_a_project_action_in_process(action_server: str, in_process: None) -> None:
    local = asyncio.run(_run("action_ask_order_number", EndpointConfig(actions_module="actions")))
    remote = asyncio.run(_run("action_ask_order_number", EndpointConfig(url=action_server)))

    def untimed(events: list[Any]) -> list[dict[str, Any]]:
        return [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in events]

    assert local
    assert untimed(local) == untimed(remote)


def test_rasa_raises_its_usual_exceptions(in_process: None) -> None:
    endpoint = EndpointConfig(actions_module=FAILING)
    with pytest.raises(ActionExecutionRejection):
        asyncio.run(_run("action_rejects", endpoint))
    with pytest.raises(RasaException, match="Failed to execute custom action 'action_crashes'"):
        asyncio.run(_run("action_crashes", endpoint))
    with pytest.raises(RasaException, match="action_nobody_wrote"):
        asyncio.run(_run("action_nobody_wrote", endpoint))


def test_an_endpoint_with_a_url_still_goes_over_http(in_process: None) -> None:
    # Port 1 refuses: the HTTP path's connection error, not the in-process executor.
    with pytest.raises(RasaException, match="Couldn't connect"):
        asyncio.run(_run("action_next_payment", EndpointConfig(url="http://127.0.0.1:1/webhook")))


def test_endpoint_settings_are_checked() -> None:
    assert inprocess_actions.actions_module(EndpointConfig(url="http://x/webhook")) is None
    assert inprocess_actions.actions_module(EndpointConfig(actions_module="actions")) == "actions"
    with pytest.raises(ValueError, match="both url and actions_module"):
        inprocess_actions.actions_module(EndpointConfig(url="http://x", actions_module="actions"))
    with pytest.raises(ValueError, match="package name"):
        inprocess_actions.actions_module(EndpointConfig(actions_module=""))


def test_the_project_endpoints_run_actions_in_process() -> None:
    endpoint = read_endpoint_config(str(REPO_ROOT / "endpoints.yml"), "action_endpoint")
    assert endpoint is not None
    assert inprocess_actions.actions_module(endpoint) == "actions"
