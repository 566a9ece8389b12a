"""The scale-out section of docs/benchmarks.md: tables and the capacity model's arithmetic."""

from __future__ import annotations

from bench.cluster_report import render_section
from bench.report import render


def _row(per_second: float, hub: float, rasa: float) -> dict:
    return {
        "count": 200,
        "errors": 0,
        "p50_ms": 410.0,
        "p99_ms": 900.0,
        "per_second": per_second,
        "cpu_ms_per_message": {
            "hub1": hub / 2,
            "hub2": hub / 2,
            "rasa1": rasa / 2,
            "rasa2": rasa / 2,
            "postgresql": 3.0,
            "redis": 0.2,
            "haproxy": 0.1,
        },
    }


CLUSTER = {
    "command": "bash scripts/bench.sh cluster",
    "messages_per_level": 200,
    "machine": {"cores": 2, "load_average": [1.0, 1.0, 1.0], "measured_at": "t"},
    "configs": {"2 hubs, 2 Rasa": {"20": _row(25.0, 4.0, 60.0), "50": _row(26.0, 4.2, 61.0)}},
    "idle": {"opened": 2000, "alive_after_hold": 2000, "rss_kib_per_connection": 40.0,
             "sockets_per_gib": 26214, "held_seconds": 30.0},
    "rss_mib": {"rasa1": 700.0, "rasa2": 690.0, "hub1": 120.0, "hub2": 118.0},
}  # fmt: skip


def test_nothing_measured_says_so_and_invents_nothing():
    text = "\n".join(render_section(None, None))
    assert "Not measured yet" in text
    assert "cores" not in text


def test_capacity_model_shows_its_arithmetic_from_the_measured_cpu():
    text = "\n".join(render_section(None, CLUSTER))
    # 1,000 conversations / 20 s = 50 msg/s; Rasa 60 ms -> 3.00 core-s/s -> / 0.6 = 5.00 cores.
    assert "**50 messages/s**" in text
    assert (
        "rasa: 50 msg/s x 60.00 ms = 3.00 core-seconds per second; ÷ 0.6 = **5.00 cores**" in text
    )
    assert "What runs out first: **rasa**" in text
    assert "26,214 idle sockets per GiB" in text
    assert "| 2 hubs, 2 Rasa | 20 | 25.0 | 410 | 900 | 0 | 4.0 | 60.0 | 3.0 | 0.20 | 0.10 |" in text


def test_the_page_carries_the_section():
    tracker = {"command": "c", "conversations": 2, "turns_per_conversation": 3, "machine": {},
               "stores": {"in_memory": {"p50_ms": 0.5, "p99_ms": 1.0, "mean_ms": 0.6,
                                        "extra_p50_ms_vs_memory": 0.0}}}  # fmt: skip
    page = render(None, None, tracker=tracker, cluster=CLUSTER)
    assert "## Scale-out" in page
    assert "| in_memory | 0.50 | 1.00 | 0.60 | 0.00 |" in page


def test_a_busy_machine_is_called_shared():
    busy = {**CLUSTER, "machine": {"cores": 2, "load_average": [16.1, 15.0, 14.0]}}
    assert "shared with other work" in "\n".join(render_section(None, busy))
    assert "shared with other work" not in "\n".join(render_section(None, CLUSTER))
