"""Copy Rasa slots by their attribute dictionary instead of through ``copy``'s reduce protocol.

Every tracker Rasa builds copies each of the domain's slots (``copy.copy(slot)``), and a turn
builds dozens of trackers. Rasa's ``Slot`` classes define none of the copy hooks
(``__slots__``, ``__reduce__``, ``__getstate__``...), so the stock copy is a new instance whose
``__dict__`` is a shallow copy of the original's: :func:`copy_slot` makes that directly. A
subclass that defines one of the hooks keeps the stock protocol. An empty ``__slots__`` (as
``abc.ABC``, a base of every slot class, declares) adds no slots and leaves the instance its
``__dict__``, so it does not count as a hook.
"""

from __future__ import annotations

import copy
from typing import Any

from rasa.shared.core.slots import Slot

_CUSTOM_HOOKS = ("__reduce__", "__reduce_ex__", "__getstate__", "__setstate__", "__slots__")
_plain_classes: dict[type, bool] = {}


def _defines_hook(klass: type, hook: str) -> bool:
    if hook not in klass.__dict__:
        return False
    return hook != "__slots__" or bool(klass.__dict__[hook])


def _is_plain(cls: type) -> bool:
    plain = _plain_classes.get(cls)
    if plain is None:
        plain = not any(
            _defines_hook(klass, hook)
            for klass in cls.__mro__
            if klass is not object
            for hook in _CUSTOM_HOOKS
        )
        _plain_classes[cls] = plain
    return plain


def copy_slot(self: Slot) -> Slot:
    """``copy.copy(slot)``, without the reduce protocol for plain slot classes."""
    cls: Any = type(self)
    if not _is_plain(cls):
        return copy._reconstruct(self, None, *self.__reduce_ex__(4))  # type: ignore[attr-defined, no-any-return]
    new: Slot = cls.__new__(cls)
    new.__dict__.update(self.__dict__)
    return new


def apply() -> None:
    """Install the fast copy (idempotent)."""
    Slot.__copy__ = copy_slot  # type: ignore[attr-defined]


def restore() -> None:
    """Undo :func:`apply` (tests)."""
    if "__copy__" in Slot.__dict__:
        del Slot.__copy__
