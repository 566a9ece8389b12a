"""The whole system as several processes on one machine: ``make cluster`` and the cluster tests.

PostgreSQL (all durable state: payments, the hub, Rasa's tracker store) and Redis (hub fan-out,
Rasa's lock store) from Debian packages, the schema migrated on start, N Rasa servers sharing
the tracker store, N hub processes talking to every Rasa server (``RASA_URLS``), and HAProxy in
front of the hubs (``deploy/haproxy.cfg.tmpl``). Everything listens on 127.0.0.1, on free ports
except the load balancer's. Only the standard library is used, so either environment can run it.

``python -m deploy.cluster`` starts it and waits; Ctrl-C stops every process it started.
The tests use :class:`Cluster` directly to kill and restart single processes.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

REPO: Final = Path(__file__).resolve().parent.parent
BOT_PY: Final = REPO / ".venv" / "bin" / "python"
HUB_PY: Final = REPO / ".venv-hub" / "bin" / "python"
TEMPLATE: Final = REPO / "deploy" / "haproxy.cfg.tmpl"
# Generous: two Rasa servers load their models at once on a busy two-core machine.
RASA_STARTUP_SECONDS: Final = 900.0
HUB_STARTUP_SECONDS: Final = 180.0
# The address HAProxy connects to the hubs from (everything runs on loopback here).
LB_SOURCE: Final = "127.0.0.1/32"


class ClusterError(RuntimeError):
    """A process did not start or stopped; the message carries the tail of its log."""


def free_port() -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_ok(url: str, timeout: float = 3.0) -> bool:
    """Whether ``url`` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (local)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, TimeoutError):
        return False


