"""One vs two hub processes and one vs two Rasa servers, behind HAProxy (hub environment).

One cluster (``deploy/cluster.py``: PostgreSQL, Redis, 2 Rasa servers, 2 hubs, HAProxy) is
started once; between configurations the hubs are restarted with one or both Rasa URLs and the
second hub is stopped or started, so every configuration runs on the same databases, models
and load balancer, in one run. Customers connect through HAProxy (websocket) and each message
is a fresh conversation answered by the real bot, as in ``bench.latency``'s hub part.

For every configuration and sender count: messages per second, p50/p99 from ``user_uttered``
to the bot's ``bot_uttered``, and CPU milliseconds per message of every process (each hub,
each Rasa server, PostgreSQL with all its backends, Redis, HAProxy), from ``/proc``. Then idle
customer sockets through the load balancer over both hubs, with the hubs' resident memory.

    python -m bench.cluster_scale --messages 200 --out bench/results
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.hub_scenarios import idle_connections, process_cpu_seconds
from bench.latency import MESSAGES
from bench.load import hub_customers
from bench.machine import machine_info
from bench.procs import rss_mib
from deploy.cluster import REPO, Cluster

CONFIGS: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 2), (2, 1))  # (hubs, rasa servers)


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as handle:
                    stat = handle.read()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry))
    return found


def cpu_by_process(cluster: Cluster) -> dict[str, float]:
    """CPU seconds so far of every cluster process (PostgreSQL: postmaster and backends)."""
    cpu: dict[str, float] = {}
    for name in cluster.procs:
        if cluster.alive(name):
            cpu[name] = process_cpu_seconds(cluster.pid(name)) or 0.0
    postmaster = cluster.pid("pg")
    cpu["postgresql"] = sum(
        process_cpu_seconds(p) or 0.0 for p in [postmaster, *_children(postmaster)]
    )
    return cpu


def configure(cluster: Cluster, hubs: int, rasas: int) -> None:
    """Restart the hubs with Rasa servers 1..``rasas``; run hubs 1..``hubs`` only."""
    for i in (1, 2):
        if cluster.alive(f"hub{i}"):
            cluster.signal(f"hub{i}", 15)
    for i in range(1, hubs + 1):
        cluster.start_hub(i, rasa=list(range(1, rasas + 1)))
    wanted = {f"hub{i}" for i in range(1, hubs + 1)}
    deadline = time.monotonic() + 120
    while cluster.lb_servers_up() != wanted:  # HAProxy sees the change (checks every second)
        if time.monotonic() > deadline:
            raise RuntimeError(f"HAProxy has {cluster.lb_servers_up()} up, not {wanted}")
        time.sleep(1)


async def measure_config(cluster: Cluster, senders: Sequence[int], messages: int) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    await hub_customers(cluster.lb_url, MESSAGES, 4, 20)  # warm-up, not measured
    for level in senders:
        before = cpu_by_process(cluster)
        summary = await hub_customers(cluster.lb_url, MESSAGES, level, messages)
        after = cpu_by_process(cluster)
        done = max(summary.count, 1)
        rows[str(level)] = {
            **summary.to_dict(),
            "cpu_ms_per_message": {
                name: round((after[name] - before.get(name, 0.0)) * 1000 / done, 2)
                for name in after
            },
        }
    return rows


def idle_sockets(cluster: Cluster, count: int) -> dict[str, Any]:
    def hubs_rss() -> float | None:
        values = [rss_mib(cluster.pid(f"hub{i}")) for i in (1, 2) if cluster.alive(f"hub{i}")]
        return round(sum(v for v in values if v is not None), 1) if values else None

    result = asyncio.run(idle_connections(cluster.lb_url, count, 200, 30.0, hubs_rss))
    per_conn_kib = result.get("rss_kib_per_connection")
    result["sockets_per_gib"] = int(1024 * 1024 / per_conn_kib) if per_conn_kib else None
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster_scale")
    parser.add_argument("--messages", type=int, default=200, help="messages per level")
    parser.add_argument("--senders", default="20,50")
    parser.add_argument("--connections", type=int, default=2000, help="idle sockets")
    parser.add_argument("--out", default=str(REPO / "bench" / "results"))
    args = parser.parse_args(argv)
    senders = [int(s) for s in args.senders.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="payassist-cluster-bench-"))
    workdir.chmod(0o755)
    cluster = Cluster(workdir=workdir, hub_env={"HUB_RASA_TIMEOUT": "30"})
    report: dict[str, Any] = {
        "command": "bash scripts/bench.sh cluster"
        f" --messages {args.messages} --senders {args.senders} --connections {args.connections}",
        "messages_per_level": args.messages,
        "configs": {},
    }
    try:
        cluster.start()
        report["machine"] = machine_info()
        for hubs, rasas in CONFIGS:
            configure(cluster, hubs, rasas)
            key = f"{hubs} hub{'s' if hubs > 1 else ''}, {rasas} Rasa"
            print(f"==> {key}", flush=True)
            report["configs"][key] = asyncio.run(measure_config(cluster, senders, args.messages))
        configure(cluster, 2, 2)
        report["idle"] = idle_sockets(cluster, args.connections)
        report["rss_mib"] = {
            name: rss_mib(cluster.pid(name)) for name in cluster.procs if cluster.alive(name)
        }
        report["machine_after"] = machine_info()
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "cluster-latest.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report["configs"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
