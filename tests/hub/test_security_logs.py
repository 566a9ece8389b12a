"""No secret reaches a log line: a realistic flow through the real hub, every line scanned.

The hub logs as in production (``configure_logging("INFO")``: JSON lines on stderr, captured
here). The flow carries every kind of secret the hub handles: a customer token, the customer's
session key, an agent's password (and a wrong one), the agent's session token, card numbers,
an IBAN, email addresses, the token secret and Rasa's token. None of them may appear in any
line at INFO or above. The slow variant does the same in front of the real Rasa server and also
scans Rasa's own log.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from hub.logging import JsonFormatter, configure_logging, redact
from tests.hub.clients import sender_of
from tests.hub.conftest import (
    AGENT_PASSWORD,
    TOKEN_SECRET,
    RunningHub,
    customer_token,
    new_customer,
)
from tests.hub.fake_rasa import AUTH_TOKEN as FAKE_RASA_TOKEN
from tests.hub.real_rasa import AUTH_TOKEN as REAL_RASA_TOKEN
from tests.hub.test_real_rasa import rasa, real_hub, real_rasa  # noqa: F401 (fixtures)

WRONG_PASSWORD = "hunter2-wrong-guess-Zq9"
CARDS = ("4111111111111111", "5555555555554444", "378282246310005")
EMAILS = ("alice.private@example.com", "ana.secret@payassist.example")
IBAN = "GB82WEST12345698765432"


@dataclass
class Secrets:
    """Everything that must never be logged, collected while the flow runs."""

    values: set[str] = field(default_factory=set)

    def add(self, *values: str) -> None:
        self.values.update(v for v in values if v)

    def found_in(self, text: str) -> list[str]:
        flat = re.sub(r"[ -]", "", text)
        return sorted(v for v in self.values if v in text or (v.isdigit() and v in flat))


@pytest.fixture
def hub_log() -> Iterator[io.StringIO]:
    """Everything the hub logs at INFO and above, as production formats it."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("aiohttp.access").level)
    buffer = io.StringIO()
    real_stderr = sys.stderr
    sys.stderr = buffer
    try:
        configure_logging("INFO")
    finally:
        sys.stderr = real_stderr
    yield buffer
    root.handlers[:], root.level = saved[0], saved[1]
    logging.getLogger("aiohttp.access").setLevel(saved[2])


async def _post(hub: RunningHub, path: str, **kwargs: object) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{hub.url}{path}", **kwargs) as response,  # type: ignore[arg-type]
    ):
        body = await response.json() if response.status != 204 else {}
        return response.status, body


async def _flow(hub: RunningHub, clients: object, secrets: Secrets, timeout: float) -> None:
    """A customer with secrets in their messages, a ticket, an agent who logs in and replies."""
    make = clients
    hub.service.agents.create("ana", "Ana", "agent", ["payments", "disputes"], AGENT_PASSWORD)
    status, _ = await _post(
        hub, "/api/agent/login", json={"username": "ana", "password": WRONG_PASSWORD}
    )
    assert status == 401
    status, session = await _post(
        hub, "/api/agent/login", json={"username": "ana", "password": AGENT_PASSWORD}
    )
    assert status == 200
    agent_token = str(session["token"])
    secrets.add(agent_token, WRONG_PASSWORD, AGENT_PASSWORD)
    agent = make(hub.url, "/agent")  # type: ignore[operator]
    await agent.connect(auth={"token": agent_token})
    await agent.call("presence", {"status": "online"})

    token = customer_token("cus_alice")
    secrets.add(token, token.split(".")[-1])
    customer, confirm = await new_customer(make, hub, token=token)  # type: ignore[arg-type]
    secrets.add(str(confirm["session_id"]))  # possession of it is access to the conversation
    sid = confirm["session_id"]
    for text in (
        "my card 4111 1111 1111 1111 was declined, why?",
        "or 5555-5555-5555-4444 cvv 123, my email is alice.private@example.com",
        f"refund to {IBAN} please",
    ):
        await customer.call("user_uttered", {"message": text, "session_id": sid})
        await customer.wait_for("bot_uttered", lambda d: sender_of(d) == "bot", timeout)
    # A second connection with a forged and a stale key, and a bad customer token.
    intruder = make(hub.url)  # type: ignore[operator]
    await intruder.connect(auth={"token": token[:-4] + "AAAA"})
    await intruder.call("session_request", {"session_id": sid})

    await customer.call("user_uttered", {"message": "I want to talk to a human", "session_id": sid})
    offer = await agent.wait_for("offer", timeout=timeout)
    conversation_id = offer["conversation_id"]
    await agent.call("claim", {"conversation_id": conversation_id})
    await customer.call(
        "user_uttered", {"message": "it's 3782 822463 10005 actually", "session_id": sid}
    )
    await agent.wait_for("message", lambda d: d.get("sender", {}).get("type") == "customer")
    ack = await agent.call(
        "reply",
        {
            "conversation_id": conversation_id,
            "text": "write to ana.secret@payassist.example, not 4111111111111111",
        },
    )
    # The console shows the stored (masked) message from the ack, never what was typed.
    assert (
        ack["message"]["text"] == "write to ana.secret@payassist.example, not •••• •••• •••• 1111"
    )
    await agent.call("close", {"conversation_id": conversation_id, "disposition": "resolved"})
    await customer.call(
        "leave_contact", {"email": EMAILS[0], "note": "call me, card 5555555555554444"}
    )
    status, _ = await _post(
        hub, "/api/agent/logout", headers={"Authorization": f"Bearer {agent_token}"}
    )
    assert status == 204
    secrets.add(*CARDS, *EMAILS, IBAN, TOKEN_SECRET, FAKE_RASA_TOKEN, REAL_RASA_TOKEN)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _leaks(lines: list[str], secrets: Secrets) -> dict[str, list[str]]:
    return {line[:300]: secrets.found_in(line) for line in lines if secrets.found_in(line)}


