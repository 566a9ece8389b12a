"""The hub's one settings object: the environment plus the ``hub.yml`` policy.

Built once at start-up (``HubSettings.from_env()``: environment variables, and the policy file
they point to) and passed to the composition root; nothing else reads ``os.environ`` or
``hub.yml``, and every limit is read from here. Tests build the object directly with the
values they need (random ports, a temporary SQLite file, a fake Rasa, a policy).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import yaml  # type: ignore[import-untyped]

from hub.domain.errors import ConfigError
from hub.domain.policy import HubConfig, config_from_mapping

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
DEFAULT_POLICY_PATH: Final = REPO_ROOT / "hub.yml"

_TRUE = {"1", "true", "yes", "on"}


class SettingsError(ValueError):
    """An environment variable holds a value the hub cannot run with."""


def _default_database_url() -> str:
    return f"sqlite:///{REPO_ROOT / 'var' / 'payassist.db'}"


def tracker_store_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """Rasa's tracker store (``TRACKER_STORE_URL``; default ``var/tracker.db`` in the repo)."""
    env = os.environ if environ is None else environ
    return (
        env.get("TRACKER_STORE_URL", "").strip() or f"sqlite:///{REPO_ROOT / 'var' / 'tracker.db'}"
    )


@dataclass(frozen=True)
class HubSettings:
    """Everything the hub process needs to know about its surroundings.

    Attributes:
        database_url: SQLAlchemy URL of the store shared with the actions.
        rasa_url: Base URL of the Rasa server (REST webhook and HTTP API).
        rasa_auth_token: Token for Rasa's HTTP API (``--auth-token``); needed to resume
            a paused conversation on hand-back.
        customer_token_secret: HS256 secret of customer identity tokens; ``None`` means
            every customer is anonymous.
        host: Interface the hub listens on.
        port: TCP port the hub listens on (0 picks a free one, used by tests).
        redis_url: When set, Socket.IO events fan out through Redis across processes.
        demo: Demo mode: demo pages, demo token minting and a demo agent are enabled.
        rasa_timeout_seconds: Per-request timeout towards Rasa; beyond it the bot counts
            as failing for that message.
        rasa_failure_threshold: Consecutive Rasa failures after which a customer is
            handed to a person (connection refused hands off at once).
        rasa_max_concurrency: Requests the hub has at Rasa at once; more wait their turn in
            the hub (``HUB_RASA_CONCURRENCY``, see ``connectors/rasa_client.py``).
        requeue_interval_seconds: How often the grace-period requeue sweep runs.
        heartbeat_interval_seconds: How often this process marks its connected agents as
            alive (``last_seen_at``); ``presence_timeout_seconds`` in ``hub.yml`` must be at
            least twice this.
        session_check_interval_seconds: How often this process re-checks the sessions of its
            open agent sockets and disconnects those that expired or were revoked (a logout
            through the hub cuts its sockets off at once).
        static_dir: Where the built widget and console live.
        log_level: Root log level name.
        cors_origins: Extra origins allowed to open customer sockets (host sites that
            embed the widget); ``*`` allows any. Same-origin always works.
        trusted_proxies: Networks of reverse proxies whose ``X-Forwarded-For`` names the
            client for the per-client limits (``HUB_TRUSTED_PROXIES``, comma-separated CIDRs);
            empty: the TCP peer is the client and the header is ignored.
            embed the widget); ``*`` allows any. Same-origin always works. From
            ``HUB_CORS_ORIGINS``; unset, demo mode allows any origin (embedding on another
            local page works out of the box) and production only the hub's own.
        metadata_key: The ``user_uttered`` field customers' metadata (and so the customer
            token) is read from, as Rasa's ``metadata_key`` in credentials.yml: ``metadata``
            (Rasa's default), ``customData`` for rasa-webchat (``HUB_METADATA_KEY``).
        policy: Queues, business hours and limits (``hub.yml``, see ``hub.domain.policy``);
            ``HUB_MAX_TEXT_CHARS`` overrides its ``max_message_chars``.
        rasa_urls: Several Rasa servers (``RASA_URLS``, comma-separated); when given, the hub
            spreads turns over them with health checks and failover
            (``connectors/rasa_pool.py``) and ``rasa_url`` is not used.
        rasa_health_interval_seconds: How often each Rasa server's health is checked
            (``HUB_RASA_HEALTH_INTERVAL``).
        demo_credentials_path: Where demo mode saves the demo logins (0600) for the run
            command's banner.
        tracker_store_url: Rasa's SQL tracker store (``TRACKER_STORE_URL``), purged by the
            retention job and erased with a customer; None: trackers are not the hub's concern.
        behind_tls: The hub is reached over HTTPS (TLS terminated in front of it,
            ``HUB_BEHIND_TLS``): session cookies get ``Secure`` and the ``__Host-`` prefix, and
            responses carry ``Strict-Transport-Security`` (docs/security.md).
        public_origin: The origin browsers use for the console (``HUB_PUBLIC_ORIGIN``, e.g.
            ``https://hub.example.com``); state-changing console requests and cookie-signed agent
            sockets must come from it. Unset: the origin must match the request's ``Host``.
        metrics_token: Bearer token a scraper sends for ``/metrics`` (``HUB_METRICS_TOKEN``);
            unset, only a supervisor's session can read it.
    """

    database_url: str = field(default_factory=_default_database_url)
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_auth_token: str | None = None
    customer_token_secret: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    redis_url: str | None = None
    demo: bool = False
    rasa_timeout_seconds: float = 5.0
    rasa_failure_threshold: int = 2
    rasa_max_concurrency: int = 8
    requeue_interval_seconds: float = 5.0
    heartbeat_interval_seconds: float = 15.0
    session_check_interval_seconds: float = 5.0
    # --- Rasa servers (issue 18: scale-out) ---
    rasa_urls: tuple[str, ...] = ()
    rasa_health_interval_seconds: float = 2.0
    # --- end Rasa servers ---
    static_dir: Path = field(default_factory=lambda: REPO_ROOT / "hub" / "static")
    log_level: str = "INFO"
    cors_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    metadata_key: str = "metadata"
    policy: HubConfig = field(default_factory=HubConfig)
    demo_credentials_path: Path = field(
        default_factory=lambda: REPO_ROOT / "var" / "demo-agent.json"
    )
    tracker_store_url: str | None = None  # issue 17
    # ---- HTTP security (issue 17, connectors/security.py) ----
    behind_tls: bool = False
    public_origin: str | None = None
    metrics_token: str | None = None
    # ---- end HTTP security ----

    def __post_init__(self) -> None:
        """Reject values that would make the hub misbehave quietly."""
        if self.rasa_timeout_seconds <= 0:
            raise SettingsError("HUB_RASA_TIMEOUT must be a positive number of seconds")
        if self.rasa_failure_threshold < 1:
            raise SettingsError("HUB_RASA_FAILURES must be at least 1")
        if self.rasa_max_concurrency < 1:
            raise SettingsError("HUB_RASA_CONCURRENCY must be at least 1")
        if self.rasa_health_interval_seconds <= 0:
            raise SettingsError("HUB_RASA_HEALTH_INTERVAL must be positive")
        for url in self.rasa_urls:
            if not url.startswith(("http://", "https://")):
                raise SettingsError(f"Rasa URLs must start with http:// or https://, got {url!r}")
        if len(set(self.rasa_urls)) != len(self.rasa_urls):
            raise SettingsError("RASA_URLS names the same server twice")
        if self.requeue_interval_seconds <= 0:
            raise SettingsError("HUB_REQUEUE_INTERVAL must be positive")
        if self.heartbeat_interval_seconds <= 0:
            raise SettingsError("HUB_HEARTBEAT_INTERVAL must be positive")
        if self.session_check_interval_seconds <= 0:
            raise SettingsError("HUB_SESSION_CHECK_INTERVAL must be positive")
        for network in self.trusted_proxies:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise SettingsError(
                    "HUB_TRUSTED_PROXIES must be comma-separated IP addresses or networks"
                ) from exc
        if self.public_origin is not None and not _is_origin(self.public_origin):
            raise SettingsError(
                "HUB_PUBLIC_ORIGIN must be scheme://host[:port], e.g. https://hub.example.com"
            )
        if self.metrics_token is not None and len(self.metrics_token) < 16:
            raise SettingsError("HUB_METRICS_TOKEN must be at least 16 characters")
        if not self.metadata_key:
            raise SettingsError("HUB_METADATA_KEY must not be empty")
        if not 0 <= self.port <= 65535:
            raise SettingsError("HUB_PORT must be a TCP port number")
        if self.policy.presence_timeout.total_seconds() < 2 * self.heartbeat_interval_seconds:
            # One late beat must not make a connected agent look gone.
            raise SettingsError(
                "presence_timeout_seconds (hub.yml) must be at least twice HUB_HEARTBEAT_INTERVAL"
            )

    @property
    def rasa_servers(self) -> tuple[str, ...]:
        """The Rasa base URLs the hub talks to: ``rasa_urls``, or the one ``rasa_url``."""
        return self.rasa_urls or (self.rasa_url,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> HubSettings:
        """Build settings from environment variables (see docs/architecture.md).

        Args:
            environ: The mapping to read; ``os.environ`` when omitted.

        Returns:
            The settings, with defaults for unset variables.

        Raises:
            SettingsError: A variable is set to something unusable.
            ConfigError: The policy file (``HUB_CONFIG`` or ``hub.yml``) is missing or invalid.
        """
        env = os.environ if environ is None else environ

        def text(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def number(name: str, default: float) -> float:
            raw = text(name)
            if raw is None:
                return default
            try:
                return float(raw)
            except ValueError as exc:
                raise SettingsError(f"{name} must be a number") from exc

        def integer(name: str, default: int) -> int:
            raw = text(name)
            if raw is None:
                return default
            try:
                return int(raw)
            except ValueError as exc:
                raise SettingsError(f"{name} must be an integer") from exc

        static_dir = text("HUB_STATIC_DIR")
        config_path = text("HUB_CONFIG")
        policy = load_policy(Path(config_path) if config_path else None)
        demo = (text("PAYASSIST_DEMO") or "").lower() in _TRUE
        origins = text("HUB_CORS_ORIGINS")
        max_text = text("HUB_MAX_TEXT_CHARS")
        if max_text is not None:
            chars = integer("HUB_MAX_TEXT_CHARS", policy.max_message_chars)
            if chars < 1:
                raise SettingsError("HUB_MAX_TEXT_CHARS must be at least 1")
            policy = dataclasses.replace(policy, max_message_chars=chars)
        return cls(
            database_url=text("DATABASE_URL") or _default_database_url(),
            rasa_url=(text("RASA_URL") or "http://127.0.0.1:5005").rstrip("/"),
            rasa_auth_token=text("RASA_AUTH_TOKEN"),
            customer_token_secret=text("CUSTOMER_TOKEN_SECRET"),
            host=text("HUB_HOST") or "127.0.0.1",
            port=integer("HUB_PORT", 8080),
            redis_url=text("REDIS_URL"),
            demo=demo,
            rasa_timeout_seconds=number("HUB_RASA_TIMEOUT", 5.0),
            rasa_failure_threshold=integer("HUB_RASA_FAILURES", 2),
            rasa_max_concurrency=integer("HUB_RASA_CONCURRENCY", 8),
            requeue_interval_seconds=number("HUB_REQUEUE_INTERVAL", 5.0),
            heartbeat_interval_seconds=number("HUB_HEARTBEAT_INTERVAL", 15.0),
            session_check_interval_seconds=number("HUB_SESSION_CHECK_INTERVAL", 5.0),
            # --- Rasa servers (issue 18: scale-out) ---
            rasa_urls=tuple(
                u.strip().rstrip("/") for u in (text("RASA_URLS") or "").split(",") if u.strip()
            ),
            rasa_health_interval_seconds=number("HUB_RASA_HEALTH_INTERVAL", 2.0),
            # --- end Rasa servers ---
            static_dir=Path(static_dir) if static_dir else REPO_ROOT / "hub" / "static",
            log_level=(text("HUB_LOG_LEVEL") or "INFO").upper(),
            trusted_proxies=tuple(
                p.strip() for p in (text("HUB_TRUSTED_PROXIES") or "").split(",") if p.strip()
            ),
            cors_origins=allowed_origins(origins, demo=demo),
            metadata_key=text("HUB_METADATA_KEY") or "metadata",
            policy=policy,
            tracker_store_url=tracker_store_url_from_env(env),
            behind_tls=(text("HUB_BEHIND_TLS") or "").lower() in _TRUE,
            public_origin=(text("HUB_PUBLIC_ORIGIN") or "").rstrip("/") or None,
            metrics_token=text("HUB_METRICS_TOKEN"),
        )


def _is_origin(value: str) -> bool:
    """``scheme://host[:port]`` with nothing after it (what browsers send as ``Origin``)."""
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc) and not parts.path.strip("/")


def allowed_origins(setting: str | None, *, demo: bool) -> tuple[str, ...]:
    """The host-site origins that may open customer sockets, from ``HUB_CORS_ORIGINS``.

    A comma-separated list (``*`` = any). Unset: any origin in demo mode, none but the hub's
    own otherwise. Origins are compared exactly (scheme, host and port, no trailing slash).
    """
    if setting is None:
        return ("*",) if demo else ()
    return tuple(o.strip().rstrip("/") for o in setting.split(",") if o.strip())


def load_policy(path: Path | None = None) -> HubConfig:
    """Read the policy from ``path``, or from ``hub.yml`` at the repository root if it exists.

    Raises:
        ConfigError: An explicit file is missing, or the file is malformed.
    """
    target = path or DEFAULT_POLICY_PATH
    if not target.exists():
        if path is not None:
            raise ConfigError(f"config file {path} does not exist")
        return HubConfig()
    try:
        raw = yaml.safe_load(target.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{target} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{target} must contain a mapping")
    return config_from_mapping(raw)
