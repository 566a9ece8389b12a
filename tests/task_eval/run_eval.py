"""Play the task-success dialogues through the real hub, Rasa and actions; report per category.

Usage (hub environment): ``python -m tests.task_eval.run_eval --split dev [--gate 0.95]``.
Starts the whole stack on free ports with a freshly seeded database: the Rasa server with the
custom actions in-process, as ``make run`` serves them (tests/hub/real_rasa.py, newest model in
models/ or ``HUB_TEST_MODEL``), and the hub in front of it. Connects one Socket.IO customer per
dialogue (with the demo customer's signed token, or none), sends each turn, collects what the
bot says until it goes quiet, and checks the expected facts (facts.py). Exit code 1 when the
split's success is below ``--gate``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from common.identity import mint_customer_token
from store.seed import ORDERS
from tests.browser.services import HUB_YML, Service, free_port, wait_http, warm_up
from tests.hub.clients import RecordingClient
from tests.hub.real_rasa import AUTH_TOKEN, RealRasa, find_model
from tests.task_eval.facts import BotTurn, check_turn, render_user_text

HERE = Path(__file__).resolve().parent
FIRST_REPLY_SECONDS = 90.0
QUIET_SECONDS = 1.5
CONCURRENCY = 3
STARTUP_SECONDS = 420.0


@dataclass
class Stack:
    """The running hub (in front of Rasa) and the secret its customer tokens are signed with."""

    hub_url: str
    token_secret: str


@contextmanager
def running_stack(workdir: Path) -> Iterator[Stack]:
    """Seeded database, Rasa (actions in-process) and the hub; all stopped afterwards."""
    model = find_model()
    if model is None or not model.exists():
        raise SystemExit("no trained model: run `make train` (or set HUB_TEST_MODEL)")
    database_url = f"sqlite:///{workdir / 'payassist.db'}"
    token_secret = secrets.token_hex(32)
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[1]), "DATABASE_URL": database_url}
    env.pop("REDIS_URL", None)
    subprocess.run(  # noqa: S603 - this interpreter, a module of this repository
        [sys.executable, "-m", "store.seed", "--database-url", database_url],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    rasa = RealRasa(model, database_url, token_secret, workdir)
    hub: Service | None = None
    try:
        rasa.ensure_running()
        hub_yml = workdir / "hub.yml"
        hub_yml.write_text(HUB_YML, encoding="utf-8")
        port = free_port()
        hub_env = {
            **env,
            "CUSTOMER_TOKEN_SECRET": token_secret,
            "RASA_AUTH_TOKEN": AUTH_TOKEN,
            "HUB_HOST": "127.0.0.1",
            "HUB_PORT": str(port),
            "RASA_URL": rasa.url,
            "HUB_CONFIG": str(hub_yml),
            "HUB_LOG_LEVEL": "WARNING",
            # A busy machine must not turn slow answers into fail-open handoffs.
            "HUB_RASA_TIMEOUT": "60",
        }
        log_path = workdir / "hub.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - this interpreter, the hub module
                [sys.executable, "-m", "connectors"],
                env=hub_env,
                cwd=HERE.parents[1],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        hub = Service("hub", process, log_path)
        warm_up(hub, rasa.url)
        wait_http(hub, f"http://127.0.0.1:{port}/health", STARTUP_SECONDS)
        yield Stack(hub_url=f"http://127.0.0.1:{port}", token_secret=token_secret)
    finally:
        if hub is not None:
            hub.stop()
        rasa.stop()


@dataclass
class DialogueResult:
    """One played dialogue: pass/fail and a transcript for the report."""

    dialogue_id: str
    category: str
    passed: bool
    transcript: list[dict[str, Any]]


def load_dialogues(split: str) -> list[dict[str, Any]]:
    """The dialogues of ``split`` (dialogues_<split>.yml)."""
    data = yaml.safe_load((HERE / f"dialogues_{split}.yml").read_text(encoding="utf-8"))
    dialogues: list[dict[str, Any]] = data["dialogues"]
    return dialogues


def orders_of(customer_ref: str | None) -> list[str]:
    """Order refs of a demo customer (for the "no other order named" check)."""
    if customer_ref is None:
        return []
    return [ref for ref, row in ORDERS.items() if row[0] == customer_ref]


def _sender_type(data: dict[str, Any]) -> Any:
    """Who sent a ``bot_uttered`` (the hub puts it under ``metadata``, Rasa clients' shape)."""
    metadata = data.get("metadata")
    sender = metadata.get("sender") if isinstance(metadata, dict) else None
    return sender.get("type") if isinstance(sender, dict) else None


async def _bot_turn(client: RecordingClient, mark: int) -> BotTurn:
    """Wait for the bot's first message after ``mark``, then until it is quiet."""

    def is_reply(data: Any) -> bool:
        return isinstance(data, dict) and _sender_type(data) in ("bot", "system")

    await client.wait_for("bot_uttered", is_reply, timeout=FIRST_REPLY_SECONDS, after=mark)
    seen = -1
    while seen != len(client.events):
        seen = len(client.events)
        await asyncio.sleep(QUIET_SECONDS)
    texts: list[str] = []
    buttons: list[dict[str, str]] = []
    handed_off = False
    for name, data in client.events[mark:]:
        if name == "handoff_status" and isinstance(data, dict):
            handed_off = handed_off or data.get("state") in ("queued", "no_agents")
        if name != "bot_uttered" or not isinstance(data, dict):
            continue
        if _sender_type(data) != "bot":
            continue
        if data.get("text"):
            texts.append(str(data["text"]))
        buttons.extend(data.get("quick_replies") or data.get("buttons") or [])
    return BotTurn(tuple(texts), tuple(buttons), handed_off)


def _click(previous: BotTurn | None, wanted: str) -> str:
    if previous is not None:
        for button in previous.buttons:
            if wanted.casefold() in button.get("title", "").casefold():
                return str(button["payload"])
    return wanted  # no such button: type the text, as a customer would


async def play(stack: Stack, dialogue: dict[str, Any], today: Any) -> DialogueResult:
    """Play one dialogue on its own connection and session."""
    customer = dialogue.get("customer")
    client = RecordingClient(stack.hub_url)
    token = mint_customer_token(customer, stack.token_secret) if customer else None
    transcript: list[dict[str, Any]] = []
    passed = True
    try:
        await client.connect(auth={"token": token} if token else None)
        confirm = await client.call("session_request", {"session_id": None})
        previous: BotTurn | None = None
        for turn in dialogue["turns"]:
            if "click" in turn:
                message = _click(previous, str(turn["click"]))
            else:
                message = render_user_text(str(turn["user"]), today)
            mark = client.mark()
            await client.call(
                "user_uttered", {"message": message, "session_id": confirm["session_id"]}
            )
            try:
                previous = await _bot_turn(client, mark)
            except AssertionError as exc:
                transcript.append({"user": message, "problems": [str(exc)]})
                passed = False
                break
            entry: dict[str, Any] = {"user": message, "bot": list(previous.texts)}
            if previous.buttons:
                entry["buttons"] = [b.get("title") for b in previous.buttons]
            expect = turn.get("expect")
            if expect is not None:
                verdict = check_turn(
                    previous, expect, today=today, customer_orders=orders_of(customer)
                )
                if not verdict.passed:
                    entry["problems"] = verdict.problems
                    passed = False
            transcript.append(entry)
    finally:
        await client.disconnect()
    return DialogueResult(dialogue["id"], dialogue["category"], passed, transcript)


async def play_all(stack: Stack, dialogues: list[dict[str, Any]]) -> list[DialogueResult]:
    """Play every dialogue, a few at a time."""
    today = datetime.now(timezone.utc).date()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(dialogue: dict[str, Any]) -> DialogueResult:
        async with gate:
            return await play(stack, dialogue, today)

    return list(await asyncio.gather(*(one(d) for d in dialogues)))


def report(results: list[DialogueResult], split: str) -> float:
    """Print per-category success and the failures; return the overall share passed."""
    by_category: dict[str, list[DialogueResult]] = defaultdict(list)
    for result in results:
        by_category[result.category].append(result)
    print(f"\ntask success, {split} split")
    print(f"  {'category':<16} {'passed':>7} {'total':>6} {'share':>7}")
    for category, items in sorted(by_category.items()):
        ok = sum(r.passed for r in items)
        print(f"  {category:<16} {ok:>7} {len(items):>6} {ok / len(items):>7.0%}")
    signed = [r for r in results if r.category != "anonymous"]
    passed = sum(r.passed for r in results)
    share = passed / len(results) if results else 0.0
    print(f"  {'signed-in':<16} {sum(r.passed for r in signed):>7} {len(signed):>6}")
    print(f"  {'all':<16} {passed:>7} {len(results):>6} {share:>7.0%}")
    for result in results:
        if not result.passed:
            print(f"\nFAILED {result.dialogue_id} ({result.category})")
            for entry in result.transcript:
                print(f"  > {entry['user']}")
                for text in entry.get("bot", []):
                    print("    < " + text.replace("\n", "\n      "))
                if entry.get("buttons"):
                    print(f"    [buttons] {entry['buttons']}")
                for problem in entry.get("problems", []):
                    print(f"    !! {problem}")
    return share


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description="task-success evaluation over the real stack")
    parser.add_argument("--split", default="dev", help="dialogues_<split>.yml (dev or blind)")
    parser.add_argument("--gate", type=float, default=0.0, help="fail below this share")
    parser.add_argument("--only", nargs="*", help="play only these dialogue ids")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    dialogues = load_dialogues(args.split)
    if args.only:
        dialogues = [d for d in dialogues if d["id"] in set(args.only)]
    with (
        tempfile.TemporaryDirectory(prefix="task-eval-") as workdir,
        running_stack(Path(workdir)) as stack,
    ):
        results = asyncio.run(play_all(stack, dialogues))
    share = report(results, args.split)
    if args.json is not None:
        args.json.write_text(
            json.dumps([r.__dict__ for r in results], indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
    if share < args.gate:
        print(f"\ntask success {share:.1%} is below the gate {args.gate:.0%}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
