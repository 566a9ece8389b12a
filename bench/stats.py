"""Summaries of latency samples: percentiles, throughput and ratios.

Kept free of third-party imports so both environments (``.venv`` and ``.venv-hub``) can use
it and the numbers in every report are computed the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


def percentile(samples: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile of ``samples`` with linear interpolation between ranks.

    Linear interpolation (numpy's default) keeps p99 of a small sample from jumping to the
    single worst value, so runs of different sizes stay comparable.

    Raises:
        ValueError: No samples, or ``pct`` outside 0..100.
    """
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0.0 <= pct <= 100.0:
        raise ValueError(f"percentile must be within 0..100, got {pct}")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * pct / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    weight = rank - low
    return float(ordered[low] * (1.0 - weight) + ordered[high] * weight)


@dataclass(frozen=True)
class LatencySummary:
    """Latency percentiles in milliseconds plus throughput for one measured scenario."""

    count: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    per_second: float

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for the JSON results file."""
        return asdict(self)


def summarize(latencies_s: Sequence[float], elapsed_s: float, errors: int = 0) -> LatencySummary:
    """Summarise request latencies (seconds) measured over a wall-clock window.

    Args:
        latencies_s: One latency per successful request, in seconds.
        elapsed_s: Wall-clock length of the run; throughput is successes per second of it.
        errors: Requests that failed or timed out (reported, never hidden in the percentiles).

    Raises:
        ValueError: No successful sample, or a non-positive elapsed time.
    """
    if elapsed_s <= 0:
        raise ValueError("elapsed time must be positive")
    if not latencies_s:
        raise ValueError("no successful samples to summarise")
    to_ms = 1000.0
    return LatencySummary(
        count=len(latencies_s),
        errors=errors,
        p50_ms=round(percentile(latencies_s, 50) * to_ms, 2),
        p95_ms=round(percentile(latencies_s, 95) * to_ms, 2),
        p99_ms=round(percentile(latencies_s, 99) * to_ms, 2),
        mean_ms=round(sum(latencies_s) / len(latencies_s) * to_ms, 2),
        max_ms=round(max(latencies_s) * to_ms, 2),
        per_second=round(len(latencies_s) / elapsed_s, 2),
    )


def ratio(baseline: float | None, ours: float | None) -> float | None:
    """``baseline / ours`` (how many times better we are), or None when either is missing."""
    if baseline is None or ours is None or ours == 0:
        return None
    return round(baseline / ours, 2)
