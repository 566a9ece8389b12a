"""Fixtures for the action tests: a seeded store, signed tokens and real rasa-sdk trackers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time as clock
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ActionServices, ActionSettings
from common.identity import mint_customer_token
from store.db import create_engine_from_url, make_session_factory
from store.repository import PaymentsRepository
from store.seed import seed_demo_data

SECRET = "test-secret-for-actions-0123456789abcdef"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def now(seed_today: date) -> datetime:
    """Noon UTC on the day the demo data is seeded relative to."""
    return datetime.combine(seed_today, time(12, 0), tzinfo=timezone.utc)


@pytest.fixture
def services(payments_repository: PaymentsRepository, now: datetime) -> ActionServices:
    """Services over the seeded store with a pinned clock and the test token secret."""
    return ActionServices(
        ActionSettings(customer_token_secret=SECRET, database_url="sqlite://"),
        repository=payments_repository,
        clock=lambda: now,
    )


@pytest.fixture
def token_for(now: datetime) -> Callable[[str], str]:
    """Mint a valid token for a customer, as the host site would."""

    def mint(customer_ref: str) -> str:
        return mint_customer_token(customer_ref, SECRET, ttl=timedelta(hours=1), now=now)

    return mint


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The real domain.yml, as Rasa sends it to the action server."""
    with (REPO_ROOT / "domain.yml").open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def user_event(
    text: str = "hi",
    metadata: dict[str, Any] | None = None,
    intent: str = "inform",
) -> dict[str, Any]:
    """A user event as Rasa serialises it for the action server."""
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 1.0}, "entities": [], "text": text},
        "metadata": metadata or {},
    }


def make_tracker(
    *,
    metadata: dict[str, Any] | None = None,
    slots: dict[str, Any] | None = None,
    text: str = "hi",
    intent: str = "inform",
    earlier_events: list[dict[str, Any]] | None = None,
    trailing_events: list[dict[str, Any]] | None = None,
    active_loop: dict[str, Any] | None = None,
) -> Tracker:
    """A tracker whose latest user message carries ``metadata`` (like the hub sends it)."""
    latest = user_event(text, metadata, intent)
    events = [*(earlier_events or []), latest, *(trailing_events or [])]
    all_slots: dict[str, Any] = {
        "order_number": None,
        "email": None,
        "requested_topic": None,
        "requested_slot": None,
        "handoff_active": None,
        "handoff_reason": None,
        "handoff_queue": None,
    }
    all_slots.update(slots or {})
    return Tracker(
        "conv-1",
        all_slots,
        {**latest["parse_data"], "metadata": latest["metadata"]},
        events,
        False,
        None,
        active_loop or {},
        "action_listen",
    )


async def run_action(action: Any, tracker: Tracker, domain: dict[str, Any] | None = None):
    """Run an action like the SDK does; return (messages, events)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain or {})
    return dispatcher.messages, events


def texts(messages: list[dict[str, Any]]) -> list[str]:
    """The texts of the collected messages (responses appear as their name)."""
    return [m.get("text") or m.get("response") or "" for m in messages]


STARTUP_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local test server
        return int(response.status)


@pytest.fixture
def action_server(tmp_path: Path, migrated_sqlite: Callable[..., str]) -> Iterator[str]:
    """A seeded SQLite store and an action server on a free port; yields the webhook URL."""
    database_url = migrated_sqlite("payassist.db")
    engine = create_engine_from_url(database_url)
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
        deadline = clock.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"action server exited:\n{log_path.read_text(errors='replace')}")
            try:
                if _get(f"{base}/health") == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if clock.monotonic() > deadline:
                pytest.fail(f"action server not healthy:\n{log_path.read_text(errors='replace')}")
            clock.sleep(0.2)
        yield f"{base}/webhook"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
