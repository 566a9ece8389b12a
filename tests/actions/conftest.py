"""Fixtures for the action tests: a seeded store, signed tokens and real rasa-sdk trackers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ActionServices, ActionSettings
from common.identity import mint_customer_token
from store.repository import PaymentsRepository

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
