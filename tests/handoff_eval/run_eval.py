"""Play the labelled handoff corpus through the trained bot and report per-category figures.

Usage::

    .venv/bin/python -m tests.handoff_eval.run_eval --model models/ [--split all|heldout2|...]

``--split`` also takes a comma-separated list ("dev,heldout": tune without playing the blind
``heldout2`` part).

The honest path: the trained model is loaded in-process with ``Agent.load`` and the real
action server runs as a subprocess on a free port (against a freshly seeded demo database in a
temporary directory), so ``action_handoff`` really runs and pauses the conversation. Each case
gets its own sender id; a handoff is detected by ``action_handoff`` in the tracker after a
turn, and the reason is read from the handoff payload the action sent.

Exit status: 1 when explicit-request recall is below 100% (or, with ``--strict``, when any
target of issue 3 is missed), 2 when the bot could not be started.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.handoff_eval.corpus import (
    Case,
    Outcome,
    format_report,
    load_cases,
    parse_splits,
    score,
)

logger = logging.getLogger("handoff_eval")

REPO = Path(__file__).resolve().parents[2]
HANDOFF_ACTION = "action_handoff"
BOT_LANGUAGE_FAMILIES = frozenset({"explicit_en", "explicit_es", "explicit"})
# Splits gated on every target even without --strict (issue 19: the Spanish set must meet
# explicit 100%, topic 100%, frustrated >= 95% and calm false handoffs <= 2%).
GATED_SPLITS = ("es",)


def free_port() -> int:
    """A port the OS says is free right now (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def latest_model(path: Path) -> Path:
    """The model file itself, or the newest ``*.tar.gz`` in a directory."""
    if path.is_file():
        return path
    models = sorted(path.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise FileNotFoundError(f"no trained model (*.tar.gz) in {path}; run `make train`")
    return models[-1]


class ActionServer:
    """The project's action server in a subprocess, with its own seeded database."""

    def __init__(self, workdir: Path, secret: str) -> None:
        """Prepare (not start) a server that keeps its database under ``workdir``."""
        self.port = free_port()
        self.database_url = f"sqlite:///{workdir / 'eval.db'}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CUSTOMER_TOKEN_SECRET": secret,
            "PYTHONPATH": str(REPO),
        }
        self.log_path = workdir / "action_server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def webhook(self) -> str:
        """The URL the agent calls."""
        return f"http://127.0.0.1:{self.port}/webhook"

    def start(self, timeout: float = 90.0) -> None:
        """Seed the database, start the server and wait until ``/health`` answers."""
        subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "store.seed", "--database-url", self.database_url],
            cwd=REPO,
            env=self.env,
            check=True,
            capture_output=True,
        )
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "rasa_sdk",
                    "--actions",
                    "actions",
                    "--port",
                    str(self.port),
                ],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"action server exited ({self.process.returncode}); see {self.log_path}:\n"
                    + self.log_path.read_text(errors="replace")[-2000:]
                )
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise RuntimeError(f"action server not healthy after {timeout:.0f}s")

    def stop(self) -> None:
        """Terminate the server we started (and only it)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _handoff_reason(messages: Sequence[dict[str, Any]]) -> str | None:
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("handoff"), dict):
            reason = custom["handoff"].get("reason")
            return str(reason) if reason is not None else None
    return None


def _hub_guard() -> Any:
    """The hub's own guard, checked before the bot on every message as the hub does."""
    from common.explicit_request import ExplicitRequestGuard

    return ExplicitRequestGuard.from_file()


async def play_case(agent: Any, case: Case, secret: str, guard: Any = None) -> Outcome:
    """Play one case turn by turn until the hub or the bot hands off or the turns run out.

    With ``guard`` (the hub's :class:`ExplicitRequestGuard`), each message first goes through
    it, as in the hub (``hub/services/bot_turn.py``): a match hands off without the bot.
    """
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.shared.core.events import ActionExecuted

    from common.identity import mint_customer_token

    sender_id = f"eval-{case.case_id}-{uuid.uuid4().hex[:8]}"
    metadata: dict[str, Any] = {"channel": "eval"}
    if case.customer:
        metadata.update(
            customer_token=mint_customer_token(case.customer, secret),
            customer_ref=case.customer,
        )
    intents: list[str | None] = []
    for number, text in enumerate(case.turns, start=1):
        if guard is not None and guard.match(text).matched:
            intents.append("hub_guard")
            return Outcome(case, number, "explicit_request (hub guard)", tuple(intents))
        output = CollectingOutputChannel()
        await agent.handle_message(
            UserMessage(text, output, sender_id, input_channel="eval", metadata=metadata)
        )
        tracker = await agent.tracker_store.retrieve(sender_id)
        intents.append(tracker.latest_message.intent.get("name") if tracker else None)
        handed_off = tracker is not None and any(
            isinstance(event, ActionExecuted) and event.action_name == HANDOFF_ACTION
            for event in tracker.events
        )
        if handed_off:
            return Outcome(case, number, _handoff_reason(output.messages), tuple(intents))
    return Outcome(case, None, None, tuple(intents))


