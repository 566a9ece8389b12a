"""Surge: many customers write at once; does a busy bot stay a bot (hub environment)?

``python -m bench.surge`` starts our Rasa (``bot.server``, a trained model) and the hub on
free loopback ports, brings one agent online, opens ``--customers`` customer sockets (in
batches of ``--connect-batch``), and then lets every customer write its ``--messages`` routine
questions at the same moment: each sends one, waits for what comes back, then sends the next.

What comes back for a message is classified once (see :mod:`bench.surge_client`): the bot's
reply (its latency is the time from sending to its first message), the hub's failure notice
(an error), a handoff (by the reason the hub reports), or nothing within ``--outcome-timeout``
(lost). A server message id pushed twice to one customer counts as duplicated. The run
writes ``bench/results/surge-latest.json`` (with ``--label``, also ``surge-<label>.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.latency import start_hub, start_project
from bench.machine import machine_info
from bench.procs import REPO, ServiceFailed, Services
from bench.surge_client import SurgeCustomer, tally

logger = logging.getLogger("bench.surge")
# Routine questions a customer asks in a row: a greeting, one answered from a response, one
# that runs the order form (the same two the speed bench times).
MESSAGES = ("hello", "how do I change my payment method?", "when is my next payment due?")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.surge", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--customers", type=int, default=500, help="customers writing at once")
    parser.add_argument("--messages", type=int, default=3, help="messages per customer (max 3)")
    parser.add_argument("--connect-batch", type=int, default=100, help="sockets opened at once")
    parser.add_argument(
        "--outcome-timeout",
        type=float,
        default=180.0,
        help="seconds a message may wait for any outcome before it counts as lost",
    )
    parser.add_argument("--project-model", help="serve this model instead of training one")
    parser.add_argument("--label", help="also save the result as surge-<label>.json")
    parser.add_argument("--commit", help="the code measured, when not a git checkout")
    parser.add_argument("--hub-env", action="append", default=[], help="KEY=VALUE for the hub")
    parser.add_argument("--out", default=str(REPO / "bench" / "results"))
    args = parser.parse_args(argv)
    if not 1 <= args.messages <= len(MESSAGES):
        parser.error(f"--messages must be within 1..{len(MESSAGES)}")
    # start_project / start_hub read these (no separate action server; one agent is enough).
    args.action_server = False
    args.conversations = 1
    return args


async def _gather_bounded(coros: list[Any], batch: int) -> None:
    for start in range(0, len(coros), batch):
        await asyncio.gather(*coros[start : start + batch])


async def surge(
    base: str, accounts: list[tuple[str, str]], args: argparse.Namespace
) -> dict[str, Any]:
    """Connect the customers, let them all write at once, and tally what came back."""
    from bench.load import Agent, login

    username, password = accounts[0]
    agent = Agent(base, await login(base, username, password))
    await agent.connect()
    customers = [SurgeCustomer(base, index) for index in range(args.customers)]
    try:
        await _gather_bounded([c.open() for c in customers], args.connect_batch)
        texts = MESSAGES[: args.messages]
        started = asyncio.get_running_loop().time()
        await asyncio.gather(*(c.converse(texts, args.outcome_timeout) for c in customers))
        elapsed = asyncio.get_running_loop().time() - started
    finally:
        await asyncio.gather(*(c.close() for c in customers), return_exceptions=True)
        await agent.disconnect()
    result = tally(customers)
    result["elapsed_seconds"] = round(elapsed, 1)
    return result


def recorded_handoffs(database: Path) -> dict[str, int]:
    """Handoffs the hub stored, by ``reason/outcome``: also those whose customer's socket
    dropped before the status arrived (on a starved machine the bench's own view misses them).
    """
    with contextlib.closing(sqlite3.connect(database)) as db:
        rows = db.execute(
            "SELECT reason, outcome, COUNT(*) FROM hub_handoffs GROUP BY reason, outcome"
        ).fetchall()
    return {f"{reason}/{outcome}": int(count) for reason, outcome, count in rows}


def _hub_env(args: argparse.Namespace) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in args.hub_env:
        key, _, value = item.partition("=")
        env[key] = value
    return env


def run(args: argparse.Namespace, work: Path, report: dict[str, Any]) -> None:
    services = Services(work)
    try:
        project: dict[str, Any] = {}
        rasa_url = start_project(services, work, args, project)
        if rasa_url is None:
            report.update({k: v for k, v in project.items() if k != "env"})
            return
        extra = _hub_env(args)
        saved = {key: os.environ.get(key) for key in extra}
        os.environ.update(extra)
        try:
            hub = start_hub(services, work, args, project, rasa_url)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        if not hub.get("measured"):
            report.update(hub)
            return
        report["hub_env"] = extra
        report["result"] = asyncio.run(surge(hub["base"], hub["accounts"], args))
        report["result"]["recorded_handoffs"] = recorded_handoffs(work / "hub.db")
        report["measured"] = True
    except (ServiceFailed, OSError, subprocess.CalledProcessError) as exc:
        report.update({"measured": False, "reason": str(exc)})
    finally:
        services.stop_all()


def _commit() -> str | None:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    return done.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("socketio").setLevel(logging.WARNING)
    logging.getLogger("engineio").setLevel(logging.WARNING)
    args = parse_args(argv)
    report: dict[str, Any] = {
        "kind": "surge",
        "command": " ".join(["python", "-m", "bench.surge", *(argv or sys.argv[1:])]),
        "commit": args.commit or _commit(),
        "label": args.label,
        "machine": machine_info(),
        "customers": args.customers,
        "messages": list(MESSAGES[: args.messages]),
    }
    work = Path(tempfile.mkdtemp(prefix="bench-surge-"))
    run(args, work, report)
    report["machine_after"] = machine_info()["load_average"]
    report["logs"] = str(work)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    names = [f"surge-{stamp}.json", "surge-latest.json"]
    if args.label:
        names.append(f"surge-{args.label}.json")
    for name in names:
        (out / name).write_text(json.dumps(report, indent=2), encoding="utf-8")
    from bench.report import surge_table

    sys.stdout.write(surge_table([report]) + f"\nresults: {out / 'surge-latest.json'}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
