"""Copy the active loop for ``DialogueStateTracker.current_state`` without ``dataclasses.asdict``.

``current_state`` runs for every custom-action call (the action server's request body) and
every HTTP API read of a tracker. It turns ``tracker.active_loop`` into a dictionary with
``dataclasses.asdict``, which deep-copies the loop's ``trigger_message``: the whole parse data
of the message that started the form (intent ranking, entities and every NLU component's
annotations), walked by asdict's generic recursion (a few hundred ``isinstance`` calls, about
a third of a millisecond of a form turn in the profile of 2026-12-03).

:func:`asdict` makes the same deep copy with a walk specialised for the JSON-like values the
parse data holds (dicts, lists, tuples, strings, numbers, booleans, None); anything else is
copied with ``copy.deepcopy``, as asdict itself does. Only the ``dataclasses`` name in
:mod:`rasa.shared.core.trackers` is swapped, and only ``asdict`` of a ``TrackerActiveLoop``
takes the new walk; everything else reaches the ``dataclasses`` module unchanged.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from rasa.shared.core import trackers
from rasa.shared.core.trackers import TrackerActiveLoop

_SCALARS = (str, int, float, bool, type(None))


def deep_copy(value: Any) -> Any:
    """What ``dataclasses.asdict`` makes of a field value that is not a dataclass."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        return {deep_copy(key): deep_copy(item) for key, item in value.items()}
    if kind is list:
        return [deep_copy(item) for item in value]
    if kind is tuple:
        return tuple(deep_copy(item) for item in value)
    # Subclasses of containers, dataclasses, numpy values...: asdict's own handling.
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return _generic(value)


def _generic(value: Any) -> Any:
    if isinstance(value, (list, tuple, dict)):
        # asdict keeps the container's own type (a namedtuple, an OrderedDict...).
        return dataclasses._asdict_inner(value, dict)  # type: ignore[attr-defined]
    return copy.deepcopy(value)


def asdict(obj: Any, *, dict_factory: Any = dict) -> dict[str, Any]:
    """``dataclasses.asdict``; a plain ``TrackerActiveLoop`` takes the specialised walk."""
    if type(obj) is TrackerActiveLoop and dict_factory is dict:
        return {
            field.name: deep_copy(getattr(obj, field.name))
            for field in dataclasses.fields(TrackerActiveLoop)
        }
    return dataclasses.asdict(obj, dict_factory=dict_factory)


class _Dataclasses:
    """The ``dataclasses`` module, except for :func:`asdict`."""

    asdict = staticmethod(asdict)

    def __getattr__(self, name: str) -> Any:
        return getattr(dataclasses, name)


_stand_in = _Dataclasses()


def apply() -> None:
    """Install the stand-in in :mod:`rasa.shared.core.trackers` (idempotent)."""
    trackers.dataclasses = _stand_in  # type: ignore[attr-defined]


def restore() -> None:
    """Undo :func:`apply` (tests)."""
    trackers.dataclasses = dataclasses  # type: ignore[attr-defined]
