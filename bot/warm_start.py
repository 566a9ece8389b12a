"""Parse one message right after the model loads, so the first customer does not wait.

Then the loaded model is moved out of the garbage collector's generations (``gc.freeze``):
the model, spaCy's pipeline and the phrase matchers are millions of objects that live as long
as the model, and a full collection walked every one of them again and again while serving.
A model loaded later (``PUT /model``) first thaws what was frozen, so the old model can still
be collected.

Several NLU components build their matchers lazily on their first message (the
explicit-request phrase matcher analyses the whole phrase list with spaCy), which the first
customer after every start used to wait for. The warm-up parse runs before the server reports
the model loaded (``/status``), so start-up time includes it instead.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

import rasa.core.agent

logger = logging.getLogger(__name__)

WARM_UP_TEXT = "hello, can I talk to a person about my next payment?"

_stock_load_agent = rasa.core.agent.load_agent


async def load_agent_warm(*args: Any, **kwargs: Any) -> Any:
    """Rasa's ``load_agent``, then one parse of :data:`WARM_UP_TEXT` when the agent is ready.

    A failed warm-up parse is logged and left for the first real message to report. What
    is alive after the warm-up is frozen (see the module docstring).
    """
    gc.unfreeze()  # a model loaded before can be collected once it is replaced
    agent = await _stock_load_agent(*args, **kwargs)
    if agent is not None and agent.is_ready():
        try:
            await agent.parse_message(WARM_UP_TEXT)
        except Exception:  # the real first message surfaces the error properly
            logger.warning("warm-up parse failed", exc_info=True)
    freeze_survivors()
    return agent


def freeze_survivors() -> int:
    """Collect, then move every surviving object to the permanent generation; how many."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def apply() -> None:
    """Install the warm-up (idempotent)."""
    rasa.core.agent.load_agent = load_agent_warm


def restore() -> None:
    """Undo :func:`apply` (tests)."""
    rasa.core.agent.load_agent = _stock_load_agent
