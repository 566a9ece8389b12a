"""The surge section of ``docs/benchmarks.md`` (results of ``python -m bench.surge``).

Rows: the run labelled ``baseline`` (the code before the fail-open timer measured Rasa's
health rather than the hub's queue), when its file is there, then the latest run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

NOT_MEASURED = "not measured"
SURGE_NOTE = """500 customers connect (100 sockets at a time), then all write at the same
moment: each sends a routine question, waits for its outcome, then sends the next. An outcome is
the bot's reply (latency: from sending to its first message), an error (the acknowledgement
refused the message, or the hub's "Sorry, I couldn't process that"), a handoff (by the reason the
hub gives the customer), or nothing within 180 s while connected (lost); a socket that dropped
(a ping timeout when the machine is starved) is an error, "disconnected", and that customer stops.
The hub's own record of handoffs is read from its database after the run. Duplicated counts
server message ids pushed twice to one customer. "One moment" counts customers who were told
the bot is busy. Rasa is our `bot.server` with in-process actions, the hub runs with its
defaults, one agent is online. A customer handed to a person stops writing (its next words would
go to the person), so a run with handoffs sends fewer messages. The baseline row ran the code
before the fail-open timer measured Rasa rather than the hub's line (its commit in brackets, with
this bench). The load average before and after each run is in its row: on a shared machine the
reply latency is mostly the time all those messages take through one busy Rasa, not a figure for
a quiet one."""


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in sorted(value.items())) or "0"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _row(report: dict[str, Any]) -> list[str]:
    label = report.get("label") or "latest"
    name = f"{label} ({report.get('commit') or '?'})"
    if not report.get("measured"):
        return [name, f"{NOT_MEASURED}: {report.get('reason')}"] + ["-"] * 10
    result = report.get("result") or {}
    latency = result.get("reply_latency") or {}
    load = (report.get("machine") or {}).get("load_average")
    return [
        name,
        _cell(result.get("messages_sent")),
        _cell(result.get("replies")),
        _cell(result.get("errors")),
        _cell(result.get("lost")),
        _cell(result.get("duplicated")),
        _cell(result.get("handoffs_by_reason") or {}),
        _cell(result.get("recorded_handoffs") or {}),
        _cell(result.get("customers_with_busy_notice")),
        " / ".join(_cell(latency.get(k)) for k in ("p50_ms", "p95_ms", "p99_ms")),
        _cell(result.get("elapsed_seconds")),
        f"{load} -> {report.get('machine_after')}",
    ]


def surge_table(reports: Sequence[dict[str, Any]]) -> str:
    """One row per surge run."""
    header = [
        "run (commit)",
        "messages",
        "replies",
        "errors",
        "lost",
        "duplicated",
        "handoffs seen by customers",
        "handoffs the hub stored (reason/outcome)",
        "one moment",
        "reply p50 / p95 / p99 ms",
        "seconds",
        "load before -> after",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_row(report)) + " |" for report in reports]
    return "\n".join(lines)


def surge_section(baseline: dict[str, Any] | None, latest: dict[str, Any] | None) -> list[str]:
    """Lines of the page's surge section."""
    out = ["## Surge: 500 customers at once", ""]
    reports = [r for r in (baseline, latest) if r is not None]
    if latest is None:
        return [*out, f"{NOT_MEASURED} (run `bash scripts/bench.sh surge`)."]
    out += [f"Command: `{latest.get('command')}`", ""]
    if baseline is not None:
        out += [f"Baseline command: `{baseline.get('command')}`", ""]
    out += [surge_table(reports), "", SURGE_NOTE]
    errors = {
        r.get("label") or "latest": (r.get("result") or {}).get("errors_by_kind")
        for r in reports
        if (r.get("result") or {}).get("errors")
    }
    if errors:
        out += ["", "Errors by kind: " + "; ".join(f"{k}: {_cell(v)}" for k, v in errors.items())]
    return out
