"""The hub's HTTP surface: agent login, health, metrics, demo helpers and the built pages.

Errors are mapped to statuses in one place (:func:`error_boundary`): domain errors by their
code, an unreachable database to 503.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, Final

from aiohttp import web
from sqlalchemy.exc import OperationalError

from common.identity import mint_customer_token
from connectors.client_address import IPNetwork, client_address
from connectors.json import dumps, to_json
from connectors.metrics import HubMetrics
from connectors.push import AgentPush
from connectors.rasa_pool import RasaPool
from connectors.security import BROWSER_VERIFIED, BrowserSecurity, operator_allowed
from hub.domain.errors import HubError
from hub.logging import log_event
from hub.services.clock import system_clock
from hub.services.login_throttle import LoginThrottle, retry_after_header
from hub.services.wiring import HubServices
from hub.settings import HubSettings
from store.errors import StoreError
from store.repository import PaymentsRepository

logger = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", HubSettings)
SERVICES = web.AppKey("services", HubServices)
RASA = web.AppKey("rasa", RasaPool)
METRICS = web.AppKey("metrics", HubMetrics)
PAYMENTS = web.AppKey("payments", PaymentsRepository)
AGENT_CHANNEL = web.AppKey("agent_channel", AgentPush)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
# Reverse proxies whose X-Forwarded-For names the client (connectors/client_address.py).
TRUSTED_PROXIES = web.AppKey("trusted_proxies", tuple[IPNetwork, ...])
SECURITY = web.AppKey("security", BrowserSecurity)
# Password checks (argon2) run here, never on the threads every other hub call shares.
LOGIN_EXECUTOR = web.AppKey("login_executor", ThreadPoolExecutor)

DEMO_TOKEN_TTL: Final = timedelta(hours=1)
# HTTP status of each domain error code; anything else is a 400.
STATUS_OF_CODE: Final[Mapping[str, int]] = {
    "not_found": 404,
    "not_allowed": 403,
    "unauthorized": 401,
    "invalid_input": 400,
    "invalid_state": 409,
    "invalid_transition": 409,
    "claim_conflict": 409,
    "capacity_reached": 409,
    "identity_mismatch": 409,
    "too_many_attempts": 429,
}


def json_response(body: Any, status: int = 200) -> web.Response:
    """A JSON response encoded with the hub's one encoder."""
    return web.json_response(body, status=status, dumps=dumps)


