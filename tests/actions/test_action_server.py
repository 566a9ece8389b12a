"""The real action server (``python -m rasa_sdk --actions actions``) answers a webhook call.

Proves the pieces fit outside unit tests: actions register under their domain names, the
repository is built from DATABASE_URL on first use, and the token secret comes from the
environment.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from common.identity import mint_customer_token
from store.db import create_engine_from_url, create_schema, make_session_factory
from store.seed import seed_demo_data
from tests.actions.conftest import REPO_ROOT, SECRET

STARTUP_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local test server
        return int(response.status)


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - local test server
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        result: dict[str, Any] = json.loads(response.read())
        return result


@pytest.fixture
def action_server(tmp_path: Path) -> Iterator[str]:
    """A seeded SQLite store and an action server on a free port; yields the webhook URL."""
    database_url = f"sqlite:///{tmp_path / 'payassist.db'}"
    engine = create_engine_from_url(database_url)
    create_schema(engine)
    seed_demo_data(make_session_factory(engine), datetime.now(timezone.utc).date())
    engine.dispose()

    port = _free_port()
    env: dict[str, str] = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CUSTOMER_TOKEN_SECRET": SECRET,
        "PYTHONPATH": str(REPO_ROOT),
    }
    log_path = tmp_path / "action-server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"action server exited:\n{log_path.read_text(errors='replace')}")
            try:
                if _get(f"{base}/health") == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"action server not healthy:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.2)
        yield f"{base}/webhook"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _call(webhook: str, action: str, metadata: dict[str, Any], slots: dict[str, Any]):
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
    return _post(webhook, {"next_action": action, "sender_id": "webhook-test",
                           "tracker": tracker, "domain": {}, "version": "3.6.2"})  # fmt: skip


def test_next_payment_over_the_webhook(action_server):
    from datetime import timedelta

    from common.formatting import format_date

    due = format_date(datetime.now(timezone.utc).date() + timedelta(days=5))
    alice = mint_customer_token("cus_alice", SECRET)
    response = _call(action_server, "action_next_payment", {"customer_token": alice}, {})
    assert [r["text"] for r in response["responses"]] == [
        f"Your next payment is €45.50 on {due} for your Northwind Outdoor order ORD-104233."
    ]
    assert response["events"] == []

    # Another customer's token gives theirs.
    dan = mint_customer_token("cus_dan", SECRET)
    response = _call(action_server, "action_next_payment", {"customer_token": dan}, {})
    assert response["responses"][0]["text"].startswith("Your next payment is $99.99 on ")

    # Anonymous: nothing without a matching order number + email.
    response = _call(action_server, "action_next_payment", {"customer_ref": "cus_alice"},
                     {"order_number": "ORD-104233", "email": "bob@example.com"})  # fmt: skip
    assert [r["response"] for r in response["responses"]] == ["utter_order_not_found"]
