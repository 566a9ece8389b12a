"""Prometheus metrics of one hub app.

Each app owns its ``CollectorRegistry`` (never the global default registry), so several
apps in one test process do not collide and ``/metrics`` shows only this hub's numbers.

Business numbers (handoffs, queue lengths, waits, time to first agent reply, message
counts, containment, CSAT) are computed from the store at scrape time (``HubStats``), so
they survive restarts and agree across hub processes. Only what is about this process
(latency and failures of its requests to Rasa) lives in in-memory metrics.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from hub.domain.views import HubStats

WAIT_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 3600.0)
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)


def _histogram(
    name: str, doc: str, samples_by_queue: dict[str, tuple[float, ...]], buckets: Sequence[float]
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, doc, labels=["queue"])
    for queue, samples in sorted(samples_by_queue.items()):
        counts = []
        for bound in buckets:
            counts.append((str(bound), float(sum(1 for s in samples if s <= bound))))
        counts.append(("+Inf", float(len(samples))))
        family.add_metric([queue], counts, sum_value=float(sum(samples)))
    return family


class StatsCollector(Collector):  # type: ignore[misc]
    """Exposes the latest ``HubStats`` snapshot; the ``/metrics`` handler refreshes it."""

    def __init__(self) -> None:
        """Start with no snapshot (nothing is exported until the first scrape)."""
        self.stats: HubStats | None = None

    def collect(self) -> Iterable[Metric]:
        """Yield metric families built from the current snapshot."""
        stats = self.stats
        if stats is None:
            return
        yield from self._families(stats)

    @staticmethod
    def _families(stats: HubStats) -> Iterator[Metric]:
        handoffs = CounterMetricFamily(
            "hub_handoffs",
            "Requests for a person, by reason, queue and outcome (queued/no_agents).",
            labels=["reason", "queue", "outcome"],
        )
        for (reason, queue, outcome), count in sorted(stats.handoffs.items()):
            handoffs.add_metric([reason, queue, outcome], count)
        yield handoffs

        length = GaugeMetricFamily(
            "hub_queue_length", "Conversations waiting for a person.", labels=["queue"]
        )
        longest = GaugeMetricFamily(
            "hub_queue_longest_wait_seconds", "Current longest wait.", labels=["queue"]
        )
        online = GaugeMetricFamily(
            "hub_online_agents", "Online agents serving the queue.", labels=["queue"]
        )
        for queue, count in sorted(stats.queue_lengths.items()):
            length.add_metric([queue], count)
        for queue, seconds in sorted(stats.longest_wait_seconds.items()):
            longest.add_metric([queue], seconds)
        for queue, count in sorted(stats.online_agents.items()):
            online.add_metric([queue], count)
        yield length
        yield longest
        yield online

        yield _histogram(
            "hub_queue_wait_seconds",
            "Waits from queued to claimed (recent window).",
            stats.wait_seconds_recent,
            WAIT_BUCKETS,
        )
        yield _histogram(
            "hub_first_agent_reply_seconds",
            "Time from claim to the agent's first reply (recent window).",
            stats.first_reply_seconds_recent,
            WAIT_BUCKETS,
        )

        messages = CounterMetricFamily(
            "hub_messages", "Stored messages by sender type.", labels=["sender"]
        )
        for sender, count in sorted(stats.messages.items()):
            messages.add_metric([sender], count)
        yield messages

        yield CounterMetricFamily(
            "hub_conversations", "Conversations with a customer message.", value=stats.conversations
        )
        yield CounterMetricFamily(
            "hub_conversations_contained",
            "Conversations the bot handled without a person.",
            value=stats.contained,
        )
        if stats.containment_rate is not None:
            yield GaugeMetricFamily(
                "hub_containment_rate",
                "Share of conversations the bot handled alone.",
                value=stats.containment_rate,
            )

        csat = CounterMetricFamily("hub_csat_ratings", "CSAT ratings by score.", labels=["score"])
        for score in range(1, 6):
            csat.add_metric([str(score)], stats.csat_counts.get(score, 0))
        yield csat
        if stats.csat_average is not None:
            yield GaugeMetricFamily(
                "hub_csat_average", "Mean CSAT score.", value=stats.csat_average
            )


class HubMetrics:
    """The hub's metric families, registered in a private registry."""

    def __init__(self) -> None:
        """Create the registry, the stats collector and the per-process metrics."""
        self.registry = CollectorRegistry()
        self.stats = StatsCollector()
        self.registry.register(self.stats)
        self.rasa_latency_seconds = Histogram(
            "hub_rasa_request_seconds",
            "Latency of successful requests from this hub process to Rasa.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rasa_failures = Counter(
            "hub_rasa_failures",
            "Failed requests from this hub process to Rasa, by kind.",
            ["kind"],
            registry=self.registry,
        )

    def render(self, stats: HubStats) -> bytes:
        """Return the registry in the Prometheus text format, with ``stats`` as the snapshot."""
        self.stats.stats = stats
        return bytes(generate_latest(self.registry))
