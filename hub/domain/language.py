"""Conversation languages: which ones the hub serves and how a page's language tag is read.

The per-message decision itself is shared with the bot (``common.language.choose_language``);
this module only holds the hub's side of it: the languages it has texts for, the default, and
the host page's BCP-47 tag as a client reports it (``es-MX``, ``en``), checked before use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

LANGUAGES: Final = ("en", "es")
DEFAULT_LANGUAGE: Final = "en"
# How agents read a language's name (the console and the summaries are in English).
LANGUAGE_NAMES: Final = {"en": "English", "es": "Spanish"}
# BCP-47 as browsers report it: a primary subtag, then up to a few subtags (script, region...).
_TAG: Final = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,4}$")
MAX_TAG_CHARS: Final = 35
# Where clients put the page's language in a message's metadata: our widget sends
# ``page_language``; Rasa web chat hosts set ``customData`` as they like, so the usual keys too.
PAGE_LANGUAGE_KEYS: Final = ("page_language", "language", "locale", "lang")


def page_language_tag(raw: Any) -> str | None:
    """A well-formed BCP-47 tag (``_`` read as ``-``), or None for anything else."""
    if not isinstance(raw, str) or len(raw) > MAX_TAG_CHARS or not _TAG.match(raw.strip()):
        return None
    return raw.strip().replace("_", "-")


def page_language_from(metadata: Mapping[str, Any]) -> str | None:
    """The host page's language tag a client sent with a message, if any."""
    for key in PAGE_LANGUAGE_KEYS:
        tag = page_language_tag(metadata.get(key))
        if tag is not None:
            return tag
    return None


def served_language(code: str | None) -> str:
    """A conversation's language as the hub serves it: one of :data:`LANGUAGES`."""
    base = (code or "").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def language_note(language: str | None, page_language: str | None = None) -> str:
    """``Language: Spanish (page es-MX).``: the customer's language as a summary says it."""
    code = served_language(language)
    page = f" (page {page_language})" if page_language else ""
    return f"Language: {LANGUAGE_NAMES[code]}{page}."


def agent_languages(raw: Iterable[Any] | None) -> tuple[str, ...]:
    """An agent's language skills, normalised (lower-case primary subtags, in order, no repeats)."""
    seen: list[str] = []
    for item in raw or ():
        code = str(item).strip().split("-")[0].lower()
        if code and code not in seen:
            seen.append(code)
    return tuple(seen)
