"""Cost of masking sensitive numbers (common/sensitive.py), which the hub runs on every message.

    python -m bench.masking [--repeat 50] [--out bench/results]

The bench corpus is every customer message of the project's corpora (NLU examples, held-out
NLU, handoff corpora, explicit requests, story user turns) plus the masking test corpus (card
numbers in every shape, security codes, IBANs, accounts, ids, and what must be left alone,
``tests/common/test_sensitive.py``). Each message is masked ``--repeat`` times; its cost is
the mean of those, and the report gives the median, p99 and mean over messages, for the
project's corpora and the masking corpus apart. Writes ``masking-latest.json`` to ``--out``.
Runs in either environment.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from bench.machine import machine_info
from bench.stats import percentile
from common.sensitive import mask_sensitive

REPO = Path(__file__).resolve().parents[1]
CORPORA = (
    "data/nlu/*.yml",
    "tests/nlu/*.yml",
    "tests/handoff_eval/corpus_*.yml",
    "tests/data/explicit_requests.yml",
    "tests/stories/*.yml",
)
# Where the corpora keep what customers type: NLU example blocks, corpus texts, conversation
# turns, story user steps.
MESSAGE_KEYS = ("examples", "text", "turns", "user")
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _messages(node: Any) -> Iterable[str]:
    """Customer messages anywhere in a loaded corpus file, entity annotations stripped."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in MESSAGE_KEYS:
                for text in _strings(value):
                    if key == "examples":
                        lines = [line.strip() for line in text.splitlines()]
                        texts = [line[2:] for line in lines if line.startswith("- ")]
                    else:
                        texts = [text.strip()]
                    yield from (_ANNOTATION.sub(r"\1", t) for t in texts)
            else:
                yield from _messages(value)
    elif isinstance(node, list):
        for item in node:
            yield from _messages(item)


def project_messages() -> list[str]:
    """The customer messages of the project's NLU, story and handoff corpora."""
    paths = sorted({p for pattern in CORPORA for p in REPO.glob(pattern)})
    return [
        text
        for path in paths
        for text in _messages(yaml.safe_load(path.read_text(encoding="utf-8")))
        if text
    ]


def masking_messages() -> list[str]:
    """The masking test corpus: texts to mask and texts to leave alone."""
    from tests.common.test_sensitive import LEFT_ALONE, sensitive_texts

    return [*sensitive_texts(), *LEFT_ALONE]


def measure(texts: Sequence[str], repeat: int) -> list[float]:
    """Microseconds per call of ``mask_sensitive`` for each text (mean of ``repeat`` calls)."""
    costs = []
    clock = time.perf_counter_ns
    for text in texts:
        mask_sensitive(text)  # warm: regex caches, stdnum's lazily loaded registries
        start = clock()
        for _ in range(repeat):
            mask_sensitive(text)
        costs.append((clock() - start) / repeat / 1000.0)
    return costs


def summary(costs: Sequence[float]) -> dict[str, float | int]:
    """Count, median, p99, mean and max of per-message costs (µs)."""
    return {
        "messages": len(costs),
        "median_us": round(percentile(costs, 50), 2),
        "p99_us": round(percentile(costs, 99), 2),
        "mean_us": round(sum(costs) / len(costs), 2),
        "max_us": round(max(costs), 2),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.masking", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--repeat", type=int, default=50, help="calls per message")
    parser.add_argument("--out", default=str(REPO / "bench" / "results"), help="results folder")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    project, masking = project_messages(), masking_messages()
    project_costs = measure(project, args.repeat)
    masking_costs = measure(masking, args.repeat)
    results = {
        "benchmark": "masking",
        "repeat": args.repeat,
        "all": summary([*project_costs, *masking_costs]),
        "project_corpora": summary(project_costs),
        "masking_corpus": summary(masking_costs),
        "masked_in_project_corpora": sum(mask_sensitive(t).masked for t in project),
        "machine": machine_info(),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "masking-latest.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(f"{'corpus':<18} {'messages':>8} {'median µs':>10} {'p99 µs':>8} {'mean µs':>8}")
    for name in ("all", "project_corpora", "masking_corpus"):
        row: dict[str, Any] = results[name]  # type: ignore[assignment]
        print(
            f"{name:<18} {row['messages']:>8} {row['median_us']:>10} {row['p99_us']:>8} "
            f"{row['mean_us']:>8}"
        )
    print(f"masked in the project's corpora: {results['masked_in_project_corpora']}")
    print(f"written: {out / 'masking-latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
