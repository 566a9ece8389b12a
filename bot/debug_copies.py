"""Skip the deep copies Rasa makes of debug-log arguments while debug logging is off.

Rasa 3.6 passes ``copy.deepcopy(...)`` of states, events and parse data to
``structlogger.debug`` several times per prediction, and Python evaluates those arguments even
when debug messages are dropped. In :data:`MODULES` ``copy`` serves nothing else
(``tests/bot/test_debug_copies.py`` checks their source), so their ``copy`` becomes a
:class:`DebugArgumentCopy`: it deep-copies as before while debug messages are logged and hands
the value through untouched while they are discarded anyway.
"""

from __future__ import annotations

import copy
import importlib
from typing import Any

import structlog
from structlog import _native

MODULES = (
    "rasa.core.processor",
    "rasa.core.policies.rule_policy",
    "rasa.core.policies.memoization",
)


def debug_logged() -> bool:
    """Whether structlog's configured logger keeps debug messages (True if it cannot tell)."""
    wrapper = structlog.get_config().get("wrapper_class")
    return getattr(wrapper, "debug", None) is not _native._nop


class DebugArgumentCopy:
    """The ``copy`` module, except that ``deepcopy`` is skipped while debug logs are dropped."""

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        """``copy.deepcopy`` when debug messages are logged, else ``value`` itself."""
        return copy.deepcopy(value, memo) if debug_logged() else value

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


_stand_in = DebugArgumentCopy()


def apply() -> None:
    """Install the stand-in in :data:`MODULES` (idempotent)."""
    for name in MODULES:
        importlib.import_module(name).copy = _stand_in  # type: ignore[attr-defined]


def restore() -> None:
    """Undo :func:`apply` (tests)."""
    for name in MODULES:
        importlib.import_module(name).copy = copy  # type: ignore[attr-defined]
