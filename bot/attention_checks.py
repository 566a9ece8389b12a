"""Attention checks: the customer asks whether anyone is reading ("hello?", "??? hola??").

After the bot has answered something, a short probe ("hello?", "hola??", "???", "anyone?") or
a complaint about not being read ("are you even reading what I type", "r u even listening",
"¿me estás leyendo?", "¿hay alguien?") says the customer is not getting through (round 26,
issue 15). One alone is little: a customer back from a dropped phone says "hello?" too. The
policy counts them (``bot.conversation_signals.attention_checks``), so two in a conversation
cross the handoff threshold; a probe as the first message of a conversation is a greeting and
never counts.

The reading is lexical and cached per text (the policy asks about every earlier message on
each prediction).
"""

from __future__ import annotations

import re
from functools import lru_cache

from common.explicit_request import normalise

_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
_WORDS = re.compile(r"[a-z0-9ñ]+")
# Words of a short probe (only these, with at least one question mark): "hello?", "hola??",
# "anyone there?", "¿hola? ¿hay alguien?".
_PROBE_WORDS = frozenset(
    (
        *("hello", "helo", "hallo", "hi", "hey", "oi", "oy", "yo", "hola", "ola", "alo"),
        *("oye", "oiga", "ey", "eh", "buenas", "anyone", "anybody", "someone", "somebody"),
        *("there", "still", "alguien", "hay", "ahi", "alli", "nadie", "sigues", "sigue"),
        *("estas", "esta", "are", "you", "u", "r", "is", "helloo", "holaa", "heey"),
    )
)
_PROBE_MAX_WORDS = 5
_NOT_READ = re.compile(
    r"\b(?:(?:are|r) (?:you|u) (?:\w+ )?(?:reading|listening|paying attention|seeing)"
    r"|(?:are|r) (?:you|u) (?:\w+ )?there\s*(?:\?|$)"
    r"|(?:is|are) (?:anyone|anybody|someone|somebody|you) (?:\w+ )?(?:reading|listening|home)"
    r"|(?:is|are) (?:anyone|anybody|someone|somebody) (?:\w+ )?there\s*(?:\?|$)"
    r"|(?:do|did|d) (?:you|u) (?:\w+ )?(?:read|see|get) (?:what|my|any|this|anything)"
    r"|(?:you|u) (?:\w+ )?(?:not |arent |aren t )?(?:reading|listening to) (?:me|my|what|anything)"
    r"|anyone (?:there|home|reading|listening)"
    r"|me (?:estas|esta|estan|estais) (?:\w+ )?(?:leyendo|escuchando|haciendo caso)"
    r"|(?:me|nos) (?:lees|lee|leen|escuchas|escucha|escuchan)"
    r"|(?:hay|esta) (?:alguien|nadie) (?:ahi|alli|al otro lado|leyendo|escuchando|\?)"
    r"|(?:sigues|sigue|estas|esta) (?:ahi|alli)"
    r"|(?:lees|lee|leeis|leen) (?:lo que|los mensajes|mis mensajes))"
)


def _plain(text: str) -> str:
    return _ELONGATION.sub(r"\1", normalise(text).replace("'", " ").replace("\u2019", " "))


@lru_cache(maxsize=4096)
def is_attention_check(text: str) -> bool:
    """Whether ``text`` asks if anyone is there or reading (see the module doc)."""
    plain = _plain(text)
    if _NOT_READ.search(plain):
        return True
    words = _WORDS.findall(plain)
    if "?" not in plain:
        return False
    if not words:
        return plain.count("?") >= 2  # "???", "??"
    return len(words) <= _PROBE_MAX_WORDS and all(word in _PROBE_WORDS for word in words)