def pg_bindir() -> Path:
    """Debian keeps initdb and pg_ctl in /usr/lib/postgresql/<version>/bin."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise ClusterError("PostgreSQL not found: apt-get install -y postgresql (system_deps.sh)")


def newest_model() -> Path:
    """The newest trained model in ``models/``."""
    models = sorted((REPO / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise ClusterError("no trained model in models/: run make train")
    return models[-1]


@dataclass
class Proc:
    """One child process and its log."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the log."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Cluster:
    """The processes of one cluster; ``start()`` brings them all up, ``stop()`` ends them."""

    workdir: Path
    hubs: int = 2
    rasas: int = 2
    lb_port: int = 0
    demo: bool = False
    hub_env: dict[str, str] = field(default_factory=dict)
    token_secret: str = field(default_factory=lambda: secrets.token_hex(24))
    rasa_token: str = field(default_factory=lambda: secrets.token_hex(16))
    # Bearer token for the hubs' /metrics (operators only, docs/security.md).
    metrics_token: str = field(default_factory=lambda: secrets.token_hex(16))
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, Proc] = field(default_factory=dict)
    model: Path | None = None

    # --- addresses -------------------------------------------------------------------------
    def port(self, name: str) -> int:
        """The port of ``name`` (chosen free on first use; ``lb`` may be fixed)."""
        if name not in self.ports:
            self.ports[name] = self.lb_port if name == "lb" and self.lb_port else free_port()
        return self.ports[name]

    @property
    def lb_url(self) -> str:
        """The load balancer: where customers and agents connect."""
        return f"http://127.0.0.1:{self.port('lb')}"

    def hub_url(self, index: int) -> str:
        """Hub process ``index`` (from 1), directly."""
        return f"http://127.0.0.1:{self.port(f'hub{index}')}"

    def rasa_url(self, index: int) -> str:
        """Rasa server ``index`` (from 1)."""
        return f"http://127.0.0.1:{self.port(f'rasa{index}')}"

    def db_url(self, database: str = "payassist") -> str:
        """SQLAlchemy URL of a database on the cluster's PostgreSQL."""
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port('pg')}/{database}"

    @property
    def redis_url(self) -> str:
        """Redis: hub fan-out and Rasa's lock store."""
        return f"redis://127.0.0.1:{self.port('redis')}/0"

    @property
    def logs(self) -> Path:
        """Where every process logs."""
        return self.workdir / "log"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment every process gets, plus ``extra``."""
        env = dict(os.environ)
        env.update(
            PYTHONPATH=str(REPO),
            DATABASE_URL=self.db_url(),
            TRACKER_STORE_URL=self.db_url("rasa_tracker"),
            REDIS_URL=self.redis_url,
            CUSTOMER_TOKEN_SECRET=self.token_secret,
            RASA_AUTH_TOKEN=self.rasa_token,
            HUB_METRICS_TOKEN=self.metrics_token,
            RASA_TELEMETRY_ENABLED="false",
            TF_CPP_MIN_LOG_LEVEL="2",
        )
        env.update(extra or {})
        return env

    # --- process plumbing ------------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str], env: Mapping[str, str] | None = None) -> Proc:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{name}.log"
        with log.open("ab") as handle:
            handle.write(f"\n==== start {time.strftime('%H:%M:%S')} ====\n".encode())
            handle.flush()
            popen = subprocess.Popen(  # noqa: S603 (fixed argv)
                argv,
                cwd=REPO,
                env=dict(env or self.env()),
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us, and we stop them in order
            )
        proc = Proc(name, popen, log)
        self.procs[name] = proc
        return proc

    def _wait(self, proc: Proc, url: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not http_ok(url):
            if proc.popen.poll() is not None:
                raise ClusterError(f"{proc.name} exited ({proc.popen.returncode}):\n{proc.tail()}")
            if time.monotonic() > deadline:
                raise ClusterError(f"{proc.name} not healthy after {seconds:.0f}s:\n{proc.tail()}")
            time.sleep(1.0)

    def _run(self, argv: list[str], env: Mapping[str, str] | None = None, stdin: str = "") -> None:
        done = subprocess.run(  # noqa: S603 (fixed argv)
            argv,
            cwd=REPO,
            env=dict(env or self.env()),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise ClusterError(f"{' '.join(argv[:4])} failed:\n{done.stdout}\n{done.stderr}")

    def signal(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to one process (SIGKILL by default) and reap it."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            proc.popen.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(timeout=60)

    def pid(self, name: str) -> int:
        """The process id of ``name`` (PostgreSQL: ``pg``, its postmaster)."""
        if name == "pg":
            pidfile = self.workdir / "pg" / "data" / "postmaster.pid"
            return int(pidfile.read_text().split()[0])
        return self.procs[name].popen.pid

    def lb_servers_up(self) -> set[str]:
        """Hubs HAProxy has UP in every backend (from its CSV statistics)."""
        url = f"http://127.0.0.1:{self.port('lb_stats')}/;csv"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local)
                text = response.read().decode().lstrip("# ")
        except (urllib.error.URLError, OSError):
            return set()
        rows = list(csv.DictReader(io.StringIO(text)))
        hubs = {r["svname"] for r in rows if r["svname"].startswith("hub")}
        return {
            h for h in hubs if all(r["status"].startswith("UP") for r in rows if r["svname"] == h)
        }

    def alive(self, name: str) -> bool:
        """Whether the process ``name`` is running."""
        proc = self.procs.get(name)
        return proc is not None and proc.popen.poll() is None

    # --- PostgreSQL ------------------------------------------------------------------------
    @property
    def _pg_user(self) -> str | None:
        return "postgres" if os.geteuid() == 0 else None

    def _pg(self, *args: str) -> list[str]:
        user = self._pg_user
        return [*(["runuser", "-u", user, "--"] if user else []), *args]

    def start_postgres(self) -> None:
        """Run initdb once (data kept in ``workdir/pg``), then start on a local TCP port."""
        bindir, data = pg_bindir(), self.workdir / "pg" / "data"
        sockets = self.workdir / "pg"
        sockets.mkdir(parents=True, exist_ok=True)
        if self._pg_user:
            user = pwd.getpwnam(self._pg_user)
            os.chown(sockets, user.pw_uid, user.pw_gid)
        if not (data / "PG_VERSION").exists():
            self._run(
                self._pg(
                    str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                    "--auth=trust", "--encoding=UTF8",
                )
            )  # fmt: skip
        options = f"-k {sockets} -p {self.port('pg')} -c listen_addresses=127.0.0.1"
        self._run(
            self._pg(
                str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                "-l", str(self.workdir / "pg" / "server.log"), "-w", "-t", "120", "start",
            )
        )  # fmt: skip

    def stop_postgres(self, mode: str = "fast") -> None:
        """Stop PostgreSQL (``immediate`` is a crash: no shutdown checkpoint)."""
        data = self.workdir / "pg" / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(  # noqa: S603
                self._pg(str(pg_bindir() / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "stop"),
                capture_output=True,
                timeout=120,
                check=False,
            )

    def create_databases(self) -> None:
        """``payassist`` (payments and hub) and ``rasa_tracker`` (Rasa's tracker store)."""
        psql = str(pg_bindir() / "psql")
        for name in ("payassist", "rasa_tracker"):
            query = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"  # noqa: S608 (fixed)
            found = subprocess.run(  # noqa: S603
                [psql, "-h", "127.0.0.1", "-p", str(self.port("pg")), "-U", "postgres",
                 "-tAc", query],
                capture_output=True, text=True, timeout=60, check=True,
            ).stdout.strip()  # fmt: skip
            if found != "1":
                self._run([psql, "-h", "127.0.0.1", "-p", str(self.port("pg")), "-U", "postgres",
                           "-c", f'CREATE DATABASE "{name}"'])  # fmt: skip

    # --- Redis, Rasa, hubs, HAProxy --------------------------------------------------------
    def start_redis(self) -> None:
        """Redis without persistence: it carries fan-out and locks, never durable state."""
        redis = shutil.which("redis-server")
        if redis is None:
            raise ClusterError("redis-server not found: apt-get install -y redis-server")
        proc = self._spawn(
            "redis",
            [redis, "--bind", "127.0.0.1", "--port", str(self.port("redis")), "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port("redis")), timeout=1),
            ):
                return
            if proc.popen.poll() is not None or time.monotonic() > deadline:
                raise ClusterError(f"redis did not start:\n{proc.tail()}")
            time.sleep(0.3)

    def migrate_and_seed(self) -> None:
        """The schema migrated on start (``python -m migrations upgrade``), demo data seeded."""
        self._run([str(BOT_PY), "-m", "migrations", "upgrade"])
        self._run([str(BOT_PY), "-m", "store.seed"])

    def create_agent(
        self, username: str, password: str, role: str = "agent", capacity: int = 3
    ) -> None:
        """An agent account, with the hub's own CLI."""
        self._run(
            [str(HUB_PY), "-m", "hub.agents", "create", "--username", username,
             "--display-name", username.title(), "--role", role, "--capacity", str(capacity),
             "--queues", "payments,disputes,collections", "--password-stdin"],
            stdin=password + "\n",
        )  # fmt: skip

    def spawn_rasa(self, index: int) -> Proc:
        """Start Rasa server ``index`` (``python -m bot.server run``) without waiting."""
        model = self.model or newest_model()
        return self._spawn(
            f"rasa{index}",
            [str(BOT_PY), "-m", "bot.server", "run", "--model", str(model),
             "--endpoints", str(REPO / "endpoints.yml"),
             "--credentials", str(REPO / "credentials.yml"), "--enable-api",
             "--auth-token", self.rasa_token, "--interface", "127.0.0.1",
             "--port", str(self.port(f"rasa{index}"))],
        )  # fmt: skip

    def wait_rasa(self, index: int) -> None:
        """Wait until Rasa server ``index`` answers, then warm it up."""
        proc = self.procs[f"rasa{index}"]
        status = f"{self.rasa_url(index)}/status?token={self.rasa_token}"
        self._wait(proc, status, RASA_STARTUP_SECONDS)
        # The first message loads lazily built parts; pay that here, not in a test's turn.
        body = json.dumps({"sender": f"warmup-{secrets.token_hex(4)}", "message": "hello"})
        request = urllib.request.Request(  # noqa: S310 (local)
            f"{self.rasa_url(index)}/webhooks/rest/webhook",
            data=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        with contextlib.suppress(urllib.error.URLError, OSError, TimeoutError):
            urllib.request.urlopen(request, timeout=300).read()  # noqa: S310

    def start_rasa(self, index: int) -> None:
        """Start Rasa server ``index`` and wait for it."""
        self.spawn_rasa(index)
        self.wait_rasa(index)

    def spawn_hub(self, index: int, rasa: Sequence[int] | None = None) -> Proc:
        """Start hub process ``index`` (talking to Rasa servers ``rasa``, default all)."""
        servers = rasa or range(1, self.rasas + 1)
        extra = {
            "HUB_HOST": "127.0.0.1",
            "HUB_PORT": str(self.port(f"hub{index}")),
            "RASA_URLS": ",".join(self.rasa_url(i) for i in servers),
            # HAProxy connects from here and says who the client was (option forwardfor):
            # without it every customer's and agent's throttles count against the proxy.
            "HUB_TRUSTED_PROXIES": LB_SOURCE,
            "PAYASSIST_DEMO": "1" if self.demo else "0",
            **self.hub_env,
        }
        return self._spawn(f"hub{index}", [str(HUB_PY), "-m", "connectors"], self.env(extra))

    def start_hub(self, index: int, rasa: Sequence[int] | None = None) -> None:
        """Start hub process ``index`` and wait for its ``/health``."""
        proc = self.spawn_hub(index, rasa)
        self._wait(proc, f"{self.hub_url(index)}/health", HUB_STARTUP_SECONDS)

    def haproxy_config(self) -> str:
        """``deploy/haproxy.cfg.tmpl`` with this cluster's addresses."""

        def servers(sticky: bool) -> str:
            lines = []
            for i in range(1, self.hubs + 1):
                cookie = f" cookie hub{i}" if sticky else ""
                lines.append(f"    server hub{i} 127.0.0.1:{self.port(f'hub{i}')} check{cookie}")
            return "\n".join(lines)

        template = string.Template(TEMPLATE.read_text(encoding="utf-8"))
        return template.substitute(
            bind="127.0.0.1",
            port=self.port("lb"),
            stats_port=self.port("lb_stats"),
            ws_servers=servers(False),
            sticky_servers=servers(True),
        )

    def start_haproxy(self) -> None:
        """Check the configuration, start HAProxy, wait until it reaches a hub."""
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(haproxy).exists():
            raise ClusterError("haproxy not found: apt-get install -y haproxy")
        config = self.workdir / "haproxy.cfg"
        config.write_text(self.haproxy_config(), encoding="utf-8")
        self._run([haproxy, "-c", "-q", "-f", str(config)])
        proc = self._spawn("haproxy", [haproxy, "-db", "-f", str(config)])
        self._wait(proc, f"{self.lb_url}/health", 60)

    # --- the whole ---------------------------------------------------------------------------
    def start(self, agents: Mapping[str, str] | None = None, capacity: int = 3) -> None:
        """Start everything in dependency order; on any failure stop what started."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self.start_postgres()
            self.create_databases()
            self.start_redis()
            self.migrate_and_seed()
            for username, password in (agents or {}).items():
                self.create_agent(username, password, capacity=capacity)
            for i in range(1, self.rasas + 1):
                self.spawn_rasa(i)
            for i in range(1, self.rasas + 1):
                self.wait_rasa(i)
            for i in range(1, self.hubs + 1):
                self.start_hub(i)  # one after the other: demo mode refreshes shared demo logins
            self.start_haproxy()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM every process (load balancer first, databases last), then stop PostgreSQL."""
        order = ["haproxy", *[n for n in self.procs if n.startswith("hub")]]
        order += [n for n in self.procs if n.startswith("rasa")] + ["redis"]
        for name in order:
            proc = self.procs.get(name)
            if proc is not None and proc.popen.poll() is None:
                proc.popen.terminate()
        for name in order:
            proc = self.procs.get(name)
            if proc is None:
                continue
            try:
                proc.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(timeout=30)
        self.stop_postgres()

    def describe(self) -> Iterator[str]:
        """Lines saying where everything is."""
        stats = f"http://127.0.0.1:{self.port('lb_stats')}/"
        yield f"  load balancer  {self.lb_url}/  (HAProxy stats: {stats})"
        for i in range(1, self.hubs + 1):
            yield f"  hub {i}          {self.hub_url(i)}/health   log {self.logs / f'hub{i}.log'}"
        for i in range(1, self.rasas + 1):
            yield f"  rasa {i}         {self.rasa_url(i)}/   log {self.logs / f'rasa{i}.log'}"
        yield f"  PostgreSQL     {self.db_url()}  (tracker store: {self.db_url('rasa_tracker')})"
        yield f"  Redis          {self.redis_url}"


def main(argv: list[str] | None = None) -> int:
    """``python -m deploy.cluster``: start the cluster, print where things are, wait for Ctrl-C."""
    del argv
    cluster = Cluster(
        workdir=REPO / "var" / "cluster",
        hubs=int(os.environ.get("CLUSTER_HUBS", "2")),
        rasas=int(os.environ.get("CLUSTER_RASAS", "2")),
        lb_port=int(os.environ.get("CLUSTER_PORT", "8090")),
        demo=True,
        token_secret=os.environ.get("CUSTOMER_TOKEN_SECRET") or secrets.token_hex(24),
        rasa_token=os.environ.get("RASA_AUTH_TOKEN") or secrets.token_hex(16),
        metrics_token=os.environ.get("HUB_METRICS_TOKEN") or secrets.token_hex(16),
        hub_env={"HUB_RASA_TIMEOUT": os.environ.get("HUB_RASA_TIMEOUT", "10")},
    )

    def on_signal(signum: int, frame: object) -> None:
        del signum, frame
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    print("==> starting the cluster (logs in var/cluster/log/)", flush=True)
    try:
        cluster.start()
        print("==> cluster is up", flush=True)
        for line in cluster.describe():
            print(line, flush=True)
        demo = REPO / "var" / "demo-agent.json"
        if demo.exists():
            print(f"  demo logins    {demo} (console: {cluster.lb_url}/console)", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while True:
            for name, proc in cluster.procs.items():
                if proc.popen.poll() is not None:
                    print(f"error: {name} stopped ({proc.popen.returncode}):\n{proc.tail()}",
                          file=sys.stderr)  # fmt: skip
                    return 1
            time.sleep(1.0)
    except KeyboardInterrupt:
        return 0
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        print("==> stopping the cluster", flush=True)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        cluster.stop()


if __name__ == "__main__":
    raise SystemExit(main())
