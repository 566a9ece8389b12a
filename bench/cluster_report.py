"""The scale-out section of ``docs/benchmarks.md``: tracker store cost, 1 vs 2, capacity model.

Rendered from ``bench/results/tracker-latest.json`` (``bench.cluster_tracker``) and
``bench/results/cluster-latest.json`` (``bench.cluster_scale``) by ``bench.report``. The
capacity model is arithmetic on those measured numbers plus the stated assumptions below;
every figure it prints says which it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

# Assumptions of the capacity model (stated in the page).
CONVERSATIONS = 1000
SECONDS_BETWEEN_MESSAGES = 20.0  # one customer message every 20 s in an active chat
TARGET_UTILISATION = 0.6  # headroom for bursts, restarts and a lost process
GROUPS = {
    "hub": ("hub",),
    "rasa": ("rasa",),
    "postgresql": ("postgresql",),
    "redis": ("redis",),
    "haproxy": ("haproxy",),
}


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _num(value: Any, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def shared_note(machine: dict[str, Any]) -> str:
    """A warning when the machine was busier than its cores (shared with other work)."""
    load = machine.get("load_average") or [0.0]
    cores = machine.get("cores") or 0
    if cores and load and float(load[0]) > cores:
        return (
            f" **The machine was shared with other work at the time** (load average {load[0]}"
            f" on {cores} cores): times are inflated, read them as upper bounds."
        )
    return ""


def tracker_section(tracker: dict[str, Any]) -> list[str]:
    stores = tracker.get("stores") or {}
    rows = [
        [
            name,
            _num(row.get("p50_ms"), 2),
            _num(row.get("p99_ms"), 2),
            _num(row.get("mean_ms"), 2),
            _num(row.get("extra_p50_ms_vs_memory"), 2),
        ]
        for name, row in stores.items()
    ]
    return [
        "### Rasa's tracker store: cost per turn",
        "",
        f"Command: `{tracker.get('command')}`",
        "",
        f"{tracker.get('conversations')} conversations of {tracker.get('turns_per_conversation')}"
        " turns each with the project's domain; one turn is Rasa's own `retrieve`, the turn's"
        " events, `save` (what the message processor does around every message). Load average"
        f" when measured: {(tracker.get('machine') or {}).get('load_average')}."
        + shared_note(tracker.get("machine") or {}),
        "",
        _table(["store", "p50 ms/turn", "p99 ms/turn", "mean ms/turn", "p50 over in-memory"], rows),
        "",
    ]


def _group_cpu(cpu: dict[str, float]) -> dict[str, float]:
    grouped = dict.fromkeys(GROUPS, 0.0)
    for name, ms in cpu.items():
        for group, prefixes in GROUPS.items():
            if name.startswith(prefixes):
                grouped[group] += ms
    return grouped


def scale_section(cluster: dict[str, Any]) -> list[str]:
    rows = []
    for config, levels in (cluster.get("configs") or {}).items():
        for level, row in levels.items():
            cpu = _group_cpu(row.get("cpu_ms_per_message") or {})
            rows.append(
                [
                    config,
                    level,
                    _num(row.get("per_second")),
                    _num(row.get("p50_ms"), 0),
                    _num(row.get("p99_ms"), 0),
                    str(row.get("errors")),
                    _num(cpu["hub"]),
                    _num(cpu["rasa"]),
                    _num(cpu["postgresql"]),
                    _num(cpu["redis"], 2),
                    _num(cpu["haproxy"], 2),
                ]
            )
    machine = cluster.get("machine") or {}
    idle = cluster.get("idle") or {}
    return [
        "### One vs two hub processes and Rasa servers, behind HAProxy",
        "",
        f"Command: `{cluster.get('command')}`",
        "",
        f"Machine: {machine.get('cores')} cores, load average {machine.get('load_average')}"
        f" before and {(cluster.get('machine_after') or {}).get('load_average')} after;"
        f" measured {machine.get('measured_at')}. {cluster.get('messages_per_level')} messages"
        " per row, each a fresh conversation answered by the real bot, customers on websockets"
        " through HAProxy. CPU is per message, summed over the processes of each kind"
        " (PostgreSQL: postmaster and every backend)." + shared_note(machine),
        "",
        _table(
            [
                "configuration",
                "senders",
                "msgs/s",
                "p50 ms",
                "p99 ms",
                "errors",
                "hub CPU ms/msg",
                "Rasa CPU ms/msg",
                "PostgreSQL CPU ms/msg",
                "Redis",
                "HAProxy",
            ],
            rows,
        ),
        "",
        "What two cores can and cannot show: every process of every configuration shares the"
        " same two cores (and the load generator runs on them too), so a second process cannot"
        " add throughput here once the cores are busy; it shows what a second process costs"
        " (memory, CPU per message, the hop through HAProxy and Redis) and that the work"
        " spreads, not how far it scales on separate machines. The CPU per message per process"
        " is the number that carries over, and the capacity model below is built on it.",
        "",
        f"Idle customer sockets through HAProxy over 2 hubs: {idle.get('opened')} opened,"
        f" {idle.get('alive_after_hold')} alive after {idle.get('held_seconds')} s; the hubs'"
        f" memory grew {idle.get('hub_rss_mib_before')} →"
        f" {idle.get('hub_rss_mib_with_connections')} MiB,"
        f" {_num(idle.get('rss_kib_per_connection'))} KiB per socket, about"
        f" **{_num(idle.get('sockets_per_gib'), 0)} idle sockets per GiB** of hub memory.",
        "",
    ]


def capacity_model(cluster: dict[str, Any]) -> list[str]:
    configs = cluster.get("configs") or {}
    row = (configs.get("2 hubs, 2 Rasa") or {}).get("20")
    if not row:
        return []
    cpu = _group_cpu(row.get("cpu_ms_per_message") or {})
    rate = CONVERSATIONS / SECONDS_BETWEEN_MESSAGES
    rss = cluster.get("rss_mib") or {}
    rasa_rss = max((v for k, v in rss.items() if k.startswith("rasa") and v), default=None)
    hub_rss = max((v for k, v in rss.items() if k.startswith("hub") and v), default=None)
    per_conn_kib = (cluster.get("idle") or {}).get("rss_kib_per_connection") or 0.0
    lines = [
        "### Capacity model (an estimate, from the measured CPU per message)",
        "",
        f"Assumptions (not measured): {CONVERSATIONS:,} concurrent conversations, each sending"
        f" one message every {SECONDS_BETWEEN_MESSAGES:.0f} s, so **{rate:.0f} messages/s**,"
        f" each answered by one bot turn; processes planned at {TARGET_UTILISATION:.0%} CPU."
        " Measured input: CPU ms per message from the 2 hubs / 2 Rasa row at 20 senders.",
        "",
    ]
    need: dict[str, float] = {}
    for group in ("rasa", "hub", "postgresql", "redis", "haproxy"):
        ms = cpu[group]
        cores = rate * ms / 1000.0 / TARGET_UTILISATION
        need[group] = cores
        lines.append(
            f"- {group}: {rate:.0f} msg/s x {ms:.2f} ms = {rate * ms / 1000.0:.2f} core-seconds"
            f" per second; ÷ {TARGET_UTILISATION} = **{cores:.2f} cores**"
        )
    total = sum(need.values())
    rasa_servers = max(1, math.ceil(need["rasa"]))
    hub_processes = max(1, math.ceil(need["hub"]))
    lines.append(f"- total ≈ **{total:.1f} cores** per {CONVERSATIONS:,} conversations")
    if rasa_rss and hub_rss:
        memory = (
            rasa_servers * rasa_rss
            + hub_processes * hub_rss
            + CONVERSATIONS * per_conn_kib / 1024.0
        )
        lines.append(
            f"- memory: {rasa_servers} Rasa server(s) (one busy core each) x {rasa_rss:.0f} MiB"
            f" + {hub_processes} hub process(es) x {hub_rss:.0f} MiB + {CONVERSATIONS:,}"
            f" sockets x {per_conn_kib:.1f} KiB ≈ **{memory / 1024:.1f} GiB**, plus"
            " PostgreSQL's own (shared buffers) and Redis's (small: fan-out and locks only)"
        )
    first = max(need, key=lambda k: need[k])
    lines += [
        "",
        f"What runs out first: **{first}** needs the most cores per message"
        f" ({cpu[first]:.1f} ms). Rasa scales by adding servers (the tracker store is shared and"
        " the hub serialises each conversation), the hubs likewise behind HAProxy; PostgreSQL is"
        " the one shared writer: every message is ~2 hub rows plus ~5 tracker-event rows, so"
        f" {rate:.0f} msg/s is ~{rate * 7:.0f} row inserts/s, small for one PostgreSQL server,"
        " but it is the component that cannot be multiplied by starting another copy. Redis"
        " carries one publish per emit and one lock per turn: its CPU per message above is the"
        " smallest of all.",
        "",
    ]
    return lines


def render_section(tracker: dict[str, Any] | None, cluster: dict[str, Any] | None) -> list[str]:
    """The ``## Scale-out`` section (an honest "not measured" when there are no results)."""
    out = ["## Scale-out: several processes on PostgreSQL and Redis", ""]
    if tracker is None and cluster is None:
        return [*out, "Not measured yet (run `bash scripts/bench.sh cluster`).", ""]
    if tracker:
        out += tracker_section(tracker)
    if cluster:
        out += scale_section(cluster) + capacity_model(cluster)
    return out
