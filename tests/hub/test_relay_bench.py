"""The relay benchmark's load model and how its results are reported (bench/hub_scenarios.py).

They live with the hub tests because they need the hub environment (the bench's socket
clients import python-socketio) and they define what the hub's relay numbers mean.
"""

from __future__ import annotations

import asyncio
import time
from itertools import pairwise
from typing import Any

import pytest

from bench.hub_scenarios import LoopLag, Pacing
from bench.load import is_failure_notice
from bench.report import latency_table, scenario_rows


def test_the_schedule_is_the_same_for_the_same_seed_and_differs_per_conversation() -> None:
    pacing = Pacing(interval_s=1.0, jitter=0.5, messages=20, seed=6)
    assert pacing.schedule(3) == Pacing(seed=6).schedule(3)
    assert pacing.schedule(3) != pacing.schedule(4)
    assert pacing.schedule(3) != Pacing(seed=7).schedule(3)


@pytest.mark.parametrize(("interval", "jitter"), [(1.0, 0.5), (0.25, 0.0), (2.0, 0.9)])
def test_gaps_stay_within_the_jitter_and_average_the_interval(
    interval: float, jitter: float
) -> None:
    pacing = Pacing(interval_s=interval, jitter=jitter, messages=200, seed=1)
    gaps: list[float] = []
    for index in range(50):
        times = pacing.schedule(index)
        assert len(times) == 200
        assert 0.0 <= times[0] <= interval  # a random phase spreads the conversations out
        gaps += [b - a for a, b in pairwise(times)]
    assert min(gaps) >= interval * (1 - jitter) - 1e-9
    assert max(gaps) <= interval * (1 + jitter) + 1e-9
    assert sum(gaps) / len(gaps) == pytest.approx(interval, rel=0.02)


@pytest.mark.parametrize(
    "bad", [{"interval_s": 0.0}, {"jitter": 1.0}, {"jitter": -0.1}, {"messages": 0}]
)
def test_unusable_pacing_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="interval must be positive"):
        Pacing(**bad)


@pytest.mark.parametrize(
    ("message", "failure"),
    [
        ({"id": 5, "sender": {"type": "system"}, "text": "technical trouble"}, True),
        ({"id": 5, "sender": {"type": "system"}, "handoff_status": "queued"}, False),
        ({"id": 5, "sender": {"type": "bot"}, "text": "hello"}, False),
        ({"id": 5, "sender": {"type": "agent", "name": "Ana"}, "text": "hi"}, False),
    ],
)
def test_only_the_hubs_own_failure_notice_ends_a_wait_for_the_bot(
    message: dict[str, Any], failure: bool
) -> None:
    assert is_failure_notice(message) is failure


def _summary(p50: float, per_second: float) -> dict[str, Any]:
    return {
        "count": 2000,
        "errors": 0,
        "p50_ms": p50,
        "p95_ms": p50 * 2,
        "p99_ms": p50 * 3,
        "mean_ms": p50,
        "max_ms": p50 * 4,
        "per_second": per_second,
        "hub_cpu_ms_per_message": 1.25,
    }


def test_paced_latency_and_closed_loop_throughput_are_reported_apart() -> None:
    hub = {
        "measured": True,
        "relay": {
            "measured": True,
            "conversations": 100,
            "interval_seconds": 1.0,
            "load_generator_loop_lag": {"p50_ms": 0.4, "p99_ms": 3.25, "max_ms": 9.0},
            **_summary(4.5, 98.0),
        },
        "relay_throughput": {"measured": True, **_summary(377.0, 612.0)},
    }
    rows = {row[0]: row for row in scenario_rows(hub)}
    paced = rows[
        "agent <-> customer relay, paced (100 conversations, 1 message per 1.00 s each, open loop)"
    ]
    assert paced[1:] == ["4.50", "9.00", "13.5", "98.0", "1.25", "2000", "0"]
    throughput = rows["relay throughput of one hub process (closed loop, no pause)"]
    # Closed-loop latencies are queueing; the table shows only the rate.
    assert throughput[1:4] == ["-", "-", "-"]
    assert throughput[4] == "612.0"
    table = latency_table({"hub": hub})
    assert "377" not in table
    assert "event-loop delay during the paced relay" in table
    assert "p50 0.40 ms, p99 3.25 ms" in table


async def test_loop_lag_sees_a_blocked_event_loop() -> None:
    lag = LoopLag(period_s=0.005)
    lag.start()
    await asyncio.sleep(0.02)
    time.sleep(0.1)  # noqa: ASYNC251 (blocks the loop on purpose, like a saturated client)
    await asyncio.sleep(0.02)
    await lag.stop()
    summary = lag.summary()
    assert summary is not None
    assert summary["max_ms"] >= 90.0


def test_relay_parts_missing_from_a_run_show_as_not_measured() -> None:
    rows = scenario_rows({"measured": False, "reason": "the hub is not available"})
    assert [row[1] for row in rows] == ["not measured"] * 3
    assert all(row[-1] == "the hub is not available" for row in rows)
