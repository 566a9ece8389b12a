"""What Rasa's tracker store costs per turn (bot environment): in memory vs SQLite vs PostgreSQL.

A turn is what Rasa's message processor does around every message: ``retrieve`` the
conversation's tracker, add the turn's events (the user message, the predicted action, the
bot's reply, a slot, ``action_listen``) and ``save`` it. Each conversation runs ``turns`` turns,
with the project's domain, so later turns read longer histories. The stores are Rasa's own
classes (``InMemoryTrackerStore``, ``SQLTrackerStore``), built from the same endpoint
configuration ``python -m bot.server`` writes (``bot/stores.py``).

    python -m bench.cluster_tracker --conversations 40 --turns 10 --out bench/results

PostgreSQL runs from the Debian package in a throwaway folder (``deploy/cluster.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig

from bench.machine import machine_info
from bench.stats import percentile
from bot import stores
from deploy.cluster import Cluster

REPO = Path(__file__).resolve().parent.parent


async def _turns(store: TrackerStore, conversations: int, turns: int) -> list[float]:
    durations: list[float] = []
    for c in range(conversations):
        sender = f"bench-{c}-{time.monotonic_ns()}"
        for t in range(turns):
            started = time.perf_counter()
            tracker = await store.get_or_create_tracker(sender)
            tracker.update(UserUttered(f"message {t}", {"name": "inform", "confidence": 0.9}))
            tracker.update(SlotSet("order_number", f"ORD-10{t:04d}"))
            tracker.update(ActionExecuted("utter_anything_else"))
            tracker.update(BotUttered(f"reply {t}"))
            tracker.update(ActionExecuted("action_listen"))
            await store.save(tracker)
            durations.append(time.perf_counter() - started)
    return durations


def _summary(durations: Sequence[float]) -> dict[str, float]:
    ms = [d * 1000.0 for d in durations]
    return {
        "turns": len(ms),
        "mean_ms": sum(ms) / len(ms),
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
    }


def measure(conversations: int, turns: int, postgres: bool) -> dict[str, Any]:
    """Per-turn store time for each store kind."""
    domain = Domain.load(str(REPO / "domain.yml"))
    results: dict[str, Any] = {}
    workdir = Path(tempfile.mkdtemp(prefix="payassist-tracker-bench-"))
    workdir.chmod(0o755)
    cluster = Cluster(workdir=workdir)
    try:
        kinds: dict[str, TrackerStore] = {"in_memory": InMemoryTrackerStore(domain)}
        sqlite = f"sqlite:///{workdir / 'tracker.db'}"
        urls = {"sqlite": sqlite}
        if postgres:
            cluster.start_postgres()
            cluster.create_databases()
            urls["postgresql"] = cluster.db_url("rasa_tracker")
        for name, url in urls.items():
            section = stores.with_stores({}, {"TRACKER_STORE_URL": url})["tracker_store"]
            stores.tune_sqlite_tracker(section["url"])  # as python -m bot.server run does
            config = EndpointConfig(url=section["url"], type=section["type"])
            kinds[name] = TrackerStore.create(config, domain)
        for name, store in kinds.items():
            asyncio.run(_turns(store, 2, turns))  # warm-up: connections, table creation
            results[name] = _summary(asyncio.run(_turns(store, conversations, turns)))
    finally:
        cluster.stop_postgres()
        shutil.rmtree(workdir, ignore_errors=True)
    base = results["in_memory"]["p50_ms"]
    for row in results.values():
        row["extra_p50_ms_vs_memory"] = row["p50_ms"] - base
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster_tracker")
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--out", default=str(REPO / "bench" / "results"))
    args = parser.parse_args(argv)
    report = {
        "command": "bash scripts/bench.sh cluster (tracker part: python -m bench.cluster_tracker)",
        "machine": machine_info(),
        "conversations": args.conversations,
        "turns_per_conversation": args.turns,
        "stores": measure(args.conversations, args.turns, not args.no_postgres),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "tracker-latest.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report["stores"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
