"""HTTP API of a customer's rights and the audit log (supervisors only).

``Authorization: Bearer <agent session token>`` (from ``POST /api/agent/login``) on every call;
no cookie is read, so a cross-site page cannot make a supervisor's browser call these (nothing
to forge without the token). The role is checked by the services, errors are mapped by the
hub's one boundary (``connectors.http.error_boundary``): 401 without a live session, 403 for an
agent, 409 when a person is serving the customer, 400 for bad input.

- ``GET  /api/privacy/customers/{customer_ref}/export``: everything held (JSON download)
- ``POST /api/privacy/customers/{customer_ref}/erase``: body ``{"confirm": "<customer_ref>"}``
- ``GET  /api/privacy/audit?customer_ref=&conversation_id=&agent_id=&action=&before_id=&limit=``
- ``GET  /api/privacy/retention``: what the retention purge would delete now (dry run)
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from connectors.http import SERVICES, json_error, json_response
from connectors.json import to_json
from hub.domain.errors import ValidationFailed
from hub.domain.privacy import Actor
from hub.services.blocking import BlockingCalls

BLOCKING = web.AppKey("privacy_blocking", BlockingCalls)


async def _actor(request: web.Request) -> Actor | None:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not token:
        return None
    services = request.app[SERVICES]
    agent = await _call(request, services.agents.authenticate, token)
    if agent is None:
        return None
    actor: Actor = await _call(request, services.audit.actor_for_token, agent.agent_id, token)
    return actor


async def _call(request: web.Request, fn: Any, *args: Any, **kwargs: Any) -> Any:
    return await request.app[BLOCKING].call(fn, *args, **kwargs)


def _unauthorized() -> web.Response:
    return json_error(401, "unauthorized", "Send a supervisor's session token.")


async def export_customer(request: web.Request) -> web.Response:
    """Everything held about one customer, as a JSON attachment."""
    actor = await _actor(request)
    if actor is None:
        return _unauthorized()
    ref = request.match_info["customer_ref"]
    document = await _call(request, request.app[SERVICES].privacy.export, actor, ref)
    response = json_response(document)
    response.headers["Content-Disposition"] = 'attachment; filename="customer-export.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


async def erase_customer(request: web.Request) -> web.Response:
    """Erase one customer's conversations and trackers; answers the counts."""
    actor = await _actor(request)
    if actor is None:
        return _unauthorized()
    ref = request.match_info["customer_ref"]
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or body.get("confirm") != ref:
        return json_error(400, "confirm", "Send JSON with confirm set to the customer reference.")
    report = await _call(request, request.app[SERVICES].privacy.erase, actor, ref)
    return json_response(to_json(report))


def _int_param(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ValidationFailed(name, "must be an integer") from exc


async def audit_log(request: web.Request) -> web.Response:
    """Audit entries, newest first, filtered by the query; the read is itself audited."""
    actor = await _actor(request)
    if actor is None:
        return _unauthorized()
    query = request.query
    limit = _int_param(request, "limit")
    entries = await _call(
        request,
        request.app[SERVICES].audit.entries,
        actor,
        customer_ref=query.get("customer_ref") or None,
        conversation_id=query.get("conversation_id") or None,
        agent_id=_int_param(request, "agent_id"),
        action=query.get("action") or None,
        before_id=_int_param(request, "before_id"),
        limit=100 if limit is None else limit,
    )
    response = json_response({"entries": to_json(entries)})
    response.headers["Cache-Control"] = "no-store"
    return response


async def retention_preview(request: web.Request) -> web.Response:
    """What the retention purge would delete now (nothing is deleted)."""
    actor = await _actor(request)
    if actor is None:
        return _unauthorized()
    services = request.app[SERVICES]
    await _call(request, services.audit.require_supervisor, actor)
    report = await _call(request, services.retention.dry_run)
    return json_response(to_json(report))


def add_privacy_routes(app: web.Application, calls: BlockingCalls) -> None:
    """Register the routes; ``calls`` runs service calls off the event loop (BlockingCalls)."""
    app[BLOCKING] = calls
    app.router.add_get("/api/privacy/customers/{customer_ref}/export", export_customer)
    app.router.add_post("/api/privacy/customers/{customer_ref}/erase", erase_customer)
    app.router.add_get("/api/privacy/audit", audit_log)
    app.router.add_get("/api/privacy/retention", retention_preview)
