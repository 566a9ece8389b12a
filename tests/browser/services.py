"""Start the real stack (action server, Rasa, hub) as subprocesses on free ports.

Used by the browser tests' session fixture. Every run gets a fresh SQLite database seeded
with ``python -m store.seed``, fresh secrets, a ``hub.yml`` whose queues are always open,
and agent accounts created with the hub's own CLI (``python -m hub.agents create``), so
the tests exercise the same commands an operator uses.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOT_BIN = ROOT / ".venv" / "bin"
HUB_PYTHON = Path(sys.executable)
# Throwaway accounts in a throwaway database.
AGENT_PASSWORD = "browser-test-pw-1234567890"

HUB_YML = """\
default_queue: payments
grace_period_seconds: 60
queues:
  payments: {display_name: Payments, hours: always}
  disputes: {display_name: Disputes, hours: always}
  collections: {display_name: Collections, hours: always}
"""


class StackError(RuntimeError):
    """A service did not start; the message carries the tail of its log."""


def free_port() -> int:
    """A TCP port that was free a moment ago (bind to 0, read, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Service:
    """One subprocess and the log file it writes."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def tail(self, lines: int = 40) -> str:
        """Last lines of the log, to explain a failure."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"(no log: {exc})"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate politely, then kill."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class Stack:
    """The running services and what the tests need to talk to them."""

    hub_url: str
    rasa_url: str
    database_url: str
    token_secret: str
    agent_username: str
    supervisor_username: str
    agent_password: str
    workdir: Path
    services: list[Service] = field(default_factory=list)
    hub_env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop every service, hub first (it talks to the others)."""
        for service in reversed(self.services):
            service.stop()


def _run(args: list[str], env: Mapping[str, str], *, stdin: str | None = None) -> str:
    result = subprocess.run(  # noqa: S603 - fixed executables from this repository
        args,
        env=dict(env),
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise StackError(f"{' '.join(args[:4])} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _start(name: str, args: list[str], env: Mapping[str, str], logs: Path) -> Service:
    log_path = logs / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(  # noqa: S603 - fixed executables from this repository
        args, env=dict(env), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    return Service(name, process, log_path)


def wait_http(service: Service, url: str, timeout: float) -> None:
    """Poll ``url`` until it answers 2xx; fail early if the process died."""
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise StackError(
                f"{service.name} exited ({service.process.returncode}):\n{service.tail()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local http
                if 200 <= response.status < 300:
                    return
                last_error = f"HTTP {response.status}"
        except (urllib.error.URLError, OSError) as exc:
            last_error = str(exc)
        time.sleep(0.5)
    raise StackError(
        f"{service.name} not ready after {timeout:.0f}s ({last_error}):\n{service.tail()}"
    )


def warm_up(service: Service, rasa_url: str) -> None:
    """Send messages straight to Rasa so its first (slow) predictions are not a test's.

    The first prediction after start-up loads the spaCy pipeline and builds the policy
    graphs; on a shared machine that can exceed the hub's bot timeout and trigger the
    fail-open path, which is not what these tests are about.
    """
    # One message per language: each language's spaCy side loads on its first message.
    for sender, message, metadata in (
        ("warm-up", "hello", {"language": "en"}),
        ("warm-up-es", "hola, buenos días", {"language": "es", "page_language": "es"}),
    ):
        body = json.dumps({"sender": sender, "message": message, "metadata": metadata}).encode()
        request = urllib.request.Request(  # noqa: S310 - local http
            f"{rasa_url}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=180) as response:  # noqa: S310
                response.read()
        except (urllib.error.URLError, OSError) as exc:
            raise StackError(
                f"Rasa did not answer the warm-up message ({exc}):\n{service.tail()}"
            ) from exc


def newest_model(models_dir: Path) -> Path:
    """The newest trained model; the browser tests need the real bot."""
    override = os.environ.get("PAYASSIST_MODEL")
    if override:
        return Path(override)
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise StackError(f"no trained model in {models_dir}; run `make train` first")
    return models[-1]


def start_hub(stack: Stack, name: str, **env: str) -> tuple[Service, str]:
    """Another hub process over the same database and Rasa, with some settings changed.

    Returns the service (stop it when done; ``stack.stop`` stops it too) and its URL.
    """
    port = free_port()
    hub_env = {**stack.hub_env, "HUB_PORT": str(port), **env}
    service = _start(name, [str(HUB_PYTHON), "-m", "connectors"], hub_env, stack.workdir / "logs")
    stack.services.append(service)
    url = f"http://127.0.0.1:{port}"
    wait_http(service, f"{url}/health", 60)
    return service, url


def build_web() -> None:
    """Build hub/static/ (idempotent; npm ci only when the lock changed)."""
    _run(["/bin/bash", str(ROOT / "scripts" / "build_web.sh")], os.environ)


@contextmanager
def running_stack(workdir: Path) -> Iterator[Stack]:
    """Start action server, Rasa and hub; yield them; stop them all afterwards.

    The custom actions run in a separate action server over HTTP here (``ACTION_SERVER=1
    make run``); the slow hub tests (``tests/hub/real_rasa.py``) cover the default, actions
    inside Rasa, so both deployments are exercised end to end.
    """
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{workdir / 'payassist.db'}"
    token_secret = secrets.token_hex(32)
    rasa_token = secrets.token_hex(16)
    ports = {name: free_port() for name in ("actions", "rasa", "hub")}
    hub_yml = workdir / "hub.yml"
    hub_yml.write_text(HUB_YML, encoding="utf-8")
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f"action_endpoint:\n  url: http://127.0.0.1:{ports['actions']}/webhook\n", encoding="utf-8"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "CUSTOMER_TOKEN_SECRET": token_secret,
        "RASA_AUTH_TOKEN": rasa_token,
    }
    env.pop("REDIS_URL", None)

    _run([str(HUB_PYTHON), "-m", "store.seed", "--database-url", database_url], env)
    accounts = (("dana", "Dana Reyes", "agent"), ("sam", "Sam Okafor", "supervisor"))
    for username, display, role in accounts:
        _run(
            [
                str(HUB_PYTHON),
                "-m",
                "hub.agents",
                "--database-url",
                database_url,
                "--config",
                str(hub_yml),
                "create",
                "--username",
                username,
                "--display-name",
                display,
                "--role",
                role,
                "--queues",
                "payments,disputes,collections",
                "--password-stdin",
            ],
            env,
            stdin=AGENT_PASSWORD + "\n",
        )

    stack = Stack(
        hub_url=f"http://127.0.0.1:{ports['hub']}",
        rasa_url=f"http://127.0.0.1:{ports['rasa']}",
        database_url=database_url,
        token_secret=token_secret,
        agent_username="dana",
        supervisor_username="sam",
        agent_password=AGENT_PASSWORD,
        workdir=workdir,
    )
    try:
        model = newest_model(ROOT / "models")
        actions = _start(
            "actions",
            [
                str(BOT_BIN / "rasa"),
                "run",
                "actions",
                "--actions",
                "actions",
                "--port",
                str(ports["actions"]),
            ],
            env,
            logs,
        )
        stack.services.append(actions)
        rasa = _start(
            "rasa",
            [
                str(BOT_BIN / "python"),
                "-m",
                "bot.server",
                "run",
                "--model",
                str(model),
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(ROOT / "credentials.yml"),
                "--enable-api",
                "--auth-token",
                rasa_token,
                "--interface",
                "127.0.0.1",
                "--port",
                str(ports["rasa"]),
            ],
            env,
            logs,
        )
        stack.services.append(rasa)
        hub_env = {
            **env,
            "HUB_HOST": "127.0.0.1",
            "HUB_PORT": str(ports["hub"]),
            "RASA_URL": stack.rasa_url,
            "PAYASSIST_DEMO": "1",
            "HUB_CONFIG": str(hub_yml),
            "HUB_STATIC_DIR": str(ROOT / "hub" / "static"),
            "HUB_LOG_LEVEL": "INFO",
            # The machine running the tests may be busy; the fail-open path has its own tests.
            "HUB_RASA_TIMEOUT": "20",
            # rasa-webchat sends the customer token in customData (test_rasa_webchat.py); the
            # hub's own widget sends it in the connection auth, unaffected.
            "HUB_METADATA_KEY": "customData",
        }
        stack.hub_env = hub_env
        wait_http(actions, f"http://127.0.0.1:{ports['actions']}/health", 120)
        wait_http(rasa, f"{stack.rasa_url}/status?token={rasa_token}", 300)
        warm_up(rasa, stack.rasa_url)
        hub = _start("hub", [str(HUB_PYTHON), "-m", "connectors"], hub_env, logs)
        stack.services.append(hub)
        wait_http(hub, f"{stack.hub_url}/health", 60)
        yield stack
    finally:
        stack.stop()
