"""Speed and scale, side by side in one run: stock Rasa 3.6, our Rasa server, our hub.

Usage (hub environment, from the repository root; ``scripts/bench.sh`` wraps it)::

    .venv-hub/bin/python -m bench.latency [--parts stock,project,hub,handoff,relay,scale]
        [--levels 1,20,50] [--connections 5000] [--conversations 100] [--project-model PATH]

What it does, all on free ports of 127.0.0.1, one load at a time so they never compete:

1. ``stock``: copies the ``rasa init`` project out of the installed Rasa into a temporary
   folder, trains it (timed), serves it with ``rasa run`` and drives its REST channel.
2. ``project``: trains the full bot from this repository (timed; or ``--project-model``), seeds
   a temporary demo database, starts the Rasa server (custom actions in-process, as configured
   in endpoints.yml; ``--action-server`` for a separate action server), drives REST.
3. ``hub``: starts the hub in front of that Rasa server and sends the same messages through
   the customer socket (``user_uttered`` -> ``bot_uttered``).

   One sender (the p50 the targets compare) is measured first, with all three servers up,
   in ``--rounds`` interleaved rounds: a block of messages to each target in turn, the order
   rotated every round, so slow minutes of the host fall on all of them alike. The other
   concurrency levels then run target by target, and stock Rasa is stopped before the hub's
   remaining parts.
4. ``handoff`` / ``relay``: customers ask for a person, agents claim, then agents and
   customers exchange messages in ``--conversations`` conversations at once: first paced
   (each conversation one message per ``--relay-interval`` seconds with seeded jitter, open
   loop: the latency a customer sees), then closed loop with no pause (the most messages/s
   one hub process relays; its latency is queueing and is not reported as latency).
5. ``scale``: ``--connections`` idle customer sockets, with the hub's resident memory.

A part whose prerequisites are missing (no hub package yet, no spaCy pipeline, training
failed) is reported as "not measured" with the reason; the run goes on with the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.machine import machine_info
from bench.procs import (
    BOT_PY,
    HUB_PY,
    RASA_BIN,
    REPO,
    ServiceFailed,
    Services,
    free_port,
    rss_mib,
    run_timed,
)

logger = logging.getLogger("bench.latency")
PARTS = ("stock", "project", "hub", "handoff", "relay", "scale")
# Routine payment questions: one answered from a response, one that runs the order form.
MESSAGES = ("how do I change my payment method?", "when is my next payment due?")
AGENT_CAPACITY = 50
READY_LIMIT_S = 600.0


def not_measured(reason: str) -> dict[str, Any]:
    """The result of a part that could not run, with why."""
    logger.warning("not measured: %s", reason)
    return {"measured": False, "reason": reason}


def total_for(level: int, per_sender: int, minimum: int) -> int:
    """Messages for a concurrency level: enough per sender for stable percentiles."""
    return max(minimum, level * per_sender)


def rasa_site_packages() -> Path:
    """The bot environment's Rasa package folder (asked from that interpreter)."""
    out = subprocess.run(
        [str(BOT_PY), "-c", "import rasa, os; print(os.path.dirname(rasa.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip().splitlines()[-1])


async def drive_rest(
    url: str,
    levels: Sequence[int],
    args: argparse.Namespace,
    measured: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every level in turn; levels already in ``measured`` (interleaved) are kept, not re-run."""
    from bench.load import rasa_rest

    results = dict(measured or {})
    levels = [level for level in levels if str(level) not in results]
    if not levels:
        return results
    if args.warmup:
        await rasa_rest(url, MESSAGES, 1, args.warmup)  # not timed: first-message costs
    for level in levels:
        total = total_for(level, args.per_sender, args.min_messages)
        summary = await rasa_rest(url, MESSAGES, level, total)
        results[str(level)] = summary.to_dict()
        logger.info("REST %s concurrent: %s", level, summary)
    return results


def start_stock(
    services: Services, work: Path, args: argparse.Namespace
) -> tuple[dict[str, Any], str | None]:
    """Stock Rasa: the ``rasa init`` project, trained and served like a fresh install.

    Returns the part's result so far (training and start-up time) and the server's URL, or
    a "not measured" result and None. The caller drives it and stops ``stock-rasa``.
    """
    project = work / "stock"
    shutil.copytree(rasa_site_packages() / "cli" / "initial_project", project)
    code, train_s = run_timed(
        [str(RASA_BIN), "train", "--out", "models"], work / "stock-train.log", cwd=project
    )
    if code != 0:
        return (
            not_measured(f"stock training failed (exit {code}); see {work / 'stock-train.log'}"),
            None,
        )
    port = free_port()
    services.start(
        "stock-rasa",
        [
            str(RASA_BIN),
            "run",
            "--model",
            "models",
            "--enable-api",
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=project,
    )
    ready_s = services.wait_ready("stock-rasa", f"http://127.0.0.1:{port}/", READY_LIMIT_S)
    result = {
        "measured": True,
        "train_seconds": round(train_s, 1),
        "startup_seconds": round(ready_s, 1),
    }
    return result, f"http://127.0.0.1:{port}"


def interleaved_rounds(args: argparse.Namespace) -> int:
    """Rounds of the one-sender phase: ``--rounds``, at most one message per target each."""
    return max(1, min(args.rounds, total_for(1, args.per_sender, args.min_messages)))


async def single_sender_rounds(
    targets: dict[str, tuple[str, str]], args: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    """One sender, every target in turn: ``args.rounds`` rounds of equal blocks per target.

    ``targets`` maps a name to ``("rest", Rasa URL)`` or ``("hub", hub URL)``. Taking the
    targets' blocks in alternation, with the order rotated every round, exposes them all to
    the same drift of the host (other tenants, CPU frequency), so the ratio of their medians
    does not depend on which one happened to run during a slow minute. Each target gets its
    untimed warm-up first. Returns each target's summary over all its rounds.
    """
    from bench.load import Samples, hub_customers, rasa_rest

    total = total_for(1, args.per_sender, args.min_messages)
    rounds = interleaved_rounds(args)
    per_round = -(-total // rounds)
    names = list(targets)
    samples = {name: Samples() for name in names}

    async def block(name: str, count: int, into: Samples | None) -> None:
        kind, url = targets[name]
        if kind == "hub":
            await hub_customers(url, MESSAGES, 1, count, into)
        else:
            await rasa_rest(url, MESSAGES, 1, count, into)

    for name in names:
        if args.warmup:
            await block(name, args.warmup, None)
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            await block(name, per_round, samples[name])
    out = {}
    for name in names:
        summary = samples[name].summary()
        logger.info("%s, 1 sender, %d interleaved rounds: %s", name, rounds, summary)
        out[name] = summary.to_dict()
    return out


def bot_env(database_url: str, secret: str, tracker_store_url: str) -> dict[str, str]:
    """The bot's environment: its own store, token secret and tracker store for this run.

    The tracker store is a fresh file in the run's work folder: by default ``bot.server`` keeps
    conversations in the repository's ``var/tracker.db``, which grows with every run, test and
    ``make run`` on the machine, so a run would measure whatever was left there.
    """
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        CUSTOMER_TOKEN_SECRET=secret,
        PYTHONPATH=str(REPO),
        TRACKER_STORE_URL=tracker_store_url,
    )
    return env


def start_project(
    services: Services, work: Path, args: argparse.Namespace, result: dict[str, Any]
) -> str | None:
    """Train (unless given a model) and start Rasa (and an action server if asked); its URL."""
    if not (REPO / "build" / "spacy" / "en_payments").is_dir():
        result.update(not_measured("no spaCy pipeline in build/spacy (run `make setup`)"))
        return None
    secret = secrets.token_urlsafe(24)
    env = bot_env(f"sqlite:///{work / 'bench.db'}", secret, f"sqlite:///{work / 'tracker.db'}")
    result["env"] = {"secret": secret, "database_url": env["DATABASE_URL"]}
    code, _ = run_timed([str(BOT_PY), "-m", "store.seed"], work / "seed.log", env=env)
    if code != 0:
        result.update(not_measured(f"seeding failed; see {work / 'seed.log'}"))
        return None
    model = args.project_model
    if model is None:
        code, train_s = run_timed(
            [
                str(RASA_BIN),
                "train",
                "--config",
                "config.yml",
                "--domain",
                "domain.yml",
                "--data",
                "data",
                "--out",
                str(work / "models"),
            ],
            work / "project-train.log",
            # An empty training cache, like the stock project's fresh folder: the repository's
            # own .rasa/cache would let Rasa skip components and report time never spent.
            env={**env, "RASA_CACHE_DIRECTORY": str(work / "rasa-cache-project")},
        )
        if code != 0:
            result.update(not_measured(f"training failed; see {work / 'project-train.log'}"))
            return None
        result["train_seconds"] = round(train_s, 1)
        model = str(work / "models")
    rasa_port = free_port()
    # The repository's endpoints.yml runs the actions inside Rasa (bot/inprocess_actions.py),
    # as `make run` does; --action-server measures a separate action server instead.
    endpoints = REPO / "endpoints.yml"
    actions_port = None
    if args.action_server:
        actions_port = free_port()
        endpoints = work / "endpoints.yml"
        endpoints.write_text(
            f"action_endpoint:\n  url: http://127.0.0.1:{actions_port}/webhook\n",
            encoding="utf-8",
        )
        services.start(
            "actions",
            [str(RASA_BIN), "run", "actions", "--actions", "actions", "--port", str(actions_port)],
            env=env,
        )
    result["actions"] = "action server (HTTP)" if args.action_server else "in-process"
    token = secrets.token_urlsafe(16)
    result["env"]["rasa_token"] = token
    services.start(
        "project-rasa",
        [
            str(BOT_PY),
            "-m",
            "bot.server",
            "run",
            "--model",
            model,
            "--endpoints",
            str(endpoints),
            "--credentials",
            "credentials.yml",
            "--enable-api",
            "--auth-token",
            token,
            "--interface",
            "127.0.0.1",
            "--port",
            str(rasa_port),
        ],
        env=env,
    )
    if actions_port is not None:
        services.wait_ready("actions", f"http://127.0.0.1:{actions_port}/health", READY_LIMIT_S)
    ready_s = services.wait_ready("project-rasa", f"http://127.0.0.1:{rasa_port}/", READY_LIMIT_S)
    result["startup_seconds"] = round(ready_s, 1)
    return f"http://127.0.0.1:{rasa_port}"


def create_agents(work: Path, env: dict[str, str], count: int) -> list[tuple[str, str]]:
    """Agents serving every queue, created with the hub's own admin command."""
    accounts = []
    for index in range(count):
        username, password = f"bench{index}", secrets.token_urlsafe(18)
        subprocess.run(
            [
                str(HUB_PY),
                "-m",
                "hub.agents",
                "create",
                "--username",
                username,
                "--display-name",
                f"Bench {index}",
                "--queues",
                "payments,disputes,collections",
                "--capacity",
                str(AGENT_CAPACITY),
                "--password-stdin",
            ],
            input=password,
            text=True,
            env=env,
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        accounts.append((username, password))
    return accounts


async def hub_parts(
    base: str,
    pid: int,
    accounts: list[tuple[str, str]],
    args: argparse.Namespace,
    rasa_up: bool,
    measured_levels: dict[str, Any] | None = None,
) -> dict[str, Any]:
    from bench.hub_scenarios import (
        LoopLag,
        Pacing,
        handoffs_and_claims,
        idle_connections,
        process_cpu_seconds,
        relay_paced,
        relay_saturation,
    )
    from bench.load import Agent, hub_customers, login

    out: dict[str, Any] = {}
    if "hub" in args.parts:
        if rasa_up:
            levels = dict(measured_levels or {})
            if args.warmup:
                await hub_customers(base, MESSAGES, 1, args.warmup)  # not timed, as for REST
            for level in [level for level in args.levels if str(level) not in levels]:
                total = total_for(level, args.per_sender, args.min_messages)
                summary = await hub_customers(base, MESSAGES, level, total)
                levels[str(level)] = summary.to_dict()
                logger.info("hub socket %s concurrent: %s", level, summary)
            out["hub_socket"] = {"measured": True, "levels": levels}
        else:
            out["hub_socket"] = not_measured("our Rasa server is not running")
    if "handoff" in args.parts or "relay" in args.parts:
        agents = [Agent(base, await login(base, u, p)) for u, p in accounts]
        conversations: list[Any] = []
        for agent in agents:
            await agent.connect()
        try:
            delay, conversations = await handoffs_and_claims(
                base, agents, AGENT_CAPACITY, args.conversations
            )
            out["handoff"] = {"measured": True, **delay.to_dict()}
            if "relay" in args.parts:
                pacing = Pacing(
                    interval_s=args.relay_interval,
                    jitter=args.relay_jitter,
                    messages=args.relay_messages,
                    seed=args.relay_seed,
                )
                cpu_before = process_cpu_seconds(pid)
                lag = LoopLag()
                paced = await relay_paced(conversations, pacing, lag)
                cpu_paced = process_cpu_seconds(pid)
                out["relay"] = {
                    "measured": True,
                    "mode": "paced, open loop",
                    "conversations": len(conversations),
                    "interval_seconds": pacing.interval_s,
                    "jitter": pacing.jitter,
                    "messages_per_conversation": pacing.messages,
                    "seed": pacing.seed,
                    "hub_cpu_ms_per_message": _cpu_ms_per_message(
                        cpu_before, cpu_paced, paced.count
                    ),
                    "load_generator_loop_lag": lag.summary(),
                    **paced.to_dict(),
                }
                logger.info("relay, paced: %s", paced)
                saturated = await relay_saturation(conversations, args.relay_rounds)
                cpu_saturated = process_cpu_seconds(pid)
                out["relay_throughput"] = {
                    "measured": True,
                    "mode": "closed loop, no think time (throughput; latency is queueing)",
                    "conversations": len(conversations),
                    "rounds": args.relay_rounds,
                    "hub_cpu_ms_per_message": _cpu_ms_per_message(
                        cpu_paced, cpu_saturated, saturated.count
                    ),
                    **saturated.to_dict(),
                }
                logger.info("relay, saturated: %s", saturated)
        finally:
            for conversation in conversations:
                await conversation.customer.disconnect()
            for agent in agents:
                await agent.disconnect()
    if "scale" in args.parts:
        out["scale"] = {
            "measured": True,
            **await idle_connections(
                base, args.connections, args.batch, args.hold, lambda: rss_mib(pid)
            ),
        }
    return out


def _cpu_ms_per_message(before: float | None, after: float | None, messages: int) -> float | None:
    """The hub's CPU time (user + system) per relayed message, None when unreadable."""
    if before is None or after is None or messages <= 0:
        return None
    return round((after - before) * 1000.0 / messages, 3)


def start_hub(
    services: Services,
    work: Path,
    args: argparse.Namespace,
    project: dict[str, Any],
    rasa_url: str | None,
) -> dict[str, Any]:
    """Start the hub in front of our Rasa server (when it runs) with agents for the queues.

    Returns ``base``, ``pid``, ``accounts`` and ``startup_seconds``, or a "not measured"
    result. The caller runs :func:`hub_parts` and stops ``hub``.
    """
    if not (REPO / "connectors" / "__main__.py").is_file() or not HUB_PY.exists():
        return not_measured("the hub (python -m connectors in .venv-hub) is not available")
    env_info = project.get("env") or {}
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(REPO),
        DATABASE_URL=f"sqlite:///{work / 'hub.db'}",
        CUSTOMER_TOKEN_SECRET=env_info.get("secret") or secrets.token_urlsafe(24),
        RASA_URL=rasa_url or f"http://127.0.0.1:{free_port()}",
        RASA_AUTH_TOKEN=env_info.get("rasa_token") or "unused",
        HUB_HOST="127.0.0.1",
        HUB_PORT=str(free_port()),
    )
    env.pop("PAYASSIST_DEMO", None)
    # The hub only checks the schema: migrate its fresh database first, as `make run` does.
    subprocess.run(
        [str(HUB_PY), "-m", "migrations", "upgrade"],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    needed = -(-args.conversations // AGENT_CAPACITY)
    accounts = create_agents(work, env, max(1, needed))
    process = services.start("hub", [str(HUB_PY), "-m", "connectors"], env=env)
    base = f"http://127.0.0.1:{env['HUB_PORT']}"
    ready_s = services.wait_ready("hub", f"{base}/health", READY_LIMIT_S)
    return {
        "measured": True,
        "base": base,
        "pid": process.pid,
        "accounts": accounts,
        "startup_seconds": round(ready_s, 1),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.latency", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma list of {PARTS}")
    parser.add_argument("--levels", default="1,20,50", help="concurrent senders, comma list")
    parser.add_argument("--per-sender", type=int, default=6, help="messages per sender per level")
    parser.add_argument(
        "--min-messages", type=int, default=100, help="at least this many per level"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=10,
        help="untimed messages sent to each target first (stock, ours, hub alike)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=10,
        help="one sender: interleaved rounds over stock, our Rasa and the hub (0: one block each)",
    )
    parser.add_argument(
        "--conversations", type=int, default=100, help="handoff/relay conversations"
    )
    parser.add_argument(
        "--relay-interval",
        type=float,
        default=1.0,
        help="paced relay: mean seconds between messages of one conversation "
        "(100 conversations at 1.0 = about 100 msgs/s)",
    )
    parser.add_argument(
        "--relay-jitter", type=float, default=0.5, help="paced relay: each gap varies by +- this"
    )
    parser.add_argument(
        "--relay-messages", type=int, default=20, help="paced relay: messages per conversation"
    )
    parser.add_argument("--relay-seed", type=int, default=6, help="paced relay: schedule seed")
    parser.add_argument(
        "--relay-rounds",
        type=int,
        default=10,
        help="relay throughput (closed loop): agent+customer rounds per conversation",
    )
    parser.add_argument("--connections", type=int, default=5000, help="idle hub connections")
    parser.add_argument("--batch", type=int, default=250, help="connections opened at once")
    parser.add_argument("--hold", type=float, default=30.0, help="seconds to hold them")
    parser.add_argument("--project-model", help="serve this model instead of training one")
    parser.add_argument(
        "--action-server",
        action="store_true",
        help="run the custom actions in a separate action server over HTTP (default: in-process)",
    )
    parser.add_argument("--out", default=str(REPO / "bench" / "results"))
    args = parser.parse_args(argv)
    args.parts = {part.strip() for part in args.parts.split(",") if part.strip()}
    unknown = args.parts - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {sorted(unknown)}")
    args.levels = [int(level) for level in args.levels.split(",") if level.strip()]
    return args


def run_parts(
    services: Services, work: Path, args: argparse.Namespace, report: dict[str, Any]
) -> None:
    """Start what the parts need, measure one sender interleaved, then the rest in turn.

    Stock Rasa, our Rasa and the hub all run during the single-sender rounds (the figure the
    p50 target compares); stock Rasa is stopped as soon as its other levels are measured, so
    its TensorFlow threads are gone before the hub's own parts run.
    """
    errors = (ServiceFailed, OSError, subprocess.CalledProcessError)
    stock_url = project_url = None
    if "stock" in args.parts:
        try:
            report["stock"], stock_url = start_stock(services, work, args)
        except errors as exc:
            report["stock"] = not_measured(str(exc))
    project: dict[str, Any] = {}
    rasa_url = None
    if {"project", "hub"} & args.parts:
        try:
            rasa_url = start_project(services, work, args, project)
        except (ServiceFailed, OSError) as exc:
            project.update(not_measured(str(exc)))
        if rasa_url and "project" in args.parts:
            project_url = rasa_url
    hub: dict[str, Any] | None = None
    if {"hub", "handoff", "relay", "scale"} & args.parts:
        try:
            hub = start_hub(services, work, args, project, rasa_url)
        except errors as exc:
            hub = not_measured(str(exc))
    targets: dict[str, tuple[str, str]] = {}
    if stock_url:
        targets["stock"] = ("rest", stock_url)
    if project_url:
        targets["project"] = ("rest", project_url)
    if hub and hub.get("measured") and rasa_url and "hub" in args.parts:
        targets["hub"] = ("hub", hub["base"])
    single: dict[str, dict[str, Any]] = {}
    if 1 in args.levels and args.rounds > 0 and len(targets) > 1:
        single = asyncio.run(single_sender_rounds(targets, args))
        report["single_sender"] = {
            "mode": "interleaved",
            "rounds": interleaved_rounds(args),
            "targets": list(targets),
        }

    def measured(name: str) -> dict[str, Any]:
        return {"1": single[name]} if name in single else {}

    if stock_url:
        try:
            report["stock"]["rest"] = asyncio.run(
                drive_rest(stock_url, args.levels, args, measured("stock"))
            )
        except errors as exc:
            report["stock"] = not_measured(str(exc))
        finally:
            services.stop("stock-rasa")
    if project_url:
        project["rest"] = asyncio.run(
            drive_rest(project_url, args.levels, args, measured("project"))
        )
        project["measured"] = True
    if {"project", "hub"} & args.parts:
        report["project"] = {k: v for k, v in project.items() if k != "env"}
    if hub is not None:
        if hub.get("measured"):
            try:
                parts = asyncio.run(
                    hub_parts(
                        hub["base"],
                        hub["pid"],
                        hub["accounts"],
                        args,
                        rasa_url is not None,
                        measured("hub"),
                    )
                )
                hub = {"measured": True, "startup_seconds": hub["startup_seconds"], **parts}
            except errors as exc:
                hub = not_measured(str(exc))
            finally:
                services.stop("hub")
        report["hub"] = hub


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("socketio").setLevel(logging.WARNING)
    logging.getLogger("engineio").setLevel(logging.WARNING)
    args = parse_args(argv)
    report: dict[str, Any] = {
        "kind": "latency",
        "command": " ".join(["python", "-m", "bench.latency", *(argv or sys.argv[1:])]),
        "machine": machine_info(),
        "messages": list(MESSAGES),
        "warmup_messages": args.warmup,
        "min_messages_per_level": args.min_messages,
    }
    work = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    services = Services(work)
    try:
        run_parts(services, work, args, report)
    finally:
        services.stop_all()
    report["logs"] = str(work)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for path in (out / f"latency-{stamp}.json", out / "latency-latest.json"):
        path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    from bench.report import latency_table

    sys.stdout.write(latency_table(report) + f"\nresults: {out / 'latency-latest.json'}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
