"""Run the custom actions inside the Rasa server's process instead of over HTTP.

``endpoints.yml`` names a Python package instead of a URL::

    action_endpoint:
      actions_module: actions

and :func:`apply` makes Rasa's action endpoint hand each call to rasa-sdk's own
:class:`~rasa_sdk.executor.ActionExecutor` in this process, the executor the action server runs
behind its webhook. The call and the answer each go through a JSON round trip (nothing is
shared, as over the wire; encoded with orjson, which is several times faster than the standard
library's encoder on these payloads, with non-string keys turned into strings as ``json`` does),
and the webhook's error answers are raised as the same
:class:`ClientResponseError` statuses (400 rejection, 404 unknown action, 500 failure), which
Rasa's ``RemoteAction`` maps to its usual exceptions. An endpoint with a ``url`` still goes over
HTTP, unchanged.

Why: a form turn makes two action calls, each an HTTP round trip with its own connection and
process wake-ups (docs/design-notes.md). The actions' database calls run in worker threads
(``actions.context.run_blocking``), so they do not stall Rasa's event loop. A separate action
server remains available (``ACTION_SERVER=1 make run``) for isolation or scaling.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

import orjson
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

logger = logging.getLogger(__name__)

ACTIONS_MODULE_KEY = "actions_module"

_http_request = EndpointConfig.request


@functools.cache
def executor_for(module: str) -> ActionExecutor:
    """The executor with every action of ``module`` registered (built on first use)."""
    executor = ActionExecutor()
    executor.register_package(module)
    return executor


def actions_module(endpoint: EndpointConfig) -> str | None:
    """The package an endpoint runs in-process, or None for an HTTP endpoint.

    Raises:
        ValueError: Both ``url`` and ``actions_module`` are set, or the module is not a name.
    """
    module = endpoint.kwargs.get(ACTIONS_MODULE_KEY)
    if module is None:
        return None
    if not isinstance(module, str) or not module:
        raise ValueError(f"action_endpoint.{ACTIONS_MODULE_KEY} must be a package name")
    if endpoint.url:
        raise ValueError(f"action_endpoint has both url and {ACTIONS_MODULE_KEY}; set one of them")
    return module


def _error(status: int, reason: str, body: dict[str, Any]) -> ClientResponseError:
    return ClientResponseError(status, reason, json.dumps(body))


async def run_in_process(module: str, call: Any) -> Any:
    """Answer one action call as the action server's webhook would.

    Args:
        module: The actions package.
        call: The body Rasa would POST (``next_action``, ``tracker``, ``domain``...).

    Returns:
        The webhook's JSON answer (``events``, ``responses``; ``None`` for a call that names
        no action, which the webhook also answers with ``null``).

    Raises:
        ClientResponseError: 400 when the action rejected its execution (a form that cannot
            fill its slot), 404 for an action the module does not have, 500 when the action
            raised, each with the webhook's JSON body.
    """
    action_call = _round_trip(call)
    if not isinstance(action_call, dict):
        raise _error(400, "Bad Request", {"error": "Invalid body request"})
    try:
        result = await executor_for(module).run(action_call)
    except ActionExecutionRejection as exc:
        logger.debug(exc)
        raise _error(
            400, "Bad Request", {"error": exc.message, "action_name": exc.action_name}
        ) from exc
    except ActionNotFoundException as exc:
        logger.error(exc)
        raise _error(
            404, "Not Found", {"error": exc.message, "action_name": exc.action_name}
        ) from exc
    except Exception as exc:  # the webhook's catch-all handler answers 500
        logger.exception("custom action '%s' failed", action_call.get("next_action"))
        raise _error(500, "Internal Server Error", {"error": str(exc)}) from exc
    return _round_trip(result)


def _round_trip(value: Any) -> Any:
    """``value`` as the other side of the wire sees it: encoded to JSON and decoded again."""
    return orjson.loads(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))


async def request(
    self: EndpointConfig,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any:
    """``EndpointConfig.request``: in-process for an ``actions_module`` endpoint, else HTTP."""
    module = actions_module(self)
    if module is None:
        return await _http_request(self, method, subpath, content_type, compress, **kwargs)
    if method.lower() != "post" or subpath:
        raise ValueError("an in-process action endpoint only answers action calls")
    return await run_in_process(module, kwargs.get("json"))


def apply() -> None:
    """Route ``actions_module`` endpoints in-process (idempotent)."""
    EndpointConfig.request = request  # type: ignore[method-assign]


def restore() -> None:
    """Undo :func:`apply` (tests)."""
    EndpointConfig.request = _http_request  # type: ignore[method-assign]
