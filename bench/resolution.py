"""Cost of order resolution (actions/resolution.py), which the order form runs on every turn.

    python -m bench.resolution [--repeat 20] [--out bench/results]   (bot environment)

Every customer message of the project's corpora (``bench.masking.project_messages``) is
resolved against each demo customer's own orders, ``--repeat`` times; a message's cost is the
mean of those. Two figures: *warm* (the customer's matcher is cached, the usual case within a
conversation) and *cold* (the per-customer matcher is built for the message: the first turn of
a customer, or after their orders changed). Reports median, p99 and mean in microseconds and
writes ``resolution-latest.json`` to ``--out``. The spaCy pipeline loads once before timing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from actions import order_words
from actions.resolution import resolve
from bench.machine import machine_info
from bench.masking import project_messages
from bench.stats import percentile
from store.mapping import order_view
from store.seed import build_demo_rows
from store.views import OrderView


def _customers() -> list[list[OrderView]]:
    today = datetime.now(timezone.utc).date()
    return [
        sorted((order_view(o) for o in c.orders), key=lambda o: o.placed_at, reverse=True)
        for c in build_demo_rows(today)
    ]


def _summary(costs: list[float]) -> dict[str, float]:
    ordered = sorted(costs)
    return {
        "messages": len(ordered),
        "median_us": round(percentile(ordered, 50), 1),
        "p99_us": round(percentile(ordered, 99), 1),
        "mean_us": round(sum(ordered) / len(ordered), 1),
    }


def measure(messages: Sequence[str], repeat: int) -> dict[str, dict[str, float]]:
    """Warm and cold cost per message, over every demo customer."""
    customers = _customers()
    today = datetime.now(timezone.utc).date()
    for orders in customers:  # load spaCy and build every matcher once
        resolve("warm up the tent", orders, today=today)
    warm: list[float] = []
    cold: list[float] = []
    for text in messages:
        for orders in customers:
            start = time.perf_counter()
            for _ in range(repeat):
                resolve(text, orders, today=today)
            warm.append((time.perf_counter() - start) / repeat * 1e6)
        for orders in customers:
            order_words._build.cache_clear()
            start = time.perf_counter()
            resolve(text, orders, today=today)
            cold.append((time.perf_counter() - start) * 1e6)
    return {"warm": _summary(warm), "cold": _summary(cold)}


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--limit", type=int, default=0, help="only the first N messages")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args(argv)
    messages = project_messages()
    if args.limit:
        messages = messages[: args.limit]
    results = measure(messages, args.repeat)
    for kind, row in results.items():
        print(
            f"resolution ({kind}): median {row['median_us']} µs, p99 {row['p99_us']} µs, "
            f"mean {row['mean_us']} µs over {int(row['messages'])} message x customer"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine_info(), "repeat": args.repeat, **results}
    (args.out / "resolution-latest.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
