import re
from typing import Any

from bench.report import NLU_SECTIONS, SECTIONS, latency_table, ratios, render


def _level(p50: float, per_second: float) -> dict[str, float]:
    return {
        "count": 10,
        "errors": 0,
        "p50_ms": p50,
        "p95_ms": p50,
        "p99_ms": p50,
        "mean_ms": p50,
        "max_ms": p50,
        "per_second": per_second,
    }


def _report() -> dict[str, Any]:
    return {
        "command": "python -m bench.latency",
        "machine": {"cores": 2, "load_average": [0.1, 0.1, 0.1], "packages": {}},
        "stock": {
            "measured": True,
            "train_seconds": 60.0,
            "startup_seconds": 20.0,
            "rest": {"1": _level(120.0, 8.0), "20": _level(900.0, 19.0)},
        },
        "project": {"measured": False, "reason": "no spaCy pipeline"},
        "hub": {
            "measured": True,
            "hub_socket": {
                "measured": True,
                "levels": {"1": _level(40.0, 25.0), "20": _level(300.0, 60.0)},
            },
            "handoff": {"measured": True, **_level(12.0, 5.0)},
        },
    }


def test_ratios_compare_hub_against_stock():
    assert ratios(_report()) == {"p50_stock_over_hub": 3.0, "throughput20_hub_over_stock": 3.16}


def test_missing_parts_show_as_not_measured_with_the_reason():
    table = latency_table(_report())
    assert "| our Rasa server, REST | - | not measured |" in table
    assert "no spaCy pipeline" in table
    assert "agent <-> customer relay | not measured" in table
    assert "Idle customer connections: not measured." in table


def test_render_without_any_results_invents_nothing():
    page = render(None, None)
    assert page.count("not measured") == 3  # speed, NLU, surge
    # The hand-written sections (dated measurements made outside the scripts) are kept as
    # they are; apart from them, no figure anywhere below the heading: no "12 ms", "3.4x",
    # "45.2%" invented from nothing.
    for name in NLU_SECTIONS:
        section = (SECTIONS / name).read_text(encoding="utf-8").rstrip("\n")
        assert section in page
        page = page.replace(section, "")
    assert re.search(r"\d+(\.\d+)?\s*(ms|x|%|/s)\b", page.split("## Speed and scale")[1]) is None


def test_render_nlu_table():
    nlu = {
        "command": "python -m bench.nlu",
        "machine": {},
        "data": {"per_intent": 10},
        "results": [
            {
                "pipeline": "project",
                "accuracy": 0.8123,
                "macro_f1": 0.81,
                "top_ranked_accuracy": 0.83,
                "train_seconds": 120.0,
                "model_load_seconds": 3.2,
                "parse_ms_median": 9.5,
            },
            {"pipeline": "stock", "error": "exit 1"},
        ],
    }
    page = render(nlu, None)
    assert "| project | 81.2% | 0.810 | 83.0% | 120.0 | 3.20 | 9.50 |" in page
    assert "| stock | failed |" in page


def test_seed_spread_line_reports_every_sample_and_the_mean():
    from bench.report import seed_spread_line

    spread = {
        "rows": [
            {"seed": 42, "top_ranked_accuracy": 0.799},
            {"seed": 1, "top_ranked_accuracy": 0.817},
        ],
        "top_ranked_mean": 0.808,
        "top_ranked_sd": 0.0127,
        "accuracy_mean": 0.739,
    }
    line = seed_spread_line(spread)
    assert line is not None
    for part in ("seed 42: 79.9%", "seed 1: 81.7%", "mean 80.8%", "sd 1.27 points", "73.9%"):
        assert part in line
    assert seed_spread_line(None) is None
    failed = seed_spread_line({"rows": spread["rows"][:1], "error": "seed 1: exit 1"})
    assert failed is not None
    assert "seed 1: exit 1" in failed
    assert "mean" not in failed


def test_render_states_the_warm_up_and_sample_size_when_recorded():
    report = {**_report(), "warmup_messages": 10, "min_messages_per_level": 100}
    page = render(None, report)
    assert "first gets 10 untimed messages" in page
    assert "at least 100 messages" in page
    assert "untimed" not in render(None, _report())  # older reports: nothing invented
