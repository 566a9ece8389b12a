"""Set the ``language`` and ``locale`` slots on every user turn, inside ``action_extract_slots``.

Rasa runs ``action_extract_slots`` after every user message, before any other action, so
responses and actions of that turn already see the slots. :func:`apply` makes it add, after
the stock extraction, the events of :func:`language_slot_events`:

* ``language``: the hub's decision when the message carried ``metadata.language`` (the
  tagger's source ``"metadata"``); otherwise ``common.language.choose_language`` on the text
  with the page's language and the slot's current value as priors (the NLU tagger has no
  conversation history, so "ok" after Spanish turns stays Spanish here).
* ``locale``: ``common.language.locale_for`` the language and ``metadata.page_language``.

A slot whose value is unchanged gets no event. Nothing is added to the parse data (no
entities: conversation tests compare them). Both slots have a ``custom`` mapping without an
action in ``domain.yml``, so stock extraction leaves them alone.

Why not a custom slot mapping with an action: Rasa runs such an action as a ``RemoteAction``,
which serialises the whole tracker and answers through JSON and schema validation on every
turn, even in-process (``bot.inprocess_actions``); this costs microseconds
(docs/architecture.md has the measurement).
"""

from __future__ import annotations

from typing import Any

from rasa.core.actions.action import ActionExtractSlots
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.language_tagger import LANGUAGE_KEY, PAGE_LANGUAGE_KEY
from common.language import choose_language, locale_for

LANGUAGE_SLOT = "language"
LOCALE_SLOT = "locale"

_stock_run = ActionExtractSlots.run


def _current_language(tracker: DialogueStateTracker, parse_data: dict[str, Any]) -> str:
    metadata = tracker.latest_message.metadata if tracker.latest_message else None
    record = parse_data.get(LANGUAGE_KEY)
    if isinstance(record, dict) and record.get("source") == "metadata":
        return str(record["code"])
    previous = tracker.get_slot(LANGUAGE_SLOT)
    # The tagger decided without the conversation: when it found the previous language, or
    # there is none, the prior cannot change its answer (no second detection).
    tagged = record.get("code") if isinstance(record, dict) else None
    if tagged is not None and previous in (None, tagged):
        return str(tagged)
    page = (metadata or {}).get(PAGE_LANGUAGE_KEY)
    return choose_language(
        tracker.latest_message.text or "" if tracker.latest_message else "",
        page_language=page if isinstance(page, str) else None,
        previous_language=previous if isinstance(previous, str) else None,
    ).code


def language_slot_events(tracker: DialogueStateTracker) -> list[Event]:
    """``SlotSet`` events for the language and locale of the latest user message.

    None for a domain without the ``language`` slot (or no user message yet).
    """
    latest = tracker.latest_message
    if latest is None or LANGUAGE_SLOT not in tracker.slots:
        return []
    code = _current_language(tracker, latest.parse_data or {})
    page = (latest.metadata or {}).get(PAGE_LANGUAGE_KEY)
    events: list[Event] = []
    if tracker.get_slot(LANGUAGE_SLOT) != code:
        events.append(SlotSet(LANGUAGE_SLOT, code))
    if LOCALE_SLOT in tracker.slots:
        locale = locale_for(code, page if isinstance(page, str) else None)
        if tracker.get_slot(LOCALE_SLOT) != locale:
            events.append(SlotSet(LOCALE_SLOT, locale))
    return events


async def run(
    self: ActionExtractSlots,
    output_channel: Any,
    nlg: Any,
    tracker: DialogueStateTracker,
    domain: Domain,
) -> list[Event]:
    """Stock ``ActionExtractSlots.run``, then the language slots' events."""
    events: list[Event] = await _stock_run(self, output_channel, nlg, tracker, domain)
    return events + language_slot_events(tracker)


def apply() -> None:
    """Set the language slots in ``action_extract_slots`` (idempotent)."""
    ActionExtractSlots.run = run  # type: ignore[method-assign]


def restore() -> None:
    """Undo :func:`apply` (tests)."""
    ActionExtractSlots.run = _stock_run  # type: ignore[method-assign]
