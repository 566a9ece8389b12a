"""The real action server (``python -m rasa_sdk --actions actions``) answers a webhook call.

The ``action_server`` fixture lives in ``tests/actions/conftest.py`` (the in-process tests use it
too).

Proves the pieces fit outside unit tests: actions register under their domain names, the
repository is built from DATABASE_URL on first use, and the token secret comes from the
environment.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timezone
from typing import Any

from common.identity import mint_customer_token
from tests.actions.conftest import SECRET


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - local test server
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    # Generous: the first order-resolution call imports spaCy in the server, which takes over
    # 30 s on a loaded 2-core machine; the test is about the answer, not the speed.
    with urllib.request.urlopen(request, timeout=180) as response:  # noqa: S310
        result: dict[str, Any] = json.loads(response.read())
        return result


def action_call(
    action: str,
    metadata: dict[str, Any],
    slots: dict[str, Any],
    domain: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The body Rasa POSTs for ``action`` after "when is my next payment due?"."""
    user: dict[str, Any] = {
        "event": "user",
        "text": "when is my next payment due?",
        "parse_data": {"intent": {"name": "next_payment", "confidence": 0.98}, "entities": []},
        "metadata": metadata,
    }
    tracker = {
        "sender_id": "webhook-test",
        "slots": {"order_number": None, "email": None, "requested_topic": "next_payment", **slots},
        "latest_message": {**user["parse_data"], "text": user["text"], "metadata": metadata},
        "events": [{"event": "action", "name": "action_listen"}, user],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    return {"next_action": action, "sender_id": "webhook-test", "tracker": tracker,
            "domain": domain or {}, "version": "3.6.2"}  # fmt: skip


def _call(webhook: str, action: str, metadata: dict[str, Any], slots: dict[str, Any]):
    return _post(webhook, action_call(action, metadata, slots))


def test_next_payment_over_the_webhook(action_server):
    from datetime import timedelta

    from common.formatting import format_date

    due = format_date(datetime.now(timezone.utc).date() + timedelta(days=5))
    alice = mint_customer_token("cus_alice", SECRET)
    response = _call(action_server, "action_next_payment", {"customer_token": alice}, {})
    (text,) = [r["text"] for r in response["responses"]]
    first, *rest = text.split("\n")
    assert (
        first
        == f"Your next payment is €45.50 on {due} for your Northwind Outdoor order ORD-104233."
    )
    # Seeded relative to the real today: both remaining instalments may fall in this month.
    assert all(line.startswith("Due in ") for line in rest)
    # The instalment told is remembered for "and the one after that?".
    assert [(e["name"], e["value"]) for e in response["events"]] == [
        ("instalment_ref", "ORD-104233#3")
    ]

    # Another customer's token gives theirs.
    dan = mint_customer_token("cus_dan", SECRET)
    response = _call(action_server, "action_next_payment", {"customer_token": dan}, {})
    assert response["responses"][0]["text"].startswith("Your next payment is $99.99 on ")

    # Anonymous: nothing without a matching order number + email.
    response = _call(action_server, "action_next_payment", {"customer_ref": "cus_alice"},
                     {"order_number": "ORD-104233", "email": "bob@example.com"})  # fmt: skip
    assert [r["response"] for r in response["responses"]] == ["utter_order_not_found"]
