"""Conversation-level handoff scoring, as pure functions over a simple turn model.

The handoff policy (``bot/handoff_policy.py``) decides *whether* a person must take over; this
module holds *how* that is decided, free of Rasa objects, so that:

* every signal can be unit- and property-tested on plain data;
* the policy (Rasa ``Event`` objects) and the actions (rasa-sdk event dicts) both feed it
  through small adapters and, with the same settings from config.yml
  (:func:`settings_from_rasa_config`), get the same answer;
* the latency per prediction stays predictable (one pass over the current session).

A conversation is a list of :class:`UserTurn` (one per customer message in the current
session, after the last hand-back) carrying what the NLU said about that message and what the
bot did in reply. :func:`decide` returns a :class:`HandoffDecision` or ``None``.

Decision order (first match wins):

1. ``explicit_request`` -- the latest message asks for a person (intent ``request_human`` at or
   above the confidence floor, or the phrase matcher's ``explicit_request.matched``).
2. ``topic`` -- the latest message's intent is a topic that always goes to a person, or its
   words say money was taken after it was settled (:mod:`bot.money_reading`: a charge after a
   refund, return, cancellation or payoff in it or in an earlier message).
3. ``frustration`` / ``bot_failure`` -- the weighted sum of the accumulated signals reaches the
   threshold; the reason names the larger group (the customer's emotion, or the bot failing).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from itertools import pairwise
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import yaml  # type: ignore[import-untyped]

from bot.attention_checks import is_attention_check
from bot.calm_lexicon import is_calm_text
from bot.money_reading import settlement_only, taken_after_settlement

# The policy's class name (bot/handoff_policy.py), as config.yml names it.
HANDOFF_POLICY_CLASS = "HandoffPolicy"

REASON_EXPLICIT = "explicit_request"
REASON_FRUSTRATION = "frustration"
REASON_TOPIC = "topic"
MONEY_TOPIC_INTENT = "money_taken_wrongly"
REASON_BOT_FAILURE = "bot_failure"

SIGNAL_MESSAGE = "message_frustration"
SIGNAL_FALLBACKS = "consecutive_fallbacks"
SIGNAL_REPEATED_INTENT = "repeated_intent"
SIGNAL_REPEATED_ANSWER = "repeated_bot_answer"
SIGNAL_TREND = "negative_trend"
SIGNAL_ATTENTION = "attention_checks"

# Which group each conversation signal belongs to when naming the reason.
_EMOTION_SIGNALS = frozenset(
    {SIGNAL_MESSAGE, SIGNAL_TREND, SIGNAL_REPEATED_INTENT, SIGNAL_ATTENTION}
)
_BOT_FAILURE_SIGNALS = frozenset({SIGNAL_FALLBACKS, SIGNAL_REPEATED_ANSWER})

DEFAULT_WEIGHTS: dict[str, float] = {
    SIGNAL_MESSAGE: 1.0,
    SIGNAL_FALLBACKS: 0.6,
    SIGNAL_REPEATED_INTENT: 0.5,
    SIGNAL_REPEATED_ANSWER: 0.4,
    SIGNAL_TREND: 0.3,
    SIGNAL_ATTENTION: 0.5,
}

DEFAULT_TOPIC_INTENTS: dict[str, str] = {
    "report_fraud": "disputes",
    "cannot_afford": "collections",
    "bereavement": "collections",
    "money_taken_wrongly": "disputes",
}
# What the agent reads for a topic handoff (the decision's evidence).
TOPIC_REASONS: dict[str, str] = {
    "report_fraud": "possible fraud: a payment or order the customer did not make",
    "cannot_afford": "the customer cannot afford the payments",
    "bereavement": "bereavement",
    "money_taken_wrongly": (
        "money taken wrongly: a double charge, a payment after payoff or cancellation, "
        "or a charge the customer did not authorise"
    ),
}

DEFAULT_TOPIC_ACTIONS: dict[str, str] = {
    # A dispute is recorded first (so the agent finds it), then a person takes over.
    "action_open_dispute": "disputes",
}

DEFAULT_INTENT_QUEUES: dict[str, str] = {
    "dispute_charge": "disputes",
    "report_fraud": "disputes",
    "money_taken_wrongly": "disputes",
    "cannot_afford": "collections",
    "bereavement": "collections",
    "late_fees": "collections",
}

# Intents that say nothing about the customer's problem, so repeating them is not a signal.
DEFAULT_CALM_INTENTS: tuple[str, ...] = (
    "acknowledge",
    "apologise",
    "small_talk",
    "thank",
    "greet",
    "goodbye",
)
# "I don't have the order number" said again is a plain answer the bot understood (it says
# where to find the number, then stops asking), not the customer asking the same thing again.
# It is not a calm intent: the bot's replies still count as repeated answers, so an angry
# "I TOLD you I don't have it" still adds up to a person.
DEFAULT_REPEAT_IGNORED_INTENTS: tuple[str, ...] = (
    "acknowledge",
    "apologise",
    "small_talk",
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "inform",
    "nlu_fallback",
    "request_human",
    "no_order_number",
)


# A complaint says the answer did not help even when the NLU's frustration score is low.
COMPLAINT_INTENTS: frozenset[str] = frozenset({"complain"})
# Share of the shorter message's topic words that must come back for a question asked again.
REPHRASE_OVERLAP = 0.5
_TOPIC_WORD = re.compile(r"[^\W\d_]{3,}")
_FUNCTION_WORDS: frozenset[str] = frozenset(
    (
        "the",
        "and",
        "you",
        "your",
        "are",
        "was",
        "were",
        "for",
        "with",
        "that",
        "this",
        "have",
        "has",
        "had",
        "not",
        "but",
        "can",
        "could",
        "would",
        "will",
        "does",
        "did",
        "how",
        "what",
        "when",
        "where",
        "why",
        "which",
        "who",
        "whom",
        "its",
        "it's",
        "i'm",
        "i've",
        "i'd",
        "don't",
        "can't",
        "there",
        "their",
        "they",
        "them",
        "from",
        "about",
        "any",
        "some",
        "just",
        "also",
        "then",
        "than",
        "into",
        "out",
        "again",
        "please",
        "que",
        "qué",
        "los",
        "las",
        "del",
        "por",
        "para",
        "con",
        "una",
        "uno",
        "unos",
        "unas",
        "cómo",
        "como",
        "cuándo",
        "cuando",
        "dónde",
        "donde",
        "está",
        "esta",
        "este",
        "eso",
        "esto",
        "mis",
        "tus",
        "sus",
        "pero",
        "hay",
        "puedo",
        "puede",
        "tengo",
        "tiene",
        "son",
        "más",
    )
)


@dataclass(frozen=True)
class MessageSignal:
    """One named reason the per-message frustration component gave for its score."""

    name: str
    score: float
    evidence: str


@dataclass(frozen=True)
class UserTurn:
    """One customer message and the bot's reaction to it.

    Attributes:
        number: 1-based position of the message in the session (what the agent sees).
        text: The message as typed.
        intent: Intent name from the NLU, ``None`` when there was none.
        confidence: The intent's confidence.
        frustration: The ``frustration.score`` the NLU component gave the message (0 to 1).
        frustration_signals: The named signals behind that score.
        explicit: ``explicit_request.matched`` from the phrase matcher.
        explicit_phrase: The phrase that matched, if any.
        explicit_mention: A person word the matcher saw outside any request frame ("my agent
            said..."): a request only if the NLU also says ``request_human``
            (``mention_floor``).
        explicit_blocked: Why a phrase did not count (negated, another sense): the NLU's
            ``request_human`` then needs ``blocked_floor``.
        known_ratio: Share of the message's words seen in the NLU training data
            (``understood.known_ratio``; 1.0 when unknown).
        unknown_words: A few of the words not seen in training (evidence).
        confused: The message is a bewildered reaction ("???", "what??") per the NLU.
        bot_texts: Texts the bot sent after this message (before the next one).
        actions: Actions the bot ran after this message (before the next one).
        external: ``True`` for intents triggered through the HTTP API, not typed by a person.
    """

    number: int
    text: str
    intent: str | None
    confidence: float = 1.0
    frustration: float = 0.0
    frustration_signals: tuple[MessageSignal, ...] = ()
    explicit: bool = False
    explicit_phrase: str | None = None
    explicit_mention: str | None = None
    explicit_blocked: str | None = None
    known_ratio: float = 1.0
    unknown_words: tuple[str, ...] = ()
    confused: bool = False
    bot_texts: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    external: bool = False


@dataclass(frozen=True)
class Signal:
    """A signal as reported in the handoff request (``signals`` in the payload)."""

    name: str
    score: float
    turn: int
    evidence: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of the handoff contract (docs/architecture.md)."""
        return {
            "name": self.name,
            "score": round(self.score, 3),
            "turn": self.turn,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class HandoffDecision:
    """Why and where a conversation goes to a person."""

    reason: str
    queue: str
    score: float
    turn: int
    intent: str | None
    signals: tuple[Signal, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form, stored in the ``handoff_signals`` slot for the action."""
        return {
            "reason": self.reason,
            "queue": self.queue,
            "score": round(self.score, 3),
            "turn": self.turn,
            "intent": self.intent,
            "signals": [signal.as_dict() for signal in self.signals],
        }


def _config_value(hint: Any, raw: Any, default: Any) -> Any:
    """A config value as the field's type (``hint``); maps are merged with ``default``."""
    if hint is bool:
        if not isinstance(raw, bool):
            raise ValueError(f"expected true or false, got {raw!r}")
        return raw
    if hint in (int, float, str):
        return hint(raw)
    origin, args = get_origin(hint), get_args(hint)
    if origin is tuple:
        if isinstance(raw, (str, Mapping)) or not isinstance(raw, Iterable):
            raise ValueError(f"expected a list of names, got {raw!r}")
        return tuple(args[0](item) for item in raw)
    if origin is Mapping:
        if raw is None:
            return dict(default)
        if not isinstance(raw, Mapping):
            raise ValueError(f"expected a mapping, got {raw!r}")
        key_type, value_type = args
        return {**default, **{key_type(key): value_type(value) for key, value in raw.items()}}
    raise TypeError(f"no config conversion for {hint!r}")


def _plain(value: Any) -> Any:
    """A settings value as YAML/JSON has it: tuples as lists, mappings as dicts."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


@dataclass(frozen=True)
class SignalSettings:
    """Every tunable of the decision, with its default: the only place defaults are written.

    The policy's ``get_default_config`` is :meth:`as_config` of the defaults, and the policy
    builds its settings from its ``config.yml`` entry with :meth:`from_config`.

    Attributes:
        threshold: Weighted score at which accumulated signals hand off.
        decay: Factor applied to a message's frustration per later turn (1 = never forget).
        message_floor: Per-message scores below this count as 0 (calm text with a sad word).
        weights: Weight of each conversation signal (see ``DEFAULT_WEIGHTS``).
        request_human_floor: Minimum ``request_human`` confidence for an explicit request.
        mention_floor: The same when the matcher saw a person word outside a request frame
            (the second signal: "agent" in a sentence the NLU reads as a request).
        blocked_floor: The same when the matcher saw a person word negated or in another
            sense ("no need to transfer me", "my travel agent").
        topic_floor: Minimum intent confidence for a topic handoff.
        fallback_limit: Consecutive fallbacks at which ``consecutive_fallbacks`` starts.
        repeated_intent_limit: Times the same intent is asked at which ``repeated_intent`` starts.
        repeated_answer_limit: Times the bot sends the same text at which
            ``repeated_bot_answer`` starts.
        trend_window: Number of latest messages the ``negative_trend`` looks at.
        trend_min_rise: Rise of the frustration score over that window that counts as a trend.
        max_units: Cap on how many times one count-based signal can add its weight.
        min_known_ratio: A message whose share of words known from training is below this
            counts as not understood, whatever intent the classifier picked (0 switches off).
        confused_counts_as_fallback: A confused reaction ("???", "what??") counts as a message
            not understood: the customer is telling the bot it is not getting through.
        unanswered_counts_as_fallback: An earlier message the bot answered with no action and
            no text at all (it just listened again) counts as not understood.
        fallback_intents: Intents that mean the NLU did not understand.
        calm_intents: Acknowledgements, thanks, apologies, small talk: never a handoff signal
            (such a message is understood, and the bot's answer to it is not counted as going
            round in circles).
        offer_action: What the policy says when ``request_human`` is in doubt (the matcher saw
            the person word negated or in another sense, or the NLU is below its floor).
        accept_intent: The answer to that offer that hands off (reason ``explicit_request``).
        fallback_actions: Bot actions that mean the bot did not know what to do.
        repeat_ignored_intents: Intents whose repetition is not a signal.
        explicit_intent: The intent that means "get me a person".
        topic_intents: Intent -> queue for topics that always go to a person.
        topic_actions: Action -> queue; after these actions a person takes over.
        intent_queues: Intent -> queue used to route the other handoffs.
        default_queue: Queue when nothing in the conversation names one.
    """

    threshold: float = 1.0
    decay: float = 0.7
    message_floor: float = 0.15
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    request_human_floor: float = 0.5
    mention_floor: float = 0.3
    blocked_floor: float = 0.9
    topic_floor: float = 0.6
    fallback_limit: int = 2
    repeated_intent_limit: int = 3
    repeated_answer_limit: int = 2
    trend_window: int = 3
    trend_min_rise: float = 0.2
    max_units: int = 3
    min_known_ratio: float = 0.5
    confused_counts_as_fallback: bool = True
    unanswered_counts_as_fallback: bool = True
    fallback_intents: tuple[str, ...] = ("nlu_fallback",)
    calm_intents: tuple[str, ...] = DEFAULT_CALM_INTENTS
    offer_action: str = "utter_offer_person"
    accept_intent: str = "affirm"
    fallback_actions: tuple[str, ...] = ("action_default_fallback", "utter_default")
    repeat_ignored_intents: tuple[str, ...] = DEFAULT_REPEAT_IGNORED_INTENTS
    explicit_intent: str = "request_human"
    topic_intents: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TOPIC_INTENTS))
    topic_actions: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TOPIC_ACTIONS))
    intent_queues: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_INTENT_QUEUES))
    default_queue: str = "payments"

    def __post_init__(self) -> None:
        """Reject settings that would silently disable the guarantee or break the maths."""
        if self.threshold <= 0:
            raise ValueError("threshold must be positive")
        if not 0.0 <= self.decay <= 1.0:
            raise ValueError("decay must be between 0 and 1")
        for name in ("fallback_limit", "repeated_intent_limit", "repeated_answer_limit"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.trend_window < 2:
            raise ValueError("trend_window must be at least 2")
        if self.max_units < 1:
            raise ValueError("max_units must be at least 1")
        if not 0.0 <= self.min_known_ratio <= 1.0:
            raise ValueError("min_known_ratio must be between 0 and 1")
        unknown = set(self.weights) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown signal weights: {sorted(unknown)}")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SignalSettings:
        """Settings from a policy's config: one key per field, the defaults for missing keys.

        Nested maps (``weights``, ``topic_intents``...) are merged with the defaults, as Rasa
        merges a component's config with its defaults one level deep, so the policy's entry of
        config.yml read here gives the settings the policy gets. Other keys (``priority``...)
        are ignored.

        Raises:
            ValueError: A value has the wrong type or is out of range (the key is named).
        """
        defaults = cls()
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for item in fields(cls):
            if item.name not in config:
                continue
            default = getattr(defaults, item.name)
            try:
                values[item.name] = _config_value(hints[item.name], config[item.name], default)
            except (TypeError, ValueError) as error:
                raise ValueError(f"{item.name}: {error}") from error
        return cls(**values)

    def as_config(self) -> dict[str, Any]:
        """The settings as a policy config (what ``from_config`` reads back unchanged)."""
        return {item.name: _plain(getattr(self, item.name)) for item in fields(self)}


def settings_from_rasa_config(path: Path) -> SignalSettings:
    """The settings the handoff policy gets from a Rasa config file such as ``config.yml``.

    For the actions, which need the policy's settings without loading a Rasa model.

    Raises:
        OSError: The file cannot be read.
        ValueError: It is not YAML, has no single ``HandoffPolicy`` entry under ``policies``,
            or the entry's settings are invalid.
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: {error}") from error
    policies = document.get("policies") if isinstance(document, Mapping) else None
    entries = [
        entry
        for entry in (policies if isinstance(policies, list) else [])
        if isinstance(entry, Mapping)
        and str(entry.get("name", "")).rsplit(".", 1)[-1] == HANDOFF_POLICY_CLASS
    ]
    if len(entries) != 1:
        raise ValueError(
            f"{path}: expected one {HANDOFF_POLICY_CLASS} under 'policies', found {len(entries)}"
        )
    try:
        return SignalSettings.from_config(entries[0])
    except ValueError as error:
        raise ValueError(f"{path}, {HANDOFF_POLICY_CLASS}: {error}") from error


def _units(count: int, limit: int, max_units: int) -> int:
    """How many times a count-based signal adds its weight: once at the limit, +1 per extra."""
    if count < limit:
        return 0
    return min(count - limit + 1, max_units)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_explicit_request(turn: UserTurn, settings: SignalSettings) -> bool:
    """Whether a message asks for a person (by intent above the floor, or by phrase)."""
    if turn.external:
        return False
    if turn.explicit:
        return True
    if turn.intent != settings.explicit_intent:
        return False
    if turn.explicit_blocked:
        floor = settings.blocked_floor
    elif turn.explicit_mention:
        floor = settings.mention_floor
    else:
        floor = settings.request_human_floor
    return turn.confidence >= floor


def accepted_offer(turns: Sequence[UserTurn], settings: SignalSettings) -> bool:
    """The bot offered a person (``offer_action``) and the customer said yes."""
    if len(turns) < 2 or turns[-1].external:
        return False
    previous = turns[-2]
    return (
        turns[-1].intent == settings.accept_intent
        and bool(previous.actions)
        and previous.actions[-1] == settings.offer_action
    )


def should_offer_person(turns: Sequence[UserTurn], settings: SignalSettings) -> bool:
    """The NLU read ``request_human`` but not surely enough: ask before handing off.

    Keeps the dialogue rule "request_human -> action_handoff" from handing off a message the
    matcher saw as negated or in another sense ("no need to transfer me", "my travel agent").
    """
    if not turns:
        return False
    latest = turns[-1]
    return (
        not latest.external
        and latest.intent == settings.explicit_intent
        and not is_explicit_request(latest, settings)
    )


def message_frustration(turns: Sequence[UserTurn], settings: SignalSettings) -> list[Signal]:
    """Per-message frustration, decayed by how many turns ago it was said.

    Returns one signal per contributing message (score = its decayed contribution, evidence
    = the component's own signal names and evidence), so the agent sees which messages
    were angry and why.
    """
    if not turns:
        return []
    latest = turns[-1].number
    signals: list[Signal] = []
    for turn in turns:
        if turn.frustration < settings.message_floor:
            continue
        contribution = turn.frustration * settings.decay ** (latest - turn.number)
        if contribution <= 0:
            continue
        details = "; ".join(
            f"{sig.name}: {_short(sig.evidence, 40)}" for sig in turn.frustration_signals
        )
        evidence = f'"{_short(turn.text, 60)}"' + (f" ({details})" if details else "")
        signals.append(Signal(SIGNAL_MESSAGE, contribution, turn.number, evidence))
    return signals


def _is_fallback(turn: UserTurn, settings: SignalSettings, answered: bool = True) -> bool:
    """Not understood: a fallback intent, no intent, mostly unknown words, or a fallback action.

    The unknown-words test catches keyboard mashing the classifier confidently filed under
    some intent ("qwerty" as ``thank``): its words were never in the training data. A confused
    reaction ("???", "what??") says the customer is not getting through either. With
    ``answered=False`` (an earlier message the bot met with silence: no action, no text) the
    message counts too when ``unanswered_counts_as_fallback`` is on: ignoring the customer is
    the bot failing, whatever the NLU thought.
    """
    if turn.external or is_calm_text(turn.text):
        return False
    if turn.intent in settings.calm_intents and turn.known_ratio >= settings.min_known_ratio:
        return False
    return (
        turn.intent is None
        or turn.intent in settings.fallback_intents
        or turn.known_ratio < settings.min_known_ratio
        or (settings.confused_counts_as_fallback and turn.confused)
        or any(action in settings.fallback_actions for action in turn.actions)
        or (settings.unanswered_counts_as_fallback and not answered)
    )


def _answered(turn: UserTurn, latest: UserTurn) -> bool:
    """Whether the bot reacted to ``turn`` (the latest one is still being answered)."""
    return turn is latest or bool(turn.actions or turn.bot_texts)


def consecutive_fallbacks(turns: Sequence[UserTurn], settings: SignalSettings) -> Signal | None:
    """The bot failed to understand several messages in a row, ending at the latest one."""
    if not turns:
        return None
    latest = turns[-1]
    streak: list[UserTurn] = []  # newest first
    for turn in reversed(turns):
        if not _is_fallback(turn, settings, _answered(turn, latest)):
            break
        streak.append(turn)
    count = len(streak)
    units = _units(count, settings.fallback_limit, settings.max_units)
    if not units:
        return None
    unknown = [word for turn in reversed(streak) for word in turn.unknown_words]
    detail = f" (unknown words: {', '.join(dict.fromkeys(unknown))})" if unknown else ""
    return Signal(
        SIGNAL_FALLBACKS,
        units,
        turns[-1].number,
        _short(f"{count} messages in a row not understood{detail}", 120),
    )


def repeated_intent(turns: Sequence[UserTurn], settings: SignalSettings) -> Signal | None:
    """The customer asked the same thing several times: the answers did not help."""
    intents = [
        turn.intent
        for turn in turns
        if turn.intent
        and not turn.external
        and turn.intent not in settings.repeat_ignored_intents
        and not is_calm_text(turn.text)
    ]
    if not intents:
        return None
    intent, count = Counter(intents).most_common(1)[0]
    units = _units(count, settings.repeated_intent_limit, settings.max_units)
    if not units:
        return None
    return Signal(
        SIGNAL_REPEATED_INTENT, units, turns[-1].number, f"asked '{intent}' {count} times"
    )


def _content_words(text: str) -> frozenset[str]:
    """The words of a message that carry its topic (three letters or more, no function words)."""
    return frozenset(
        word for word in _TOPIC_WORD.findall(text.lower()) if word not in _FUNCTION_WORDS
    )


def is_rephrase(turn: UserTurn, earlier: UserTurn) -> bool:
    """Whether ``turn`` asks again what ``earlier`` asked: half its topic words come back."""
    words, before = _content_words(turn.text), _content_words(earlier.text)
    if not words or not before:
        return False
    return len(words & before) / min(len(words), len(before)) >= REPHRASE_OVERLAP


def _unmet(turn: UserTurn, earlier: Sequence[UserTurn], settings: SignalSettings) -> bool:
    """The customer shows the last answer did not give them what they needed.

    They were not understood, they are confused or annoyed, they complain, or they ask again
    what a message answered with the same text asked: the same intent ("where's my jacket",
    then "it's been in transit for ages, where actually is it") or the same topic words. A
    calm customer acknowledging an answer (:func:`bot.calm_lexicon.is_calm_text`, skipped
    before this) or moving on to a different question the bot happens to answer alike is none
    of these.
    """
    return (
        _is_fallback(turn, settings)
        or turn.confused
        or turn.frustration >= settings.message_floor
        or turn.intent in COMPLAINT_INTENTS
        or any(turn.intent == before.intent or is_rephrase(turn, before) for before in earlier)
    )


def repeated_bot_answer(turns: Sequence[UserTurn], settings: SignalSettings) -> Signal | None:
    """The bot sent the same text again to a customer it had not helped: it goes in circles.

    A repeat counts only when the message it answered shows the need was not met
    (:func:`_unmet`); the first time a text is sent counts once.
    """
    answered: dict[str, list[UserTurn]] = {}
    counts: Counter[str] = Counter()
    for turn in turns:
        if turn.intent in settings.calm_intents or is_calm_text(turn.text):
            continue
        for raw in turn.bot_texts:
            text = " ".join(raw.split()).lower()
            if not text:
                continue
            earlier = answered.setdefault(text, [])
            if not earlier or _unmet(turn, earlier, settings):
                counts[text] += 1
            if turn not in earlier:
                earlier.append(turn)
    if not counts:
        return None
    text, count = counts.most_common(1)[0]
    units = _units(count, settings.repeated_answer_limit, settings.max_units)
    if not units:
        return None
    return Signal(
        SIGNAL_REPEATED_ANSWER,
        units,
        turns[-1].number,
        f'bot said "{_short(text, 60)}" {count} times',
    )


def negative_trend(turns: Sequence[UserTurn], settings: SignalSettings) -> Signal | None:
    """Frustration has been rising over the latest messages, never falling."""
    window = [turn for turn in turns if not turn.external][-settings.trend_window :]
    if len(window) < settings.trend_window:
        return None
    scores = [turn.frustration for turn in window]
    rising = all(later >= earlier for earlier, later in pairwise(scores))
    rise = scores[-1] - scores[0]
    if not rising or rise < settings.trend_min_rise:
        return None
    trail = " -> ".join(f"{score:.2f}" for score in scores)
    return Signal(SIGNAL_TREND, 1.0, window[-1].number, f"frustration {trail}")


ATTENTION_MAX = 2
"""At most this many attention checks count (value 1 each, weight ``attention_checks``)."""


def attention_checks(turns: Sequence[UserTurn], settings: SignalSettings) -> Signal | None:
    """The customer asked whether anyone is reading, after the bot had answered.

    "hello?", "??? hola??", "are you even reading what I type" (:mod:`bot.attention_checks`)
    count from the second message on, when the bot answered the message before; each counts
    1 (at most :data:`ATTENTION_MAX`), so with the default weight 0.5 two of them reach the
    threshold. A "hello?" that opens a conversation is a greeting.
    """
    found = [
        turn
        for previous, turn in pairwise(turns)
        if not turn.external
        and (previous.bot_texts or previous.actions)
        and is_attention_check(turn.text)
    ]
    if not found:
        return None
    evidence = ", ".join(f'"{_short(turn.text, 30)}"' for turn in found[-ATTENTION_MAX:])
    count = float(min(len(found), ATTENTION_MAX))
    return Signal(SIGNAL_ATTENTION, count, found[-1].number, evidence)


def accumulated_signals(turns: Sequence[UserTurn], settings: SignalSettings) -> list[Signal]:
    """All accumulated signals, each scored as ``weight x value`` (its contribution)."""
    raw: list[Signal] = list(message_frustration(turns, settings))
    for check in (
        consecutive_fallbacks,
        repeated_intent,
        repeated_bot_answer,
        negative_trend,
        attention_checks,
    ):
        signal = check(turns, settings)
        if signal is not None:
            raw.append(signal)
    weighted = [
        Signal(sig.name, sig.score * settings.weights.get(sig.name, 0.0), sig.turn, sig.evidence)
        for sig in raw
    ]
    return [sig for sig in weighted if sig.score > 0]


def resolve_queue(turns: Sequence[UserTurn], settings: SignalSettings) -> str:
    """The queue named by the most recent intent that names one, else the default queue."""
    for turn in reversed(turns):
        queue = settings.intent_queues.get(turn.intent or "")
        if queue is not None:
            return queue
    return settings.default_queue


def decide(
    turns: Sequence[UserTurn],
    settings: SignalSettings,
    after_action: str | None = None,
    *,
    accumulated_only: bool = False,
) -> HandoffDecision | None:
    """Decide whether the conversation goes to a person now.

    Args:
        turns: The current session's customer messages since the last hand-back, oldest
            first; the last one is the message being answered.
        settings: Thresholds, weights and mappings.
        after_action: When deciding right after a bot action (not a customer message), the
            action's name: only ``topic_actions`` are considered then.
        accumulated_only: Only sum the accumulated signals (used after the bot replied to the
            latest message: a repeated answer or a fallback is new evidence, while an explicit
            request or a topic was already checked when the message arrived).

    Returns:
        The decision, or ``None`` when the bot should carry on.
    """
    if not turns:
        return None
    latest = turns[-1]
    if after_action is not None:
        queue = settings.topic_actions.get(after_action)
        if queue is None:
            return None
        signal = Signal("topic", 1.0, latest.number, f"after {after_action}")
        return HandoffDecision(REASON_TOPIC, queue, 1.0, latest.number, latest.intent, (signal,))
    if latest.external:
        return None
    if accumulated_only:
        return _accumulated_decision(turns, settings)

    if accepted_offer(turns, settings):
        signal = Signal(REASON_EXPLICIT, 1.0, latest.number, "accepted the offer of a person")
        return HandoffDecision(
            REASON_EXPLICIT,
            resolve_queue(turns[:-1], settings),
            1.0,
            latest.number,
            latest.intent,
            (signal,),
        )

    if is_explicit_request(latest, settings):
        evidence = (
            f'phrase "{latest.explicit_phrase}"'
            if latest.explicit and latest.explicit_phrase
            else f"intent {latest.intent} ({latest.confidence:.2f})"
        )
        signal = Signal(REASON_EXPLICIT, 1.0, latest.number, evidence)
        return HandoffDecision(
            REASON_EXPLICIT,
            resolve_queue(turns[:-1], settings),
            1.0,
            latest.number,
            latest.intent,
            (signal,),
        )

    topic_queue = settings.topic_intents.get(latest.intent or "")
    if (
        topic_queue is not None
        and latest.confidence >= settings.topic_floor
        and not is_calm_text(latest.text)  # "grand" is no bereavement, whatever the NLU read
        # "me cancelaron el pedido de la silla": a settling event with no money word
        and not (latest.intent == MONEY_TOPIC_INTENT and settlement_only(latest.text))
    ):
        about = TOPIC_REASONS.get(latest.intent or "")
        signal = Signal(
            "topic",
            latest.confidence,
            latest.number,
            f"{about + ': ' if about else ''}intent {latest.intent} ({latest.confidence:.2f})",
        )
        return HandoffDecision(
            REASON_TOPIC,
            topic_queue,
            1.0,
            latest.number,
            latest.intent,
            (signal,),
        )

    money_queue = settings.topic_intents.get(MONEY_TOPIC_INTENT)
    if money_queue is not None and not is_calm_text(latest.text):
        # Read from the words too, beside the NLU (bot/money_reading.py): a charge after a
        # refund, return, cancellation or payoff, in this message or an earlier one.
        reading = taken_after_settlement(latest.text, [turn.text for turn in turns[:-1]])
        if reading is not None:
            signal = Signal("topic", 1.0, latest.number, f"money taken wrongly: {reading}")
            return HandoffDecision(
                REASON_TOPIC, money_queue, 1.0, latest.number, latest.intent, (signal,)
            )

    return _accumulated_decision(turns, settings)


def _accumulated_decision(
    turns: Sequence[UserTurn], settings: SignalSettings
) -> HandoffDecision | None:
    """The frustration / bot-failure decision from the weighted sum of the signals."""
    latest = turns[-1]
    signals = accumulated_signals(turns, settings)
    total = sum(sig.score for sig in signals)
    if total < settings.threshold:
        return None
    emotion = sum(sig.score for sig in signals if sig.name in _EMOTION_SIGNALS)
    failure = sum(sig.score for sig in signals if sig.name in _BOT_FAILURE_SIGNALS)
    reason = REASON_BOT_FAILURE if failure > emotion else REASON_FRUSTRATION
    ordered = tuple(sorted(signals, key=lambda sig: (-sig.score, sig.turn)))
    return HandoffDecision(
        reason,
        resolve_queue(turns, settings),
        total,
        latest.number,
        latest.intent,
        ordered,
    )


def turn_from_parse_data(
    number: int,
    text: str,
    parse_data: Mapping[str, Any],
    *,
    bot_texts: Sequence[str] = (),
    actions: Sequence[str] = (),
    external: bool = False,
) -> UserTurn:
    """Build a turn from a message's parse data (the same shape in Rasa and rasa-sdk).

    Missing or malformed ``frustration`` / ``explicit_request`` / ``understood`` records
    (e.g. an NLU pipeline without those components) count as "no signal" rather than failing.
    """
    intent = parse_data.get("intent") or {}
    intent_name = intent.get("name") if isinstance(intent, Mapping) else None
    confidence = intent.get("confidence") if isinstance(intent, Mapping) else None

    frustration = parse_data.get("frustration") or {}
    score = frustration.get("score") if isinstance(frustration, Mapping) else None
    raw_signals = frustration.get("signals") if isinstance(frustration, Mapping) else None
    message_signals = tuple(
        MessageSignal(
            str(sig.get("name", "?")),
            float(sig.get("score") or 0.0),
            str(sig.get("evidence") or ""),
        )
        for sig in (raw_signals if isinstance(raw_signals, list) else [])
        if isinstance(sig, Mapping)
    )
    understood = parse_data.get("understood") or {}
    ratio = understood.get("known_ratio") if isinstance(understood, Mapping) else None
    unknown = understood.get("unknown") if isinstance(understood, Mapping) else None
    confused = bool(understood.get("confused")) if isinstance(understood, Mapping) else False
    explicit = parse_data.get("explicit_request") or {}
    matched = bool(explicit.get("matched")) if isinstance(explicit, Mapping) else False
    phrase = explicit.get("phrase") if isinstance(explicit, Mapping) else None
    mention = explicit.get("mention") if isinstance(explicit, Mapping) else None
    blocked = explicit.get("blocked") if isinstance(explicit, Mapping) else None

    return UserTurn(
        number=number,
        text=text,
        intent=str(intent_name) if intent_name else None,
        confidence=float(confidence) if isinstance(confidence, (int, float)) else 0.0,
        frustration=min(1.0, max(0.0, float(score))) if isinstance(score, (int, float)) else 0.0,
        frustration_signals=message_signals,
        explicit=matched,
        explicit_phrase=str(phrase) if phrase else None,
        explicit_mention=str(mention) if mention else None,
        explicit_blocked=str(blocked) if blocked else None,
        known_ratio=min(1.0, max(0.0, float(ratio))) if isinstance(ratio, (int, float)) else 1.0,
        unknown_words=tuple(str(w) for w in unknown) if isinstance(unknown, list) else (),
        confused=confused,
        bot_texts=tuple(bot_texts),
        actions=tuple(actions),
        external=external,
    )


EPOCH_ACTIONS: frozenset[str] = frozenset({"action_handback"})


def turns_from_event_dicts(events: Sequence[Mapping[str, Any]]) -> list[UserTurn]:
    """Turns of the current session since the last hand-back, from event dicts.

    Works on rasa-sdk's ``tracker.events`` and on ``Event.as_dict()``. Restarts and session
    starts clear the history and a hand-back starts a fresh count of signals. ``rewind``
    (UserUtteranceReverted, e.g. from ``action_default_fallback``) is deliberately *not*
    applied: Rasa rewinds so the message is not featurized, but the customer did send it,
    and a message the bot could not handle is exactly what the fallback signal counts.
    """
    turns: list[UserTurn] = []
    number = 0
    pending: dict[str, Any] | None = None
    bot_texts: list[str] = []
    actions: list[str] = []

    def close() -> None:
        nonlocal pending, bot_texts, actions
        if pending is not None:
            turns.append(
                turn_from_parse_data(
                    pending["number"],
                    pending["text"],
                    pending["parse_data"],
                    bot_texts=bot_texts,
                    actions=actions,
                    external=pending["external"],
                )
            )
        pending, bot_texts, actions = None, [], []

    for event in events:
        kind = event.get("event")
        if kind in ("restart", "session_started"):
            turns, number, pending, bot_texts, actions = [], 0, None, [], []
        elif kind == "user":
            close()
            number += 1
            metadata = event.get("metadata") or {}
            pending = {
                "number": number,
                "text": str(event.get("text") or ""),
                "parse_data": event.get("parse_data") or {},
                "external": bool(metadata.get("is_external")),
            }
        elif kind == "bot" and event.get("text"):
            bot_texts.append(str(event["text"]))
        elif kind == "action" and event.get("name"):
            name = str(event["name"])
            if name == "action_listen":
                continue
            actions.append(name)
            if name in EPOCH_ACTIONS:
                pending, bot_texts, actions = None, [], []
                turns = []
        elif kind == "resume":
            close()
            turns = []
    close()
    return turns