def json_error(status: int, code: str, message: str) -> web.Response:
    """An error body ``{"error": {code, message}}``."""
    return json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def error_boundary(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Map domain errors by code and an unreachable database to 503, with a log line."""
    try:
        return await handler(request)
    except HubError as exc:
        status = STATUS_OF_CODE.get(exc.code, 400)
        log_event(logger, "http.refused", level=logging.INFO, path=request.path, code=exc.code)
        return json_error(status, exc.code, "The request was refused.")
    except (StoreError, OperationalError) as exc:
        log_event(
            logger,
            "http.store_unavailable",
            level=logging.ERROR,
            path=request.path,
            error=type(exc).__name__,
        )
        return json_error(503, "unavailable", "The service is temporarily unavailable.")


async def _json_body(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


async def health(request: web.Request) -> web.Response:
    """Store and Rasa status; 200 only when the store works (Rasa down is reported, not fatal).

    The hub keeps serving with Rasa down (customers fail open to people), so a load balancer
    should only take the hub out when its store is gone.
    """
    try:
        await asyncio.to_thread(request.app[SERVICES].store.ping)
        store_status = "ok"
    except Exception as exc:
        log_event(logger, "health.store_failed", level=logging.ERROR, error=type(exc).__name__)
        store_status = "down"
    rasa_status = "ok" if await request.app[RASA].health() else "down"
    status = "ok" if store_status == "ok" and rasa_status == "ok" else "degraded"
    if store_status != "ok":
        status = "down"
    body = {"status": status, "components": {"store": store_status, "rasa": rasa_status}}
    return json_response(body, status=200 if store_status == "ok" else 503)


async def metrics_view(request: web.Request) -> web.Response:
    """Prometheus text exposition of this hub's metrics (operators only).

    ``Authorization: Bearer <HUB_METRICS_TOKEN>``, or a supervisor's session (bearer token or
    the console's cookie); anyone else gets ``401``.
    """
    services = request.app[SERVICES]
    if not await operator_allowed(request, request.app[SECURITY], services.agents.authenticate):
        log_event(logger, "http.metrics_refused", level=logging.WARNING)
        response = json_error(401, "unauthorized", "Send the metrics token or sign in.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    stats = await asyncio.to_thread(request.app[SERVICES].stats.stats)
    body = request.app[METRICS].render(stats)
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})


async def agent_login(request: web.Request) -> web.Response:
    """Exchange username and password for a session token (for the ``/agent`` socket).

    Throttled per client address (:mod:`hub.services.login_throttle`): ``429`` with
    ``Retry-After``, never a lockout of the account.
    """
    body = await _json_body(request)
    username = body.get("username") if body else None
    password = body.get("password") if body else None
    if not isinstance(username, str) or not isinstance(password, str):
        return json_error(400, "malformed", "Send JSON with username and password.")
    throttle = request.app[LOGIN_THROTTLE]
    proxies: tuple[IPNetwork, ...] = request.app[TRUSTED_PROXIES]
    client = client_address(request, proxies)
    wait = throttle.admit(client, username)
    if wait is not None:
        log_event(logger, "agent.login_throttled", level=logging.WARNING)
        response = json_error(429, "too_many_attempts", "Too many attempts; try again later.")
        response.headers["Retry-After"] = retry_after_header(wait)
        return response
    ok: bool | None = None
    try:
        session = await asyncio.get_running_loop().run_in_executor(
            request.app[LOGIN_EXECUTOR],
            partial(request.app[SERVICES].agents.login, username, password),
        )
        ok = session is not None
    finally:
        throttle.finish(client, username, ok)
    if session is None:
        log_event(logger, "agent.login_failed", level=logging.WARNING)
        return json_error(401, "invalid_credentials", "Wrong username or password.")
    log_event(logger, "agent.logged_in", agent_id=session.agent_id)
    security = request.app[SECURITY]
    if not request.get(BROWSER_VERIFIED):
        return json_response(to_json(session))
    # The console: the token goes into an HttpOnly cookie only, never to the page's script.
    body = {k: v for k, v in to_json(session).items() if k != "token"}
    response = json_response(body)
    security.set_session_cookie(response, session.token)
    return response


async def agent_logout(request: web.Request) -> web.Response:
    """End a session; the sockets opened with it are cut off before the answer.

    The session is the bearer token, the ``token`` of a JSON body, or the console's cookie
    (which the answer removes). On other hub processes (Redis) the sockets are cut off as soon
    as the signal arrives there.
    """
    security = request.app[SECURITY]
    token = security.session_token(request)
    if token is None:
        body = await _json_body(request)
        candidate = body.get("token") if body else None
        token = candidate if isinstance(candidate, str) else None
    if not token:
        return json_error(400, "malformed", "Send the session token.")
    agent_id = await asyncio.to_thread(request.app[SERVICES].presence.logout, token)
    if agent_id is not None:
        await request.app[AGENT_CHANNEL].sessions_ended(agent_id)
    response = web.Response(status=204)
    if security.session_cookie in request.cookies:
        security.clear_session_cookie(response)
    return response


def _require_demo(request: web.Request) -> None:
    if not request.app[SETTINGS].demo:
        raise web.HTTPNotFound()


async def demo_customers(request: web.Request) -> web.Response:
    """Demo customers for the demo page's "chat as" picker (demo mode only)."""
    _require_demo(request)
    customers = await asyncio.to_thread(request.app[PAYMENTS].list_customers)
    return json_response(
        {"customers": [{"customer_ref": c.customer_ref, "name": c.name} for c in customers]}
    )


async def demo_token(request: web.Request) -> web.Response:
    """Mint a customer token the way a host site would (demo mode only)."""
    _require_demo(request)
    settings = request.app[SETTINGS]
    if settings.customer_token_secret is None:
        return json_error(503, "not_configured", "CUSTOMER_TOKEN_SECRET is not set.")
    body = await _json_body(request)
    ref = body.get("customer_ref") if body else None
    if not isinstance(ref, str) or not ref:
        return json_error(400, "malformed", "Send JSON with customer_ref.")
    customer = await asyncio.to_thread(request.app[PAYMENTS].get_customer, ref)
    if customer is None:
        return json_error(404, "not_found", "No such demo customer.")
    now = system_clock()
    token = mint_customer_token(
        customer.customer_ref,
        settings.customer_token_secret,
        DEMO_TOKEN_TTL,
        now,
        name=customer.name,
    )
    return json_response(
        {
            "token": token,
            "customer_ref": customer.customer_ref,
            "expires_at": (now + DEMO_TOKEN_TTL).isoformat(),
        }
    )


def _page(name: str, *, demo_only: bool = False) -> Callable[[web.Request], Awaitable[Any]]:
    """A handler serving one built file of the static directory."""

    async def serve(request: web.Request) -> web.StreamResponse:
        if demo_only:
            _require_demo(request)
        path: Path = request.app[SETTINGS].static_dir / name
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    return serve


def add_routes(app: web.Application, static_dir: Path) -> None:
    """Every HTTP route of the hub."""
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics_view)
    app.router.add_post("/api/agent/login", agent_login)
    app.router.add_post("/api/agent/logout", agent_logout)
    app.router.add_get("/api/demo/customers", demo_customers)
    app.router.add_post("/api/demo/token", demo_token)
    app.router.add_get("/", _page("index.html", demo_only=True))
    app.router.add_get("/console", _page("console.html"))
    app.router.add_get("/widget.js", _page("widget.js"))
    if static_dir.is_dir():
        app.router.add_static("/static", static_dir, follow_symlinks=False)
    else:
        log_event(logger, "http.static_missing", level=logging.WARNING, path=str(static_dir))