async def test_a_full_flow_logs_no_secret(hub, clients, hub_log):
    secrets = Secrets()
    await _flow(hub, clients, secrets, timeout=5)
    lines = _lines(hub_log.getvalue())
    events = {json.loads(line)["event"] for line in lines}
    # The scan looked at a real log: these lines are about the very events that carry secrets.
    assert {"agent.login_failed", "agent.logged_in", "agent.connected"} <= events, events
    assert all(
        json.loads(line)["level"] in {"info", "warning", "error", "critical"} for line in lines
    )
    assert _leaks(lines, secrets) == {}


def test_the_formatter_masks_what_a_careless_line_would_leak():
    """Defence in depth: an exception's text or a field with a secret is masked in the line."""
    token = customer_token("cus_alice")
    logger = logging.getLogger("tests.security")
    try:
        raise ValueError(f"bad row (alice.private@example.com, {token}, 4111 1111 1111 1111)")
    except ValueError:
        record = logger.makeRecord(
            logger.name,
            logging.ERROR,
            __file__,
            1,
            "lookup failed for %s",
            ("bob@example.org",),
            sys.exc_info(),
            extra={
                "fields": {
                    "note": "iban GB82 WEST 1234 5698 7654 32",
                    "conversation_id": "4111111111111111",
                }
            },
        )
    line = JsonFormatter().format(record)
    secrets = Secrets()
    secrets.add(token, "alice.private@example.com", "bob@example.org", "GB82WEST12345698765432")
    assert secrets.found_in(line) == []
    assert "4111111111111111" not in json.loads(line)["exception"].replace(" ", "")
    # Identifiers are kept as they are, so a grep still finds a conversation.
    assert json.loads(line)["conversation_id"] == "4111111111111111"
    assert (
        redact("ORD-104233 on 2026-03-01, +44 20 7946 0958")
        == "ORD-104233 on 2026-03-01, +44 20 7946 0958"
    )


@pytest.mark.slow
async def test_a_full_flow_with_the_real_rasa_logs_no_secret(real_hub, clients, hub_log, rasa):  # noqa: F811
    secrets = Secrets()
    await _flow(real_hub, clients, secrets, timeout=30)
    hub_lines = _lines(hub_log.getvalue())
    assert _leaks(hub_lines, secrets) == {}
    rasa_log = Path(rasa.workdir) / "rasa.log"
    rasa_lines = [
        line
        for line in _lines(rasa_log.read_text(encoding="utf-8", errors="replace"))
        if " DEBUG " not in line
    ]
    assert rasa_lines, "Rasa wrote no log at all"
    assert _leaks(rasa_lines, secrets) == {}
