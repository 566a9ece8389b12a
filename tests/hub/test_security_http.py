"""Security headers, session cookies and CSRF of the real hub, over real HTTP (docs/security.md).

Cookies are sent by hand (``Cookie`` header), exactly as a browser would for the hub's origin,
so each test states which cookies and which browser headers a request carries.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from connectors.security import PAGE_CSP, RESOURCE_CSP
from tests.hub.conftest import AGENT_PASSWORD, RunningHub

WEB_SRC = Path(__file__).resolve().parents[2] / "web" / "src"


def _static(hub_dir: Path) -> None:
    static = hub_dir / "static"
    static.mkdir(exist_ok=True)
    (static / "console.html").write_text("<!doctype html><title>c</title>", encoding="utf-8")
    (static / "index.html").write_text("<!doctype html><title>d</title>", encoding="utf-8")
    (static / "widget.js").write_text("console.log('w')", encoding="utf-8")
    (static / "console.css").write_text("body{}", encoding="utf-8")


@pytest.fixture
async def demo_hub(hub_factory, tmp_path) -> RunningHub:
    _static(tmp_path)
    running: RunningHub = await hub_factory(demo=True)
    return running


async def _request(
    hub: RunningHub, method: str, path: str, **kwargs: Any
) -> tuple[int, dict[str, str], SimpleCookie, Any]:
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
        http.request(method, f"{hub.url}{path}", allow_redirects=False, **kwargs) as response,
    ):
        cookies: SimpleCookie = SimpleCookie()
        for header in response.headers.getall("Set-Cookie", []):
            cookies.load(header)
        body = await response.read()
        return response.status, dict(response.headers), cookies, body


# ---- headers ---------------------------------------------------------------------------------

PAGES = ["/", "/console"]
OTHERS = [
    ("GET", "/widget.js"),
    ("GET", "/static/console.css"),
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/api/demo/customers"),
    ("POST", "/api/agent/login"),
    ("POST", "/api/agent/logout"),
    ("GET", "/no/such/page"),
    ("GET", "/socket.io/?EIO=4&transport=polling"),
]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_send_a_strict_csp_and_cannot_be_framed(demo_hub, path):
    status, headers, cookies, _ = await _request(demo_hub, "GET", path)
    assert status == 200
    csp = headers["Content-Security-Policy"]
    assert csp == PAGE_CSP
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    _common_headers(headers)
    # Every page hands out the double-submit CSRF token, readable by the page's own script.
    csrf = cookies["payassist_csrf"]
    assert len(csrf.value) >= 32
    assert csrf["samesite"] == "Strict"
    assert csrf["path"] == "/"
    assert not csrf["httponly"]
    assert not csrf["secure"]


@pytest.mark.parametrize("path", PAGES)
async def test_a_revalidated_page_keeps_the_page_csp(demo_hub, path):
    """Browsers apply a 304's headers to the cached page: it must carry the page's CSP."""
    _, headers, _, _ = await _request(demo_hub, "GET", path)
    status, revalidated, _, _ = await _request(
        demo_hub, "GET", path, headers={"If-Modified-Since": headers["Last-Modified"]}
    )
    assert status == 304
    assert revalidated["Content-Security-Policy"] == PAGE_CSP


@pytest.mark.parametrize(("method", "path"), OTHERS)
async def test_every_other_response_has_the_headers_too(demo_hub, method, path):
    status, headers, cookies, _ = await _request(demo_hub, method, path)
    assert status in {200, 400, 401, 404}, status
    assert headers["Content-Security-Policy"] == RESOURCE_CSP
    assert headers["X-Frame-Options"] == "DENY"
    _common_headers(headers)
    assert "payassist_csrf" not in cookies  # only pages set it
    expected_corp = (
        "cross-origin" if path in {"/widget.js"} or "socket.io" in path else "same-origin"
    )
    assert headers["Cross-Origin-Resource-Policy"] == expected_corp
    if path.startswith("/api/") or path == "/metrics":
        assert headers["Cache-Control"] == "no-store"


def _common_headers(headers: dict[str, str]) -> None:
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers  # plain HTTP: HSTS would be ignored
    assert headers["Server"] == "PayAssist"  # no software versions to look up exploits for


async def test_behind_tls_cookies_are_secure_host_prefixed_and_hsts_is_sent(hub_factory, tmp_path):
    _static(tmp_path)
    hub = await hub_factory(behind_tls=True)
    hub.service.agents.create("ana", "Ana", "agent", ["payments"], AGENT_PASSWORD)
    status, headers, cookies, _ = await _request(hub, "GET", "/console")
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    csrf = cookies["__Host-payassist_csrf"]
    assert csrf["secure"]
    assert csrf["path"] == "/"
    assert not csrf["domain"]
    # The TLS proxy in front forwards Host; the page's origin is https.
    origin = f"https://127.0.0.1:{hub.port}"
    status, _, session_cookies, body = await _request(
        hub,
        "POST",
        "/api/agent/login",
        json={"username": "ana", "password": AGENT_PASSWORD},
        headers={
            "Origin": origin,
            "Sec-Fetch-Site": "same-origin",
            "Cookie": f"__Host-payassist_csrf={csrf.value}",
            "X-CSRF-Token": csrf.value,
        },
    )
    assert status == 200, body
    session = session_cookies["__Host-payassist_session"]
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"] == "Strict"


def _inline_code(html: str) -> list[str]:
    found: list[str] = []

    class Finder(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            names = {name for name, _ in attrs}
            if tag == "script" and "src" not in names:
                found.append("inline <script>")
            if tag == "style":
                found.append("<style>")
            found.extend(f"{tag} {name}=" for name in names if name == "style")
            found.extend(f"{tag} {name}=" for name in names if name.startswith("on"))
            if ("href", None) in attrs or any(
                v is not None and v.strip().lower().startswith("javascript:") for _, v in attrs
            ):
                found.append(f"{tag} javascript: URL")

    Finder().feed(html)
    return found


@pytest.mark.parametrize("page", sorted(WEB_SRC.glob("*/*.html")), ids=lambda p: p.name)
def test_the_pages_have_no_inline_script_or_style_the_csp_would_block(page):
    assert _inline_code(page.read_text(encoding="utf-8")) == []


def test_the_inline_finder_finds_what_it_looks_for():
    html = '<script>x()</script><style>a{}</style><p style="x" onclick="y"><a href="javascript:z">'
    assert len(_inline_code(html)) == 5


def test_the_web_code_never_writes_inline_styles_or_evaluates_strings():
    """``setAttribute("style")``, ``innerHTML`` and ``eval`` would break under the CSP."""
    pattern = re.compile(
        r"\.(?:inner|outer)HTML\s*=|insertAdjacentHTML\(|\beval\(|new Function\("
        r"|setAttribute\(\s*\"style\"|[{,]\s*\"?style\"?\s*:"
    )
    offenders = [
        f"{path.relative_to(WEB_SRC)}: {match.group(0)}"
        for path in WEB_SRC.rglob("*.ts")
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# ---- session cookie and CSRF -----------------------------------------------------------------


async def _browser_login(
    hub: RunningHub, *, origin: str | None = None, token: str | None = None, **extra: str
) -> tuple[int, SimpleCookie, Any, str]:
    """Log in as a console page would: CSRF cookie from the page, echoed in the header."""
    _, _, page_cookies, _ = await _request(hub, "GET", "/console")
    csrf = page_cookies["payassist_csrf"].value
    headers = {
        "Origin": origin or hub.url,
        "Sec-Fetch-Site": "same-origin",
        "Cookie": f"payassist_csrf={csrf}",
        "X-CSRF-Token": csrf if token is None else token,
        **extra,
    }
    status, _, cookies, body = await _request(
        hub,
        "POST",
        "/api/agent/login",
        json={"username": "ana", "password": AGENT_PASSWORD},
        headers=headers,
    )
    return status, cookies, body, csrf


@pytest.fixture
async def console_hub(hub_factory, tmp_path) -> RunningHub:
    _static(tmp_path)
    running: RunningHub = await hub_factory()
    running.service.agents.create("ana", "Ana", "agent", ["payments"], AGENT_PASSWORD)
    return running


async def test_console_login_sets_an_httponly_strict_cookie_and_hides_the_token(console_hub):
    status, cookies, body, _ = await _browser_login(console_hub)
    assert status == 200, body
    session = cookies["payassist_session"]
    assert session["httponly"]
    assert session["samesite"] == "Strict"
    assert session["path"] == "/"
    assert not session["secure"]
    assert not session["max-age"]
    assert b'"token"' not in body
    assert session.value.encode() not in body
    assert console_hub.service.agents.authenticate(session.value) is not None


async def test_api_clients_get_the_token_in_the_body_and_no_cookie(console_hub):
    status, _, cookies, body = await _request(
        console_hub,
        "POST",
        "/api/agent/login",
        json={"username": "ana", "password": AGENT_PASSWORD},
    )
    assert status == 200
    assert b'"token"' in body
    assert "payassist_session" not in cookies


@pytest.mark.parametrize(
    ("case", "headers"),
    [
        ("foreign Origin", {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}),
        ("cross-site fetch", {"Sec-Fetch-Site": "cross-site"}),
        ("same-site sibling", {"Origin": "http://shop.localhost", "Sec-Fetch-Site": "same-site"}),
        ("foreign Referer only", {"Referer": "https://evil.example/page"}),
        ("null Origin", {"Origin": "null"}),
        ("no CSRF token", {"Origin": "SELF", "Sec-Fetch-Site": "same-origin", "X-CSRF-Token": ""}),
        ("wrong CSRF token", {"Origin": "SELF", "X-CSRF-Token": "forged"}),
        ("cookie without token", {"Cookie": "payassist_csrf=abc"}),
    ],
)
async def test_cross_site_or_tokenless_browser_logins_are_refused(console_hub, case, headers):
    headers = {k: (console_hub.url if v == "SELF" else v) for k, v in headers.items()}
    status, _, cookies, body = await _request(
        console_hub,
        "POST",
        "/api/agent/login",
        json={"username": "ana", "password": AGENT_PASSWORD},
        headers=headers,
    )
    assert status == 403, case
    assert b"csrf_failed" in body
    assert "payassist_session" not in cookies


async def test_the_double_submit_token_must_match_the_cookie(console_hub):
    status, cookies, _, _ = await _browser_login(console_hub, token="not-the-cookie-value")
    assert status == 403
    assert "payassist_session" not in cookies
    status, cookies, _, _ = await _browser_login(console_hub)
    assert status == 200
    assert "payassist_session" in cookies


async def test_cookie_logout_needs_csrf_and_ends_the_session(console_hub):
    _, cookies, _, csrf = await _browser_login(console_hub)
    session = cookies["payassist_session"].value
    jar = f"payassist_csrf={csrf}; payassist_session={session}"
    # A cross-site page cannot log the agent out (nor do anything else with the cookie).
    status, _, _, _ = await _request(
        console_hub,
        "POST",
        "/api/agent/logout",
        headers={"Cookie": jar, "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert status == 403
    assert console_hub.service.agents.authenticate(session) is not None
    status, _, cleared, _ = await _request(
        console_hub,
        "POST",
        "/api/agent/logout",
        headers={
            "Cookie": jar,
            "Origin": console_hub.url,
            "Sec-Fetch-Site": "same-origin",
            "X-CSRF-Token": csrf,
        },
    )
    assert status == 204
    assert cleared["payassist_session"].value == ""
    assert cleared["payassist_session"]["max-age"] == "0"
    assert console_hub.service.agents.authenticate(session) is None


async def _socket(hub: RunningHub, headers: dict[str, str]) -> bool:
    client = socketio.AsyncClient(reconnection=False)
    try:
        await client.connect(
            hub.url,
            namespaces=["/agent"],
            headers=headers,
            transports=["websocket"],
            wait_timeout=3,
        )
    except socketio.exceptions.ConnectionError:
        return False
    else:
        return True
    finally:
        await client.disconnect()


async def test_the_agent_socket_accepts_the_cookie_only_from_the_hubs_own_origin(console_hub):
    _, cookies, _, _ = await _browser_login(console_hub)
    cookie = f"payassist_session={cookies['payassist_session'].value}"
    assert await _socket(console_hub, {"Cookie": cookie, "Origin": console_hub.url})
    # Cross-site WebSocket hijacking: another page's socket riding on the agent's cookie.
    assert not await _socket(console_hub, {"Cookie": cookie, "Origin": "http://evil.example"})
    assert not await _socket(console_hub, {"Cookie": cookie})  # no origin at all: not a page
    assert not await _socket(
        console_hub, {"Cookie": "payassist_session=made-up", "Origin": console_hub.url}
    )


async def test_demo_token_minting_stays_open_to_the_demo_page(demo_hub):
    """``/api/demo/`` has no session to protect; the demo page posts it without a token."""
    status, _, _, body = await _request(
        demo_hub,
        "POST",
        "/api/demo/token",
        json={"customer_ref": "cus_alice"},
        headers={"Origin": demo_hub.url, "Sec-Fetch-Site": "same-origin"},
    )
    assert status in {200, 503}, body  # 503 only if no customer secret is configured
