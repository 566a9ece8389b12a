"""The hub's aiohttp application: Socket.IO namespaces, HTTP API, health and metrics.

``create_app(settings)`` builds everything from one settings object; nothing is created at
import time. Tests pass their own settings (temporary database, fake Rasa) or a ready
``HubService``; ``python -m hub`` passes settings from the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web
from argon2 import PasswordHasher
from sqlalchemy.exc import OperationalError

from common.explicit_request import ExplicitRequestGuard, ExplicitRequestMatch
from common.identity import mint_customer_token, verify_customer_token
from connectors.agent import AgentNamespace
from connectors.customer import CustomerNamespace, jsonable
from connectors.fanout import make_manager
from connectors.rasa_client import RasaClient
from hub.config import load_config
from hub.errors import HubError
from hub.logging import log_event
from hub.metrics import HubMetrics
from hub.service import HubService
from hub.settings import HubSettings, SettingsError
from hub.store import HubStore
from store.db import create_engine_from_url, make_session_factory
from store.errors import StoreError
from store.repository import PaymentsRepository

logger = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", HubSettings)
SERVICE = web.AppKey("service", HubService)
SIO = web.AppKey("sio", socketio.AsyncServer)
RASA = web.AppKey("rasa", RasaClient)
METRICS = web.AppKey("metrics", HubMetrics)
CUSTOMERS = web.AppKey("customers", CustomerNamespace)
AGENTS = web.AppKey("agents", AgentNamespace)
PAYMENTS = web.AppKey("payments", PaymentsRepository)
STORE = web.AppKey("store", HubStore)

DEMO_TOKEN_TTL = timedelta(hours=1)
# Engine.IO drops frames above this size before any handler runs; the text limit is
# enforced (with an ``error`` event) well below it.
MAX_FRAME_BYTES = 256 * 1024


def utcnow() -> datetime:
    """The hub's clock (UTC, timezone-aware)."""
    return datetime.now(timezone.utc)


def _token_verifier(settings: HubSettings) -> Callable[[object], str | None]:
    secret = settings.customer_token_secret

    def verify(token: object) -> str | None:
        if secret is None:
            return None
        verified = verify_customer_token(token, secret)
        return verified.customer_ref if verified is not None else None

    return verify


def _explicit_detector(guard: ExplicitRequestGuard) -> Callable[[str], ExplicitRequestMatch | None]:
    def detect(text: str) -> ExplicitRequestMatch | None:
        match = guard.match(text)
        return match if match.matched else None

    return detect


