"""The surge bench's bookkeeping: one outcome per message, counted and rendered."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from bench.report_surge import surge_section, surge_table
from bench.surge_client import Outcome, SurgeCustomer, tally
from connectors.payloads import customer_payload
from hub.domain.texts import BOT_FAILURE_TEXT, BOT_RETRY_TEXT, STATUS_TEXT
from hub.domain.views import MessageView


def _bot(message_id: int, sender: str, text: str, **extra: Any) -> dict[str, Any]:
    # What the recorder keeps: the hub's metadata lifted to the top (see the test below).
    return {"id": message_id, "sender": {"type": sender}, "text": text, **extra}


async def test_the_hubs_own_bot_uttered_is_read_once() -> None:
    # The body exactly as the hub sends it (its id and sender under Rasa's ``metadata``).
    customer = SurgeCustomer("http://127.0.0.1:1", 0)
    view = MessageView(11, "c1", "bot", None, "Hi!", None, None, datetime.now(timezone.utc))
    record = customer._recorder("bot_uttered")
    await record(customer_payload(view))
    await record(customer_payload(view))
    assert customer.duplicated == 1
    [(_, event, data)] = customer._events
    assert customer._classify(event, data, after=10, latency_s=0.5) == Outcome(
        "reply", latency_s=0.5
    )


@pytest.mark.parametrize(
    ("event", "data", "expected"),
    [
        ("bot_uttered", _bot(11, "bot", "Hi!"), Outcome("reply", latency_s=0.5)),
        ("bot_uttered", _bot(9, "bot", "an earlier answer"), None),
        ("bot_uttered", _bot(11, "system", BOT_RETRY_TEXT), Outcome("error", "failure_notice")),
        # "bringing in a person" is followed by the handoff status, which decides.
        ("bot_uttered", _bot(11, "system", BOT_FAILURE_TEXT), None),
        (
            "bot_uttered",
            _bot(11, "system", STATUS_TEXT["bot_busy"], handoff_status="bot_busy"),
            None,
        ),
        (
            "handoff_status",
            {"state": "queued", "reason": "bot_failure", "message_id": 12},
            Outcome("handoff", "bot_failure"),
        ),
        (
            "handoff_status",
            {"state": "no_agents", "message_id": 12},
            Outcome("handoff", "no_agents"),
        ),
        ("handoff_status", {"state": "queued", "current": True, "message_id": 12}, None),
        ("handoff_status", {"state": "bot_busy", "message_id": 12}, None),
        ("error", {"code": "internal"}, Outcome("error", "event:internal")),
        ("disconnect", {}, Outcome("error", "disconnected")),
    ],
)
def test_each_push_is_classified_once(event: str, data: dict[str, Any], expected: Any) -> None:
    customer = SurgeCustomer("http://127.0.0.1:1", 0)
    assert customer._classify(event, data, after=10, latency_s=0.5) == expected


def test_tally_counts_outcomes_and_latency() -> None:
    first, second = SurgeCustomer("http://x", 0), SurgeCustomer("http://x", 1)
    first.outcomes = [Outcome("reply", latency_s=0.1), Outcome("reply", latency_s=0.3)]
    first.session_id = second.session_id = "s"
    second.outcomes = [Outcome("error", "failure_notice"), Outcome("handoff", "bot_failure")]
    second.duplicated = 1
    second.busy_notices = 1
    result = tally([first, second])
    assert result["messages_sent"] == 4
    assert (result["replies"], result["errors"], result["lost"]) == (2, 1, 0)
    assert result["handoffs_by_reason"] == {"bot_failure": 1}
    assert result["duplicated"] == 1
    assert result["customers_with_busy_notice"] == 1
    assert result["reply_latency"]["p50_ms"] == pytest.approx(200.0)


def test_the_section_shows_baseline_and_latest() -> None:
    def run(label: str | None, handoffs: dict[str, int]) -> dict[str, Any]:
        return {
            "measured": True,
            "label": label,
            "commit": "abc1234",
            "command": "python -m bench.surge",
            "machine": {"load_average": [1.0, 1.0, 1.0]},
            "machine_after": [2.0, 1.0, 1.0],
            "result": {
                "messages_sent": 1500,
                "replies": 1500 - sum(handoffs.values()),
                "errors": 0,
                "lost": 0,
                "duplicated": 0,
                "handoffs_by_reason": handoffs,
                "customers_with_busy_notice": 3,
                "reply_latency": {"p50_ms": 10.0, "p95_ms": 20.0, "p99_ms": 30.0},
                "elapsed_seconds": 12.5,
            },
        }

    lines = surge_section(run("baseline", {"bot_failure": 7}), run(None, {}))
    text = "\n".join(lines)
    assert "| baseline (abc1234) | 1,500 | 1,493 |" in text
    assert "bot_failure 7" in text
    assert "| latest (abc1234) | 1,500 | 1,500 |" in text
    assert "not measured" in "\n".join(surge_section(None, None))
    assert surge_table([{"label": "x", "measured": False, "reason": "no model"}]).count("|") > 10
