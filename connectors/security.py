"""The hub's HTTP security layer: response headers, session cookies, CSRF, operator access.

- **Headers on every response** (pages, API, static files, Socket.IO, errors) from one
  ``on_response_prepare`` hook, so nothing a handler or the router answers goes without them: a
  Content-Security-Policy (pages: scripts and styles from the hub only, no inline code, never
  framed; everything else: nothing at all), ``X-Content-Type-Options``, ``Referrer-Policy``,
  ``X-Frame-Options``, ``Cross-Origin-Opener/Resource-Policy``, ``Permissions-Policy``,
  ``Cache-Control: no-store`` on API answers, ``Strict-Transport-Security`` behind TLS, and a
  ``Server`` header without software versions.
- **The console's session cookie** is ``HttpOnly`` and ``SameSite=Strict`` (``Secure`` and
  ``__Host-`` behind TLS): page scripts never see the agent's session token.
- **CSRF** on every state-changing ``/api/`` request a browser makes: the request must come
  from the hub's own origin (``Sec-Fetch-Site``/``Origin``/``Referer``) and carry the
  double-submit token (the ``payassist_csrf`` cookie set with every page, echoed in
  ``X-CSRF-Token``). A request with none of ``Cookie``, ``Origin``, ``Sec-Fetch-Site`` and
  ``Referer`` is not from a browser and carries no ambient authority (API clients send their
  token in ``Authorization``), so it is let through, and it never gets a session cookie.
- **Operator endpoints** (``/metrics``) need the metrics bearer token or a supervisor session.

See docs/security.md for what each header is for and which requirement it serves.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any, Final
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from hub.domain.views import AgentView
from hub.logging import log_event
from hub.settings import HubSettings

logger = logging.getLogger(__name__)

SESSION_COOKIE: Final = "payassist_session"
CSRF_COOKIE: Final = "payassist_csrf"
CSRF_HEADER: Final = "X-CSRF-Token"
# Set on a request whose browser origin and CSRF token were checked (login may set the cookie).
BROWSER_VERIFIED: Final = "payassist.browser_verified"

UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Demo-page helpers: no session, demo mode only, and their answers are unreadable cross-origin.
CSRF_EXEMPT_PREFIXES: Final = ("/api/demo/",)
# The hub's HTML pages (demo page, console).
PAGE_PATHS: Final = frozenset({"/", "/console"})
# Loaded by merchant pages on other origins (the widget script and its socket).
CROSS_ORIGIN_PATHS: Final = ("/widget.js", "/socket.io/")

PAGE_CSP: Final = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# JSON, scripts, styles, metrics: nothing in them may load anything or be framed.
RESOURCE_CSP: Final = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
PERMISSIONS_POLICY: Final = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS: Final = "max-age=31536000"

Authenticate = Callable[[str], AgentView | None]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BrowserSecurity:
    """Cookie names and flags, the hub's own origin, and the checks built on them."""

    def __init__(self, settings: HubSettings) -> None:
        """Derive cookie names and flags from ``settings`` (``__Host-`` + ``Secure`` over TLS)."""
        self.settings = settings
        prefix = "__Host-" if settings.behind_tls else ""
        self.session_cookie = prefix + SESSION_COOKIE
        self.csrf_cookie = prefix + CSRF_COOKIE

    # ---- origins --------------------------------------------------------------------------

    def own_origin(self, request: web.Request) -> str:
        """The origin the console is served from (configured, else scheme and ``Host``)."""
        if self.settings.public_origin is not None:
            return self.settings.public_origin.lower()
        scheme = "https" if self.settings.behind_tls else request.scheme
        return f"{scheme}://{request.host}".lower()

    def same_origin_request(self, request: web.Request) -> bool:
        """Whether a browser request provably comes from a page of the hub's own origin.

        ``Sec-Fetch-Site`` (every current browser) must say ``same-origin``; ``Origin``, when
        sent, must be ours; a browser that sends neither must send a ``Referer`` of ours.
        """
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None and site != "same-origin":
            return False
        origin = request.headers.get("Origin")
        if origin is not None:
            return origin.lower() == self.own_origin(request)
        if site is not None:
            return True
        referer = urlsplit(request.headers.get("Referer", ""))
        return bool(referer.netloc) and (
            f"{referer.scheme}://{referer.netloc}".lower() == self.own_origin(request)
        )

    @staticmethod
    def from_browser(request: web.Request) -> bool:
        """A request with any browser marker or ambient authority (cookies)."""
        return any(
            name in request.headers for name in ("Cookie", "Origin", "Sec-Fetch-Site", "Referer")
        )

    # ---- cookies --------------------------------------------------------------------------

    def _cookie_flags(self) -> dict[str, Any]:
        return {
            "path": "/",
            "samesite": "Strict",
            "secure": self.settings.behind_tls,
        }

    def set_session_cookie(self, response: web.StreamResponse, token: str) -> None:
        """The console's session: HttpOnly (scripts never read it), ends with the browser."""
        response.set_cookie(self.session_cookie, token, httponly=True, **self._cookie_flags())

    def clear_session_cookie(self, response: web.StreamResponse) -> None:
        """Remove the console's session cookie."""
        response.del_cookie(self.session_cookie, **self._cookie_flags())

    def set_csrf_cookie(self, response: web.StreamResponse) -> None:
        """A fresh double-submit token; readable by the page's script, which echoes it.

        Written as a header: ``on_response_prepare`` runs after aiohttp has turned the
        response's cookies into headers.
        """
        jar: SimpleCookie = SimpleCookie()
        jar[self.csrf_cookie] = secrets.token_urlsafe(32)
        morsel = jar[self.csrf_cookie]
        morsel["path"] = "/"
        morsel["samesite"] = "Strict"
        if self.settings.behind_tls:
            morsel["secure"] = True
        response.headers.add("Set-Cookie", morsel.OutputString())

    def csrf_ok(self, request: web.Request) -> bool:
        """The ``X-CSRF-Token`` header equals the CSRF cookie (both present)."""
        cookie = request.cookies.get(self.csrf_cookie, "")
        header = request.headers.get(CSRF_HEADER, "")
        return bool(cookie) and hmac.compare_digest(cookie.encode(), header.encode())

    # ---- sessions -------------------------------------------------------------------------

    def session_token(self, request: web.Request) -> str | None:
        """An agent session token: ``Authorization: Bearer`` first, else the session cookie.

        The cookie only counts on a request of our own origin (it is what a cross-site page
        would ride on, e.g. a WebSocket opened from another site of the same registrable
        domain).
        """
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip() or None
        cookie = request.cookies.get(self.session_cookie)
        if not cookie:
            return None
        if request.method in UNSAFE_METHODS:
            # State-changing requests have passed csrf_middleware already.
            return cookie if request.get(BROWSER_VERIFIED) else None
        return cookie if self.same_origin_request(request) else None

    def socket_session_token(self, environ: dict[str, Any]) -> str | None:
        """The session cookie of a Socket.IO connect (same-origin pages only), if any."""
        request = environ.get("aiohttp.request")
        return self.session_token(request) if isinstance(request, web.Request) else None

    # ---- aiohttp hooks --------------------------------------------------------------------

    def csrf_middleware(self) -> Middleware:
        """Refuse cross-site or token-less state-changing browser requests to ``/api/``."""

        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            if (
                request.method not in UNSAFE_METHODS
                or not request.path.startswith("/api/")
                or request.path.startswith(CSRF_EXEMPT_PREFIXES)
                or not self.from_browser(request)
            ):
                return await handler(request)
            if not self.same_origin_request(request):
                log_event(logger, "http.csrf_refused", level=logging.WARNING, why="cross_origin")
                return _forbidden("The request did not come from the console.")
            if not self.csrf_ok(request):
                log_event(logger, "http.csrf_refused", level=logging.WARNING, why="token")
                return _forbidden("Missing or wrong CSRF token; reload the page.")
            request[BROWSER_VERIFIED] = True
            return await handler(request)

        return middleware

    async def add_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        """``on_response_prepare``: the security headers of every response."""
        headers = response.headers
        headers["Server"] = "PayAssist"  # not aiohttp's and Python's versions
        # By path too: a 304 to a page's revalidation has no content type, and the browser
        # takes the 304's headers (this CSP) for the cached page.
        page = (
            response.content_type == "text/html"
            or request.path in PAGE_PATHS
            or request.path.endswith(".html")
        )
        headers.setdefault("Content-Security-Policy", PAGE_CSP if page else RESOURCE_CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        cross = request.path.startswith(CROSS_ORIGIN_PATHS)
        headers.setdefault(
            "Cross-Origin-Resource-Policy", "cross-origin" if cross else "same-origin"
        )
        if page:
            headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
            if self.csrf_cookie not in request.cookies:
                self.set_csrf_cookie(response)
        if request.path.startswith("/api/") or request.path == "/metrics":
            headers.setdefault("Cache-Control", "no-store")
        if self.settings.behind_tls:
            headers.setdefault("Strict-Transport-Security", HSTS)


def _forbidden(message: str) -> web.Response:
    return web.json_response({"error": {"code": "csrf_failed", "message": message}}, status=403)


async def operator_allowed(
    request: web.Request, security: BrowserSecurity, authenticate: Authenticate
) -> bool:
    """The metrics bearer token, or a live supervisor session (header or console cookie)."""
    expected = security.settings.metrics_token
    header = request.headers.get("Authorization", "")
    if (
        expected is not None
        and header.lower().startswith("bearer ")
        and hmac.compare_digest(header[7:].strip().encode(), expected.encode())
    ):
        return True
    token = security.session_token(request)
    if token is None:
        return False
    agent = await asyncio.to_thread(authenticate, token)
    return agent is not None and agent.role == "supervisor"


def install(app: web.Application, security: BrowserSecurity) -> None:
    """Add the CSRF middleware and the header hook to ``app`` (before it starts)."""
    app.middlewares.append(security.csrf_middleware())
    app.on_response_prepare.append(security.add_headers)