def create_app(
    settings: HubSettings,
    *,
    clock: Callable[[], datetime] = utcnow,
    password_hasher: PasswordHasher | None = None,
) -> web.Application:
    """Build the hub application.

    Args:
        settings: Where the database, Rasa and Redis are, limits, demo mode.
        clock: Source of "now" for the service and the requeue sweep (tests pass a fake).
        password_hasher: argon2 hasher for agent passwords; tests pass a cheap one.

    Returns:
        The aiohttp application; run it with ``web.run_app`` or an ``AppRunner``.
    """
    config = load_config(settings.hub_config_path)
    if config.presence_timeout.total_seconds() < 2 * settings.heartbeat_interval_seconds:
        # One late beat must not make a connected agent look gone.
        raise SettingsError(
            "presence_timeout_seconds (hub.yml) must be at least twice HUB_HEARTBEAT_INTERVAL"
        )
    engine = create_engine_from_url(settings.database_url)
    payments = PaymentsRepository(make_session_factory(engine))
    hub_store = HubStore.from_url(settings.database_url)
    service = HubService(hub_store, payments, config, clock, password_hasher=password_hasher)

    metrics = HubMetrics()
    rasa = RasaClient(
        settings.rasa_url,
        settings.rasa_auth_token,
        settings.rasa_timeout_seconds,
        metrics,
        max_concurrency=settings.rasa_max_concurrency,
    )
    manager = make_manager(settings.redis_url)
    cors: str | list[str] | None
    cors = "*" if "*" in settings.cors_origins else list(settings.cors_origins) or None
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=cors,
        max_http_buffer_size=MAX_FRAME_BYTES,
        logger=False,
        engineio_logger=False,
    )
    customers = CustomerNamespace(
        service,
        rasa,
        verify_token=_token_verifier(settings),
        detect_explicit=_explicit_detector(ExplicitRequestGuard.from_file()),
        max_text_chars=settings.max_text_chars,
        failure_threshold=settings.rasa_failure_threshold,
        # A bot turn's short store calls skip the thread hop on an in-process SQLite file
        # that only this hub writes; with Redis fan-out other hub processes write it too.
        inline_short_calls=service.store_is_embedded and not settings.redis_url,
    )
    agents = AgentNamespace(service, customers, max_text_chars=settings.max_text_chars)
    customers.agents = agents
    manager.on_signal(agents.namespace, agents.on_queues_signal)
    sio.register_namespace(customers)
    sio.register_namespace(agents)

    app = web.Application(client_max_size=64 * 1024, middlewares=[_store_errors])
    app[SETTINGS] = settings
    app[SERVICE] = service
    app[SIO] = sio
    app[RASA] = rasa
    app[METRICS] = metrics
    app[CUSTOMERS] = customers
    app[AGENTS] = agents
    app[PAYMENTS] = payments
    app[STORE] = hub_store
    sio.attach(app)

    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics_view)
    app.router.add_post("/api/agent/login", agent_login)
    app.router.add_post("/api/agent/logout", agent_logout)
    app.router.add_get("/api/demo/customers", demo_customers)
    app.router.add_post("/api/demo/token", demo_token)
    app.router.add_get("/", page_index)
    app.router.add_get("/console", page_console)
    app.router.add_get("/widget.js", widget_js)
    app.router.add_get("/static/{tail:.+}", static_file)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await rasa.start()
        loops = [
            asyncio.create_task(_requeue_loop(agents, settings, clock)),
            asyncio.create_task(_heartbeat_loop(agents, settings)),
        ]
        log_event(logger, "hub.started", demo=settings.demo, redis=settings.redis_url is not None)
        yield
        for loop in loops:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        await customers.drain()
        await agents.drain()
        await manager.close()
        await rasa.close()
        engine.dispose()
        hub_store.dispose()
        log_event(logger, "hub.stopped")

    async def stop_sockets(app: web.Application) -> None:
        # Before the server goes: close client connections (they reconnect and resume
        # elsewhere) and end Engine.IO's ping and service tasks cleanly.
        # wait=False: a socket whose peer already vanished would never drain its queue.
        for socket in list(sio.eio.sockets.values()):
            await socket.close(wait=False, reason=sio.eio.reason.SERVER_DISCONNECT)
        sio.eio.sockets.clear()
        await sio.shutdown()

    app.on_shutdown.append(stop_sockets)  # type: ignore[arg-type]  # aiohttp 3.9 stubs
    app.cleanup_ctx.append(lifecycle)
    return app


async def _requeue_loop(
    agents: AgentNamespace, settings: HubSettings, clock: Callable[[], datetime]
) -> None:
    """Every few seconds, requeue conversations of agents gone past their grace period."""
    while True:
        await asyncio.sleep(settings.requeue_interval_seconds)
        try:
            await agents.requeue_sweep(clock())
        except Exception:
            # The sweep must keep running; the next round retries.
            log_event(logger, "hub.requeue_failed", level=logging.ERROR, exc_info=True)


async def _heartbeat_loop(agents: AgentNamespace, settings: HubSettings) -> None:
    """Keep this process's connected agents fresh, so routing knows this hub is alive."""
    while True:
        await asyncio.sleep(settings.heartbeat_interval_seconds)
        try:
            await agents.heartbeat()
        except Exception:
            # A missed beat is tolerated (the timeout spans several); the next one retries.
            log_event(logger, "hub.heartbeat_failed", level=logging.ERROR, exc_info=True)


# ---- HTTP handlers ----------------------------------------------------------------------


@web.middleware
async def _store_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Map an unreachable database to 503 with a log line (the one HTTP error boundary)."""
    try:
        return await handler(request)
    except (StoreError, OperationalError) as exc:
        log_event(
            logger,
            "http.store_unavailable",
            level=logging.ERROR,
            path=request.path,
            error=type(exc).__name__,
        )
        return _json_error(503, "unavailable", "The service is temporarily unavailable.")


def _json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def _json_body(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


async def health(request: web.Request) -> web.Response:
    """Store and Rasa status; 200 only when the store works (Rasa down is reported, not fatal).

    The hub keeps serving with Rasa down (customers fail open to people), so a load
    balancer should only take the hub out when its store is gone.
    """
    try:
        await asyncio.to_thread(request.app[STORE].ping)
        store_status = "ok"
    except Exception as exc:
        log_event(logger, "health.store_failed", level=logging.ERROR, error=type(exc).__name__)
        store_status = "down"
    rasa_status = "ok" if await request.app[RASA].health() else "down"
    status = "ok" if store_status == "ok" and rasa_status == "ok" else "degraded"
    if store_status != "ok":
        status = "down"
    body = {"status": status, "components": {"store": store_status, "rasa": rasa_status}}
    return web.json_response(body, status=200 if store_status == "ok" else 503)


async def metrics_view(request: web.Request) -> web.Response:
    """Prometheus text exposition of this hub's metrics."""
    stats = await asyncio.to_thread(request.app[SERVICE].stats)
    body = request.app[METRICS].render(stats)
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})


