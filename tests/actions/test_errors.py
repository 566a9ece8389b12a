"""Database outages and bugs become a polite reply plus a log line, never an exception."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import pytest
from rasa_sdk import Tracker

from actions import replies
from actions.context import ActionServices, ActionSettings, build_repository
from actions.declines import ActionPaymentDeclined
from actions.disputes import ActionOpenDispute
from actions.forms import ActionAskOrderNumber, ValidateOrderForm
from actions.instalments import (
    ActionLateFees,
    ActionNextPayment,
    ActionPayEarly,
    ActionPaymentSchedule,
)
from actions.orders import ActionOrderStatus
from actions.refunds import ActionRefundStatus, ActionReturnItem
from store.errors import StoreUnavailable
from store.repository import PaymentsRepository
from tests.actions.conftest import SECRET, make_tracker, run_action, texts

ACTIONS = [
    ActionOrderStatus,
    ActionNextPayment,
    ActionPaymentSchedule,
    ActionPayEarly,
    ActionLateFees,
    ActionRefundStatus,
    ActionReturnItem,
    ActionPaymentDeclined,
    ActionOpenDispute,
]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


@pytest.fixture(params=["postgresql", "sqlite"])
def unreachable_services(request, tmp_path, now) -> ActionServices:
    """Services whose database cannot be reached: a PostgreSQL port with nothing listening,
    or a SQLite path that is a directory (cannot be opened)."""
    if request.param == "postgresql":
        url = (
            f"postgresql://payassist:secret@127.0.0.1:{_closed_port()}/payassist?connect_timeout=2"
        )
    else:
        (tmp_path / "not-a-file.db").mkdir()
        url = f"sqlite:///{tmp_path / 'not-a-file.db'}"
    settings = ActionSettings(customer_token_secret=SECRET, database_url=url)
    return ActionServices(settings, repository_factory=build_repository, clock=lambda: now)


def trackers(token_for: Callable[[str], str]) -> dict[str, Tracker]:
    return {
        "signed_in_with_order": make_tracker(
            metadata={"customer_token": token_for("cus_alice")},
            slots={"order_number": "ORD-104233"},
        ),
        "signed_in_without_order": make_tracker(
            metadata={"customer_token": token_for("cus_alice")}
        ),
        "anonymous": make_tracker(
            slots={"order_number": "ORD-104233", "email": "alice@example.com"}
        ),
    }


@pytest.mark.parametrize("action_cls", ACTIONS, ids=lambda c: c.__name__)
async def test_database_down_gives_a_polite_reply(
    unreachable_services, token_for, action_cls, caplog
):
    for name, tracker in trackers(token_for).items():
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            messages, events = await run_action(action_cls(unreachable_services), tracker)
        assert texts(messages) == [replies.RESPONSE_RECORDS_UNAVAILABLE], name
        assert events == []
        assert any("unavailable" in r.getMessage() for r in caplog.records), name


async def test_database_down_in_the_form(unreachable_services, token_for, domain, caplog):
    tracker = make_tracker(
        metadata={"customer_token": token_for("cus_alice")},
        slots={"requested_topic": "order_status", "order_number": "ORD-104233"},
        trailing_events=[{"event": "slot", "name": "order_number", "value": "ORD-104233"}],
        active_loop={"name": "order_form"},
    )
    with caplog.at_level(logging.WARNING):
        messages, events = await run_action(
            ValidateOrderForm(unreachable_services), tracker, domain
        )
    assert texts(messages) == [replies.RESPONSE_RECORDS_UNAVAILABLE]
    assert {e["name"]: e["value"] for e in events} == {"order_number": None, "email": None}
    assert "unavailable" in caplog.text


async def test_database_down_when_asking(unreachable_services, token_for):
    tracker = make_tracker(metadata={"customer_token": token_for("cus_alice")})
    messages, _ = await run_action(ActionAskOrderNumber(unreachable_services), tracker)
    assert texts(messages) == [replies.RESPONSE_RECORDS_UNAVAILABLE]


class _BrokenRepository:
    """A repository with a bug: every call raises something unexpected."""

    def __getattr__(self, name):
        def broken(*args, **kwargs):
            raise KeyError("boom: internal detail the customer must not see")

        return broken


@pytest.mark.parametrize("action_cls", ACTIONS, ids=lambda c: c.__name__)
async def test_unexpected_error_is_logged_and_hidden(token_for, now, action_cls, caplog):
    services = ActionServices(
        ActionSettings(customer_token_secret=SECRET, database_url="sqlite://"),
        repository=_BrokenRepository(),  # type: ignore[arg-type]
        clock=lambda: now,
    )
    tracker = make_tracker(
        metadata={"customer_token": token_for("cus_alice")}, slots={"order_number": "ORD-104233"}
    )
    with caplog.at_level(logging.ERROR):
        messages, events = await run_action(action_cls(services), tracker)
    assert texts(messages) == [replies.UNEXPECTED_ERROR]
    assert messages[0]["buttons"] == [replies.TALK_TO_PERSON_BUTTON]
    assert "boom" not in repr(messages)
    assert events == []
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None
    assert "boom" in caplog.text


class _WriteFailsRepository:
    """Reads work, the dispute write hits an outage: nothing half-done may reach the customer."""

    def __init__(self, inner: PaymentsRepository) -> None:
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def open_dispute(self, *args, **kwargs):
        raise StoreUnavailable("open_dispute", "sqlite", "OperationalError")


async def test_failure_after_a_successful_read_sends_only_the_apology(
    payments_repository, token_for, now
):
    services = ActionServices(
        ActionSettings(customer_token_secret=SECRET, database_url="sqlite://"),
        repository=_WriteFailsRepository(payments_repository),  # type: ignore[arg-type]
        clock=lambda: now,
    )
    tracker = make_tracker(
        metadata={"customer_token": token_for("cus_alice")}, slots={"order_number": "ORD-104233"}
    )
    messages, events = await run_action(ActionOpenDispute(services), tracker)
    assert texts(messages) == [replies.RESPONSE_RECORDS_UNAVAILABLE]
    assert events == []  # no handoff to the disputes queue for a dispute that was not recorded
