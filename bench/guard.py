"""Cost of the hub's explicit-request guard (common/explicit_request.py) per customer message.

    python -m bench.guard [--repeat 20] [--out bench/results]

The guard runs in the hub on every message before the bot sees it, so what it adds is the
latency of each customer turn. The bench corpus is every customer message of the project's
corpora (as ``bench.masking`` collects them). Each message is matched ``--repeat`` times; its
cost is the mean of those; the report gives the median, p99 and mean over messages, for
messages of at most 4 words (every language's phrase book, no language detection) and
longer ones (language detection with py3langid) apart. Writes ``guard-latest.json`` to
``--out``. Runs in either environment.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.machine import machine_info
from bench.masking import project_messages, summary
from common.explicit_request import SHORT_MESSAGE_WORDS, ExplicitRequestGuard, surface_words

REPO = Path(__file__).resolve().parents[1]


def measure(guard: ExplicitRequestGuard, texts: Sequence[str], repeat: int) -> list[float]:
    """Microseconds per ``guard.match`` for each text (mean of ``repeat`` calls)."""
    costs = []
    clock = time.perf_counter_ns
    for text in texts:
        guard.match(text)  # warm: caches, the detector's model
        start = clock()
        for _ in range(repeat):
            guard.match(text)
        costs.append((clock() - start) / repeat / 1000.0)
    return costs


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.guard", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--repeat", type=int, default=20, help="calls per message")
    parser.add_argument("--out", default=str(REPO / "bench" / "results"), help="results folder")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    guard = ExplicitRequestGuard.from_file()
    build_ms = (time.perf_counter() - started) * 1000
    messages = project_messages()
    short = [t for t in messages if len(surface_words(t)) <= SHORT_MESSAGE_WORDS]
    long = [t for t in messages if len(surface_words(t)) > SHORT_MESSAGE_WORDS]
    short_costs = measure(guard, short, args.repeat)
    long_costs = measure(guard, long, args.repeat)
    results: dict[str, Any] = {
        "benchmark": "guard",
        "repeat": args.repeat,
        "build_ms": round(build_ms, 1),
        "all": summary([*short_costs, *long_costs]),
        "short_messages": summary(short_costs),
        "longer_messages": summary(long_costs),
        "matched_in_project_corpora": sum(guard.match(t).matched for t in messages),
        "machine": machine_info(),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "guard-latest.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(f"guard built in {results['build_ms']} ms")
    print(f"{'messages':<16} {'count':>6} {'median µs':>10} {'p99 µs':>8} {'mean µs':>8}")
    for name in ("all", "short_messages", "longer_messages"):
        row = results[name]
        print(
            f"{name:<16} {row['messages']:>6} {row['median_us']:>10} {row['p99_us']:>8} "
            f"{row['mean_us']:>8}"
        )
    print(f"written: {out / 'guard-latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
