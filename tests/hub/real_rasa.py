"""Start the real Rasa server (from ``.venv``) for the slow hub tests.

The trained model comes from ``make train`` (``models/``) or ``HUB_TEST_MODEL`` (a model file
or directory). The custom actions run inside Rasa, with the repository's ``endpoints.yml``, as
``make run`` serves them; ``action_server=True`` starts a separate action server instead. The
processes listen on free ports and log to a temporary directory that is printed when they fail
to start.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BOT_PYTHON = REPO / ".venv" / "bin" / "python"
STARTUP_SECONDS = 420.0
AUTH_TOKEN = "slow-test-rasa-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_model() -> Path | None:
    """The model to serve: ``HUB_TEST_MODEL`` or the newest ``models/*.tar.gz``."""
    configured = os.environ.get("HUB_TEST_MODEL")
    if configured:
        return Path(configured)
    candidates = sorted((REPO / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return candidates[-1] if candidates else None


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local URL)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class RealRasa:
    """The Rasa server (and, when asked, a separate action server) as child processes."""

    model: Path
    database_url: str
    token_secret: str
    workdir: Path
    action_server: bool = False
    rasa_port: int = 0
    actions_port: int = 0
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url,
            CUSTOMER_TOKEN_SECRET=self.token_secret,
            PYTHONPATH=str(REPO),
        )
        return env

    def _spawn(self, name: str, args: list[str]) -> None:
        with (self.workdir / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(  # noqa: S603 (fixed argv)
                args, cwd=REPO, env=self._env(), stdout=log, stderr=subprocess.STDOUT
            )

    def start_actions(self) -> None:
        self.actions_port = self.actions_port or free_port()
        self._spawn(
            "actions",
            [
                str(BOT_PYTHON),
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "--port",
                str(self.actions_port),
            ],
        )

    def start_rasa(self) -> None:
        self.rasa_port = self.rasa_port or free_port()
        endpoints = REPO / "endpoints.yml"
        if self.action_server:
            endpoints = self.workdir / "endpoints.yml"
            endpoints.write_text(
                f"action_endpoint:\n  url: http://127.0.0.1:{self.actions_port}/webhook\n",
                encoding="utf-8",
            )
        self._spawn(
            "rasa",
            [
                str(BOT_PYTHON),
                "-m",
                "bot.server",
                "run",
                "--model",
                str(self.model),
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(REPO / "credentials.yml"),
                "--enable-api",
                "--auth-token",
                AUTH_TOKEN,
                "--interface",
                "127.0.0.1",
                "--port",
                str(self.rasa_port),
            ],
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        checks = {"rasa": f"{self.url}/status?token={AUTH_TOKEN}"}
        if self.action_server:
            checks["actions"] = f"http://127.0.0.1:{self.actions_port}/health"
        pending = dict(checks)
        while pending:
            for name, url in list(pending.items()):
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited; see {self.workdir / (name + '.log')}")
                if _healthy(url):
                    del pending[name]
            if time.monotonic() > deadline:
                raise RuntimeError(f"{sorted(pending)} not ready; see logs in {self.workdir}")
            time.sleep(1)

    def rasa_alive(self) -> bool:
        process = self.processes.get("rasa")
        return process is not None and process.poll() is None

    def kill_rasa(self) -> None:
        """Kill the Rasa server abruptly (SIGKILL), as a crash would."""
        process = self.processes["rasa"]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def ensure_running(self) -> None:
        """(Re)start whatever is not running and wait until it all answers."""
        if self.action_server and (
            "actions" not in self.processes or self.processes["actions"].poll() is not None
        ):
            self.start_actions()
        if not self.rasa_alive():
            self.start_rasa()
        self.wait_ready()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