async def evaluate(model: Path, cases: Sequence[Case]) -> list[Outcome]:
    """Start the action server, load the model, play every case."""
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    from bot.server import apply_runtime_fixes

    apply_runtime_fixes()  # evaluate the bot as `python -m bot.server run` serves it
    secret = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="handoff-eval-") as workdir:
        server = ActionServer(Path(workdir), secret)
        server.start()
        try:
            agent = Agent.load(str(model), action_endpoint=EndpointConfig(url=server.webhook))
            guard = _hub_guard()
            outcomes = []
            started = time.perf_counter()
            for case in cases:
                outcomes.append(await play_case(agent, case, secret, guard))
            turns = sum(len(case.turns) for case in cases)
            elapsed = time.perf_counter() - started
            logger.info("played %d cases (%d messages) in %.1fs", len(cases), turns, elapsed)
            return outcomes
        finally:
            server.stop()


def quiet_rasa() -> None:
    """Keep Rasa's (structlog) debug output out of the report."""
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    for noisy in ("rasa", "tensorflow", "absl", "sanic", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def _split_spec(value: str) -> str:
    """Validate ``--split`` for argparse (its error message names the valid splits)."""
    try:
        parse_splits(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return value


def missed_gated_targets(outcomes: Sequence[Outcome]) -> bool:
    """Print and flag every target a :data:`GATED_SPLITS` split misses (all four are gated)."""
    missed = False
    for split in GATED_SPLITS:
        for category, item in score(o for o in outcomes if o.case.split == split).items():
            print(
                f"{split} {category}: {item.correct}/{item.cases} correct, figure {item.rate:.1%}"
            )
            if not item.meets_target:
                print(f"FAILED: the {split} split misses the {category} target")
                missed = True
    return missed


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", type=Path, default=REPO / "models", help="model or folder")
    parser.add_argument(
        "--split",
        type=_split_spec,
        default="all",
        help="all, dev, heldout, heldout2, or a comma-separated list (dev,heldout)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="fail when any target is missed, not only explicit"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from bot.server import quiet_library_deprecations

    quiet_library_deprecations()
    quiet_rasa()

    cases = load_cases(args.split)
    try:
        model = latest_model(args.model)
        outcomes = asyncio.run(evaluate(model, cases))
    except (FileNotFoundError, RuntimeError, subprocess.CalledProcessError) as error:
        logger.error("handoff evaluation could not run: %s", error)
        return 2

    for split in parse_splits(args.split):
        part = [outcome for outcome in outcomes if outcome.case.split == split]
        print(format_report(part, f"{split} ({len(part)} cases, model {model.name})"))
        print()
    scores = score(outcomes)
    # The gate: every English and Spanish request goes to a person (the bot's languages; the
    # splits before issue 15 are English and Spanish). The other languages are reported
    # (target >= 99% over all explicit cases, --strict).
    bot_languages = [
        outcome
        for outcome in outcomes
        if outcome.case.category == "explicit"
        and (outcome.case.family or "explicit_en") in BOT_LANGUAGE_FAMILIES
    ]
    explicit = score(bot_languages).get("explicit")
    if explicit is not None:
        print(f"explicit recall, English and Spanish: {explicit.correct}/{explicit.cases}")
    failed = explicit is not None and not explicit.meets_target
    failed = missed_gated_targets(outcomes) or failed
    if args.strict:
        failed = failed or any(not item.meets_target for item in scores.values())
    if failed:
        print(
            "FAILED: targets missed (explicit-request recall in English and Spanish must be 100%,"
            f" and every target of {', '.join(GATED_SPLITS)} met)."
        )
        return 1
    gated = [split for split in GATED_SPLITS if split in parse_splits(args.split)]
    met = f"; every target met on {', '.join(gated)}" if gated else ""
    print(f"OK: explicit-request recall 100% in English and Spanish{met}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