async def agent_login(request: web.Request) -> web.Response:
    """Exchange username and password for a session token (for the ``/agent`` socket)."""
    body = await _json_body(request)
    username = body.get("username") if body else None
    password = body.get("password") if body else None
    if not isinstance(username, str) or not isinstance(password, str):
        return _json_error(400, "malformed", "Send JSON with username and password.")
    try:
        session = await asyncio.to_thread(request.app[SERVICE].login, username, password)
    except HubError as exc:
        log_event(logger, "agent.login_refused", level=logging.WARNING, code=exc.code)
        return _json_error(429, exc.code, "Too many attempts; try again later.")
    if session is None:
        log_event(logger, "agent.login_failed", level=logging.WARNING)
        return _json_error(401, "invalid_credentials", "Wrong username or password.")
    log_event(logger, "agent.logged_in", agent_id=session.agent_id)
    return web.json_response(jsonable(session))


async def agent_logout(request: web.Request) -> web.Response:
    """End a session; the token stops working on its next socket event."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    if token is None:
        body = await _json_body(request)
        candidate = body.get("token") if body else None
        token = candidate if isinstance(candidate, str) else None
    if not token:
        return _json_error(400, "malformed", "Send the session token.")
    await asyncio.to_thread(request.app[SERVICE].logout, token)
    return web.Response(status=204)


def _require_demo(request: web.Request) -> None:
    if not request.app[SETTINGS].demo:
        raise web.HTTPNotFound()


async def demo_customers(request: web.Request) -> web.Response:
    """Demo customers for the demo page's "chat as" picker (demo mode only)."""
    _require_demo(request)
    customers = await asyncio.to_thread(request.app[PAYMENTS].list_customers)
    return web.json_response(
        {"customers": [{"customer_ref": c.customer_ref, "name": c.name} for c in customers]}
    )


async def demo_token(request: web.Request) -> web.Response:
    """Mint a customer token the way a host site would (demo mode only)."""
    _require_demo(request)
    settings = request.app[SETTINGS]
    if settings.customer_token_secret is None:
        return _json_error(503, "not_configured", "CUSTOMER_TOKEN_SECRET is not set.")
    body = await _json_body(request)
    ref = body.get("customer_ref") if body else None
    if not isinstance(ref, str) or not ref:
        return _json_error(400, "malformed", "Send JSON with customer_ref.")
    customer = await asyncio.to_thread(request.app[PAYMENTS].get_customer, ref)
    if customer is None:
        return _json_error(404, "not_found", "No such demo customer.")
    now = utcnow()
    token = mint_customer_token(
        customer.customer_ref,
        settings.customer_token_secret,
        DEMO_TOKEN_TTL,
        now,
        name=customer.name,
    )
    return web.json_response(
        {
            "token": token,
            "customer_ref": customer.customer_ref,
            "expires_at": (now + DEMO_TOKEN_TTL).isoformat(),
        }
    )


def _file(request: web.Request, *candidates: str) -> web.StreamResponse:
    root = request.app[SETTINGS].static_dir
    for name in candidates:
        path = root / name
        if path.is_file():
            return web.FileResponse(path)
    raise web.HTTPNotFound()


async def page_index(request: web.Request) -> web.StreamResponse:
    """The demo merchant page (demo mode only)."""
    _require_demo(request)
    return _file(request, "index.html")


async def page_console(request: web.Request) -> web.StreamResponse:
    """The agent console."""
    return _file(request, "console.html", "console/index.html")


async def widget_js(request: web.Request) -> web.StreamResponse:
    """The embeddable customer widget."""
    return _file(request, "widget.js")


async def static_file(request: web.Request) -> web.StreamResponse:
    """Files under ``hub/static/``; paths escaping the directory are refused."""
    root: Path = request.app[SETTINGS].static_dir.resolve()
    try:
        path = (root / request.match_info["tail"]).resolve()
    except (OSError, ValueError) as exc:
        raise web.HTTPNotFound() from exc
    if not path.is_relative_to(root) or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path)
