"""Child processes for the bench: free loopback ports, logs, readiness checks, clean stop.

Every service the bench measures is started here on a free port of 127.0.0.1 and stopped by
its own process id when the run ends, so a bench run never touches a developer's ``make run``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BOT_PY = REPO / ".venv" / "bin" / "python"
RASA_BIN = REPO / ".venv" / "bin" / "rasa"
HUB_PY = REPO / ".venv-hub" / "bin" / "python"


class ServiceFailed(RuntimeError):
    """A service exited or never became ready; the message names its log file."""


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when ``url`` answers 200 (any error or other status is "not yet")."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process in MiB (Linux ``/proc``), None when unreadable."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


@dataclass
class Services:
    """The processes one bench run started, stopped together by their pids."""

    logdir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path = REPO,
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` with its output in ``logdir/name.log``."""
        log = (self.logdir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes[name] = process
        return process

    def wait_ready(self, name: str, url: str, limit_s: float) -> float:
        """Seconds from now until ``url`` answers 200.

        Raises:
            ServiceFailed: The process exited first, or ``limit_s`` passed.
        """
        process = self.processes[name]
        start = time.monotonic()
        while time.monotonic() - start < limit_s:
            if process.poll() is not None:
                raise ServiceFailed(
                    f"{name} exited with {process.returncode}; see {self.log(name)}"
                )
            if http_ok(url):
                return time.monotonic() - start
            time.sleep(0.25)
        raise ServiceFailed(f"{name} not ready after {limit_s:.0f}s; see {self.log(name)}")

    def log(self, name: str) -> Path:
        """Log file of a service."""
        return self.logdir / f"{name}.log"

    def stop(self, name: str, grace_s: float = 10.0) -> None:
        """SIGTERM the service's process group, SIGKILL it after ``grace_s``."""
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=grace_s)

    def stop_all(self) -> None:
        """Stop every service this run started (newest first)."""
        for name in reversed(list(self.processes)):
            self.stop(name)


def run_timed(
    argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None, cwd: Path = REPO
) -> tuple[int, float]:
    """Run a command to completion with its output in ``log``; (exit code, seconds)."""
    start = time.monotonic()
    with log.open("ab") as handle:
        completed = subprocess.run(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    return completed.returncode, time.monotonic() - start
