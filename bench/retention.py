"""What the retention purge costs, and how long it makes the hub's own writes wait.

    python -m bench.retention [--conversations 5000] [--messages 10] [--batch 200]
        [--database-url URL] [--out bench/results]

Fills a fresh SQLite database (or an empty, migrated ``--database-url``) with conversations
idle past the transcript period, each with ``--messages`` messages and a Rasa tracker of three
events, plus one live conversation. The purge then runs on a worker thread while this thread
keeps storing one message at a time in the live conversation (the hub's hottest write, through
the store's writer path), as a hub would under load. Reported: the purge's duration and rows
per second, and the latency of those concurrent writes against the same writes with no purge
running: the wait one batch imposes on the hub. Writes ``retention-latest.json`` to ``--out``.
Runs in the hub environment.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert

from bench.machine import machine_info
from bench.stats import percentile
from hub.domain.retention import RetentionPolicy
from hub.persistence import models as m
from hub.persistence.store import HubStore
from hub.persistence.trackers import EVENTS, SqlTrackerEvents
from hub.services.retention import RetentionPurge
from migrations.runner import upgrade

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=400)


def _fill(url: str, tracker_url: str, conversations: int, messages: int) -> None:
    engine = create_engine(url, future=True)
    rows = [
        {"id": f"c{i}", "session_id": f"s{i}", "state": "closed", "created_at": OLD,
         "updated_at": OLD}
        for i in range(conversations)
    ] + [{"id": "live", "session_id": "s-live", "state": "bot", "created_at": NOW,
          "updated_at": NOW}]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(m.Conversation.__table__), rows)
        conn.execute(
            insert(m.Message.__table__),
            [
                {"conversation_id": f"c{i}", "sender_type": "customer", "text": f"message {j}",
                 "created_at": OLD}
                for i in range(conversations)
                for j in range(messages)
            ],
        )  # fmt: skip
    engine.dispose()
    tracker = create_engine(tracker_url, future=True)
    EVENTS.metadata.create_all(tracker)
    with tracker.begin() as conn:
        conn.execute(
            insert(EVENTS),
            [
                {"sender_id": f"s{i}", "type_name": "user", "timestamp": OLD.timestamp() + k}
                for i in range(conversations)
                for k in range(3)
            ],
        )
    tracker.dispose()


def _write_latencies(store: HubStore, stop: threading.Event, limit: int) -> list[float]:
    """Store one message at a time in the live conversation until ``stop`` (ms each)."""
    table = m.Message.__table__
    out: list[float] = []
    while True:  # at least one write, however quick the purge
        start = time.perf_counter()
        with store.write() as conn:
            conn.execute(
                insert(table).values(
                    conversation_id="live", sender_type="customer", text="hi", created_at=NOW
                )
            )
        out.append((time.perf_counter() - start) * 1000)
        if stop.is_set() or len(out) >= limit:
            return out
        time.sleep(0.002)


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "samples": len(values),
        "p50_ms": round(percentile(values, 50), 3),
        "p99_ms": round(percentile(values, 99), 3),
        "max_ms": round(max(values), 3),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Fill, measure the baseline writes, then purge under concurrent writes."""
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        tracker_url = f"sqlite:///{Path(tmp) / 'tracker.db'}"
        upgrade(url)
        _fill(url, tracker_url, args.conversations, args.messages)
        store = HubStore.from_url(url)
        trackers = SqlTrackerEvents(tracker_url)
        policy = RetentionPolicy(transcripts=timedelta(days=365), batch_size=args.batch)
        purge = RetentionPurge(store, trackers, policy, lambda: NOW)
        baseline = _write_latencies(store, threading.Event(), 500)
        stop = threading.Event()
        result: dict[str, Any] = {}

        def purge_all() -> None:
            start = time.perf_counter()
            result["report"] = purge.run()
            result["seconds"] = time.perf_counter() - start
            stop.set()

        worker = threading.Thread(target=purge_all)
        worker.start()
        during = _write_latencies(store, stop, 1_000_000)
        worker.join()
        trackers.dispose()
        store.dispose()
    counts = result["report"].counts
    rows = counts.get("conversations", 0) + counts.get("messages", 0)
    return {
        "command": "python -m bench.retention",
        "machine": machine_info(),
        "backend": url.split(":", 1)[0],
        "conversations": args.conversations,
        "messages_per_conversation": args.messages,
        "batch_size": args.batch,
        "purge": {
            "seconds": round(result["seconds"], 3),
            "batches": result["report"].batches,
            "deleted": counts,
            "hub_rows_per_second": round(rows / result["seconds"]),
        },
        "writes_without_purge": _summary(baseline),
        "writes_during_purge": _summary(during),
    }


def main() -> None:
    """Entry point: run and print the results, save them as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.retention")
    parser.add_argument("--conversations", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--database-url")
    parser.add_argument("--out", default="bench/results")
    args = parser.parse_args()
    results = run(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "retention-latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps({k: v for k, v in results.items() if k != "machine"}, indent=2))


if __name__ == "__main__":
    main()
