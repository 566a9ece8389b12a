"""Explicit requests for a person: the shared phrase list and the one matcher that reads it.

The product promise is that a customer who asks for a person gets one. Two places look for
such requests in the same list (``bot/resources/explicit_request_phrases.yml``):

* the NLU component ``bot/explicit_request.py`` (inside Rasa, with spaCy's lemmas);
* :class:`ExplicitRequestGuard` here, used by the hub, which has no Rasa and no spaCy, so that a
  request is caught even when the bot's NLU misses it or the bot is down.

Both are a :class:`PhraseMatcher`: the text is normalised (lower case, accents ignored,
letters typed three or more times collapsed so "humaaan" reads as "human"), cut into words,
and the list's phrases are found anywhere in it; a match that lies inside one of the list's
``not_requests`` phrases ("travel agent", "am I talking to a human?") is dropped and the longest
remaining match is reported. Only the tokenizer differs: each word gets a matching key, from
:func:`match_key` here and from spaCy's lemma (then the same :func:`match_key`) in the bot, so
"talking" meets "talk" either way. The words themselves are always cut by :func:`word_spans`,
so punctuation, hyphens and apostrophes cannot make the two disagree.

Phrase syntax: ``{a|b|}`` lists alternatives (an empty one makes the group optional) and is
expanded when the list is loaded; ``"{talk|speak} to {a |}person"`` yields four phrases.

Reading the sentence, not single words (issue 15):

* **Frames** (the per-language lists) ask for a person wherever they stand: "can I talk to a
  manager", "get me one of your colleagues", "ich möchte mit einem Mitarbeiter sprechen".
* **Alone words** (``alone``) ask for a person only when the message is nothing else but
  ``fillers`` ("agent", "human pls", "AGENT NOW"); inside a longer message ("my agent at the
  letting office", "a representative APR") they are only a *mention*, reported in the record
  for the policy to weigh with the NLU's ``request_human`` confidence.
* **Negation scope**: a frame or a mention right after a cue of ``negations`` in the same
  clause ("don't bother escalating", "nothing to escalate") is dropped and reported as
  ``blocked`` ("negated: ..."); a cue inside the phrase itself ("not a bot") is part of it.
  A one-word cue counts only as typed ("passed" has the key of the French "pas").
  The cues of ``no_need`` say outright that no person is wanted ("no need to transfer me",
  "sin necesidad de hablar con un agente", "no quiero hablar con un agente") and are reported
  as "no need: ..." (:data:`NO_NEED_PREFIX`): the bot then disregards the NLU's
  ``request_human`` reading of that message. A word of ``reach_stops`` between the cue and the
  phrase ("no entiendo nada quiero hablar con un agente") ends the cue's reach, and a person
  word inside a negated phrase is not reported as a mention either.
* **Other senses** (``not_requests``): a match inside one ("travel agent", "call me
  paranoid") is dropped and reported as ``blocked``.
* **Reports** (``reports``): a match with a word typed in a past form of the list ("I spoke to
  someone yesterday and...", "you called me back"), or followed by one in its clause ("mit
  einem Mitarbeiter gesprochen"), tells what happened, it does not ask; it is dropped and
  reported as ``blocked`` ("reported: ..."). The typed word is compared, not its stem or
  lemma, since "talked" and "talk" share both. After a ``wishes`` word in the match ("I'd
  rather a real person dealt with it") the past form that follows is a subjunctive, not a
  report.
* **Languages**: English and Spanish (the bot's languages) always apply; German, French,
  Portuguese, Italian and Dutch apply when ``common.language`` detects the message in that
  language (its best guess, even when unsure), and to messages of at most
  :data:`SHORT_MESSAGE_WORDS` words (detectors are unreliable on a few words).
* **Grammar** (``grammar``): a request is a request verb or form and a person, whichever words
  name them: a *head* ("talk to", "get me", "I need", "quiero que me atienda", "parlare con")
  followed by a *person* ("your boss", "someone more senior", "alguien de soporte", "un
  vostro collega"), or a person followed by a *tail* ("... I can deal with", "... to ring
  me", "que me pueda atender", "m'appelle", "zurückrufen"), with at most
  :data:`MAX_MODIFIERS` words of ``modifiers`` between them ("one of your senior staff"). The
  persons of every language meet the heads and tails of every language, so code-switched
  requests ("can I talk to alguien de soporte", "pásame con someone real") are read too.
  Tails are compared as typed, not by stem or lemma, so that a past tense ("someone called
  me", "el asesor me llamó") is not read as a request.
  A *passive* ("forwarded to", "looked at by", "a call with") is a head only after a *lead*
  ("want", "like", "can", "please"), typed as listed, at most :data:`LEAD_REACH` words
  before it in its sentence part, whatever words name the matter between: "I'd like my
  complaint forwarded to a manager", "can my case be referred to someone senior"; "my
  complaint was forwarded to a manager" has no lead and is a statement.
  An *asker* (a modal: "can", "could", "kann", "pourrait") before a person and an *asked*
  action after it, as typed ("call me", "ring us", "text me back", "mir antworten"), are a
  request together: "could someone from support phone me, gracias", "can an agent ring us on
  the landline"; neither is one alone ("someone called me", "can someone tell me the APR").
  A *pronoun* ("them", "him") counts as a person only after an *antecedent* that names a
  person by role earlier in the message ("who's in charge over there? I want to speak to
  them", "whoever handles complaints, put me through to them"): "someone at the store said
  so, I'll talk to them" has no antecedent and is not a request.
* **Respelling** (``respell``, :mod:`common.respelling`): txt-speak and common misspellings
  ("thru", "sum1", "kiero", "ablar", "x favor") are rewritten to their standard spelling in
  the text and in the phrases before anything is matched. The person words of ``typos``
  are also read with one slip of the keyboard: a letter left out or two letters swapped
  ("agnte", "asesr", "prsona", "supervsior"), unless the slip spells a word the phrase book
  uses (:func:`typo_spellings`).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml  # type: ignore[import-untyped]

from common.language import SUPPORTED, detect
from common.respelling import Respeller

DEFAULT_PHRASES_PATH = (
    Path(__file__).resolve().parents[1] / "bot" / "resources" / "explicit_request_phrases.yml"
)
LANGUAGES = SUPPORTED
BOT_LANGUAGES = ("en", "es")
EXCLUSIONS_KEY = "not_requests"
ALONE_KEY = "alone"
FILLERS_KEY = "fillers"
NEGATIONS_KEY = "negations"
NO_NEED_KEY = "no_need"
REACH_STOPS_KEY = "reach_stops"
DECLINES_KEY = "declines"
BREAKS_KEY = "clause_breaks"
GRAMMAR_KEY = "grammar"
REPORTS_KEY = "reports"
WISHES_KEY = "wishes"
AMBIGUOUS_REPORTS_KEY = "ambiguous_reports"
REPORT_FOLLOWERS_KEY = "report_followers"
REPORTED_PREFIX = "reported: "
SPEECH_KEY = "speech_reports"
SELF_SUBJECTS_KEY = "self_subjects"
REPORTED_SPEECH_PREFIX = "reported speech: "
SPEECH_REACH = 4
_EMBEDDERS = frozenset(
    (
        "why",
        "what",
        "how",
        "where",
        "when",
        "whether",
        "if",
        "that",
        "que",
        "por",
        "porque",
        "si",
        "donde",
        "cuando",
        "como",
        "cuanto",
    )
)
"""Words that open an embedded clause: "could a human check why UPS says ..." asks, and UPS
is the speaker of the embedded clause, not the person asked for."""
"""A reporting verb at most this many words after a person names that person as the one who
spoke ("the customer service team at Northwind told me ...")."""
RESPELL_KEY = "respell"
TYPOS_KEY = "typos"
# Words of at least this many letters get their one-slip misspellings read (``typos``).
TYPO_MIN_LETTERS = 5
# At most this many ``modifiers`` words stand between a head (or a tail) and its person.
MAX_MODIFIERS = 4
GRAMMAR_PARTS = (
    "heads",
    "tails",
    "persons",
    "modifiers",
    "pronouns",
    "antecedents",
    "leads",
    "passives",
    "askers",
    "asked",
    "inquiries",
    "grievances",
    "tasks",
    "vague",
    "preferences",
    "companions",
)
# The parts of the grammar listed per language (each a ``PhraseBook`` field of that name).
_GRAMMAR_LANGUAGE_PARTS = tuple(part for part in GRAMMAR_PARTS if part != "modifiers")
# A passive ("escalated to", "passed on to") is a head when a lead ("want", "please", "can"),
# typed as listed, ends at most this many words before it in its sentence part: "I want my
# complaint forwarded to", "can my case be referred to", "please get this passed on to".
LEAD_REACH = 4
# A TASK verb ("check", "prüfen", "nakijken") may stand this many words after its person in
# the same clause: German and Dutch put the verb last ("kann ein Mensch meine Zahlung prüfen").
TASK_REACH = 5
# A PREFERENCE ("I'd rather", "prefiero") may stand this many words before its COMPANION word
# ("with", "con") in the same sentence part: "I'd rather go through the whole plan with a human".
PREFERENCE_REACH = 7
# Messages of at most this many words are matched against every language's phrases: requests
# in the languages the bot does not speak are short ("preciso falar com um atendente", "ik wil
# met iemand praten"), and the detector is least reliable on short texts.
SHORT_MESSAGE_WORDS = 6
# A negation cue reaches a phrase that starts at most this many words after it.
NEGATION_REACH = 3
# ... and a ``no_need`` cue this many ("no quiero que me pasen con un asesor").
NO_NEED_REACH = 5
# How ``blocked`` starts when a ``no_need`` cue cancelled the phrase ("no need: sin necesidad").
NO_NEED_PREFIX = "no need: "
NEGATED_PREFIX = "negated: "
_CLAUSE_PUNCTUATION = re.compile(r"[,.;:!?()\n]")

_GROUP = re.compile(r"\{([^{}]*)\}")
_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
# ' and its look-alikes: right single quote, grave and acute accents.
_APOSTROPHES = re.compile("['\u2019`\u00b4]")
# A word: letters and digits, apostrophes inside it dropped ("don't" is the word "dont").
_WORD = re.compile(r"[a-z0-9ñ]+(?:['\u2019`\u00b4]+[a-z0-9ñ]+)*")
_IRREGULAR_STEMS = {"spoke": "speak", "spoken": "speak", "told": "tell", "got": "get"}
# Forms the suffix stemmer cannot reach that the phrase list's words take, mapped to the form
# spaCy's lemmatizer gives, so the hub's guard and the bot agree on them.
_BASE_FORMS = {
    **dict.fromkeys(("am", "is", "are", "was", "were", "been", "being"), "be"),
    **dict.fromkeys(("has", "had", "having"), "have"),
    **dict.fromkeys(("gave", "given"), "give"),
    **dict.fromkeys(("saw", "seen"), "see"),
    **dict.fromkeys(("rang", "rung"), "ring"),
    "an": "a",
    "found": "find",
    "gotten": "get",
    "brought": "bring",
    "men": "man",
    "women": "woman",
    "ladies": "lady",
}


class PhraseListError(ValueError):
    """The phrase list file is missing or malformed (raised at load time, never per message)."""


@dataclass(frozen=True)
class Phrase:
    """One expanded phrase and the language of the list it came from."""

    text: str
    language: str
    alone: bool = False
    part: str = ""
    """For the grammar: which of its parts the phrase is ("heads", "tails", "persons",
    "pronouns", "antecedents", "leads", "passives", "askers", "asked")."""


@dataclass(frozen=True)
class PhraseBook:
    """The loaded phrase list: request phrases per language plus the exclusions.

    ``alone`` phrases count only in a message of nothing but ``fillers``; ``negations`` are
    the cues that cancel a phrase after them in the same clause, ``no_need`` the cues among
    them that say no person is wanted, ``breaks`` the words that start a new clause ("but",
    "just", "pero"), ``reach_stops`` the words that end a cue's reach when they stand
    between it and the phrase ("quiero", "want"), and ``declines`` whole phrases that say no
    person is wanted without a request phrase to negate ("no quiero hablar con nadie").
    """

    phrases: tuple[Phrase, ...]
    exclusions: tuple[str, ...]
    fillers: tuple[str, ...] = ()
    negations: tuple[str, ...] = ()
    breaks: tuple[str, ...] = ()
    no_need: tuple[str, ...] = ()
    reach_stops: tuple[str, ...] = ()
    declines: tuple[str, ...] = ()
    heads: tuple[Phrase, ...] = ()
    tails: tuple[Phrase, ...] = ()
    persons: tuple[Phrase, ...] = ()
    modifiers: tuple[str, ...] = ()
    pronouns: tuple[Phrase, ...] = ()
    antecedents: tuple[Phrase, ...] = ()
    leads: tuple[Phrase, ...] = ()
    passives: tuple[Phrase, ...] = ()
    askers: tuple[Phrase, ...] = ()
    asked: tuple[Phrase, ...] = ()
    respell: tuple[tuple[str, str], ...] = ()
    reports: tuple[str, ...] = ()
    wishes: tuple[str, ...] = ()
    inquiries: tuple[Phrase, ...] = ()
    grievances: tuple[Phrase, ...] = ()
    ambiguous_reports: tuple[str, ...] = ()
    report_followers: tuple[str, ...] = ()
    tasks: tuple[Phrase, ...] = ()
    vague: tuple[Phrase, ...] = ()
    preferences: tuple[Phrase, ...] = ()
    companions: tuple[Phrase, ...] = ()
    speech_reports: tuple[str, ...] = ()
    self_subjects: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExplicitRequestMatch:
    """What a matcher found; ``as_dict`` is the ``explicit_request`` parse-data record."""

    matched: bool
    phrase: str | None = None
    language: str | None = None
    mention: str | None = None
    blocked: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape in docs/architecture.md (``explicit_request`` in parse data).

        ``mention``: a person word that is not a request on its own ("my agent said...");
        ``blocked``: why a phrase did not count ("negated: dont", "no need: no need to",
        "other sense: travel agent").
        """
        return {
            "matched": self.matched,
            "phrase": self.phrase,
            "language": self.language,
            "mention": self.mention,
            "blocked": self.blocked,
        }

    @property
    def declined(self) -> bool:
        """The customer said no person is needed ("no need for an agent, just...").

        A ``no_need`` cue cancelled the phrase, so an NLU ``request_human`` reading is wrong.
        """
        return not self.matched and (self.blocked or "").startswith(NO_NEED_PREFIX)


NO_MATCH = ExplicitRequestMatch(matched=False)


class Token(NamedTuple):
    """One word of a text as a :class:`PhraseMatcher` compares it.

    Attributes:
        key: The form compared with the phrases' words (:func:`match_key` of the word or of
            its lemma), so that inflected forms meet the listed base form.
        text: The word as typed (normalised). When several phrases match the same span, the
            one whose words were typed exactly as listed wins: "spoke to an agent" is closer to
            "speak to an agent" than to "speak to a agent".
    """

    key: str
    text: str


Tokenizer = Callable[[str], Sequence[Token]]
"""Turns a text already passed through :func:`normalise` into the :class:`Token` of each of its
:func:`word_spans`."""


class Word(NamedTuple):
    """A word of a text and where it stands: ``text[start:end]``, apostrophes dropped."""

    text: str
    start: int
    end: int


def expand_alternatives(pattern: str) -> list[str]:
    """Expand ``{a|b|}`` groups into every combination, whitespace tidied.

    Raises:
        PhraseListError: for unbalanced braces.
    """
    pieces = _GROUP.split(pattern)
    literals, groups = pieces[0::2], pieces[1::2]
    if any("{" in lit or "}" in lit for lit in literals):
        raise PhraseListError(f"unbalanced braces in phrase {pattern!r}")
    options = [group.split("|") for group in groups]
    expanded: dict[str, None] = {}  # insertion-ordered set: a list's `in` made this quadratic
    for choice in itertools.product(*options):
        parts = [literals[0]]
        for option, literal in zip(choice, literals[1:], strict=True):
            parts.extend((option, literal))
        text = " ".join("".join(parts).split())
        if text:
            expanded[text] = None
    return list(expanded)


def strip_accents(text: str) -> str:
    """Drop combining accents ("atención" -> "atencion") so typing them is optional."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise(text: str) -> str:
    """Lower case, accents dropped, unicode compatibility forms folded."""
    if text.isascii():  # NFKC and NFKD leave ASCII as it is; casefold is lower there
        return text.lower()
    return strip_accents(unicodedata.normalize("NFKC", text)).casefold()


def elongation_variants(text: str) -> tuple[str, ...]:
    """The text plus its elongation-collapsed forms ("humaaan" -> "human", "humaan").

    A letter typed three or more times is collapsed to one and, separately, to two letters,
    since either may be the intended spelling ("sooo" -> "so", "agreee" -> "agree").
    """
    if not _ELONGATION.search(text):
        return (text,)
    single = _ELONGATION.sub(r"\1", text)
    double = _ELONGATION.sub(r"\1\1", text)
    return tuple(dict.fromkeys((text, single, double)))


def stem(word: str) -> str:
    """A deliberately tiny stemmer: enough for "talking"/"talked"/"talks" to meet "talk".

    It only has to map a phrase and the customer's text to the same form, so it is applied
    to both; it is not meant to produce dictionary words.
    """
    word = _IRREGULAR_STEMS.get(word, word)
    if len(word) > 4 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 2 and word[-1] == word[-2] and word[-1].isalpha():
        word = word[:-1]
    return word


@functools.lru_cache(maxsize=8192)
def match_key(word: str) -> str:
    """The form a phrase matcher compares a word in: base form, :func:`stem`, no final "e".

    Irregular forms of the phrase list's words ("was", "an", "women") are mapped as spaCy's
    lemmatizer maps them, and a final "e" is dropped so that "escalate" meets "escalating" and
    "give" meets "giving": the hub's guard then agrees with the bot, whose keys are this of a
    lemma. (:func:`stem` itself stays as it is: trained models store its forms.)
    """
    key = stem(_BASE_FORMS.get(word, word))
    return key[:-1] if len(key) > 3 and key.endswith("e") else key


def word_spans(text: str) -> list[Word]:
    """The words of an already normalised ``text``, with their positions.

    A word is a run of letters and digits; apostrophes inside it are dropped ("don't" is
    "dont"), everything else separates words. Every tokenizer cuts text this way.
    """
    return list(_spans(text))


@functools.lru_cache(maxsize=64)
def _spans(text: str) -> tuple[Word, ...]:
    """:func:`word_spans` as a tuple, kept for the last texts.

    The hub's tokenizer and the matcher both cut the same message.
    """
    return tuple(
        Word(_APOSTROPHES.sub("", found.group()), found.start(), found.end())
        for found in _WORD.finditer(text)
    )


def surface_words(text: str) -> list[str]:
    """Normalised words of ``text`` as typed (apostrophes dropped: "don't" -> "dont")."""
    return [word.text for word in word_spans(normalise(text))]


def plain_tokens(text: str) -> list[Token]:
    """The hub's tokenizer (no spaCy): words of normalised ``text`` keyed by :func:`match_key`."""
    return [Token(match_key(word.text), word.text) for word in _spans(text)]


def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PhraseListError(f"{where} must be a list of strings")
    return value


def parse_phrase_book(document: Mapping[str, Any], *, source: str = "<memory>") -> PhraseBook:
    """Validate and expand a parsed phrase-list document.

    Raises:
        PhraseListError: for unknown keys, non-string entries or an empty list.
    """
    keys = {
        EXCLUSIONS_KEY,
        ALONE_KEY,
        FILLERS_KEY,
        NEGATIONS_KEY,
        BREAKS_KEY,
        NO_NEED_KEY,
        REACH_STOPS_KEY,
        DECLINES_KEY,
        GRAMMAR_KEY,
        RESPELL_KEY,
        REPORTS_KEY,
        WISHES_KEY,
        AMBIGUOUS_REPORTS_KEY,
        REPORT_FOLLOWERS_KEY,
        TYPOS_KEY,
        SPEECH_KEY,
        SELF_SUBJECTS_KEY,
    }
    unknown = set(document) - {*LANGUAGES, *keys}
    if unknown:
        raise PhraseListError(f"{source}: unknown keys {sorted(unknown)}")
    alone = document.get(ALONE_KEY) or {}
    if not isinstance(alone, Mapping) or set(alone) - set(LANGUAGES):
        raise PhraseListError(f"{source}: alone must map languages {LANGUAGES} to phrases")
    phrases: list[Phrase] = []
    for language in LANGUAGES:
        for pattern in _string_list(document.get(language, []), f"{source}: {language}"):
            phrases.extend(Phrase(text, language) for text in expand_alternatives(pattern))
        for pattern in _string_list(alone.get(language, []), f"{source}: alone.{language}"):
            phrases.extend(Phrase(text, language, True) for text in expand_alternatives(pattern))
    if not phrases:
        raise PhraseListError(f"{source}: no phrases")

    def expanded(key: str, within: Mapping[str, Any] = document) -> tuple[str, ...]:
        patterns = _string_list(within.get(key, []), f"{source}: {key}")
        return tuple(dict.fromkeys(t for p in patterns for t in expand_alternatives(p)))

    grammar = document.get(GRAMMAR_KEY) or {}
    if not isinstance(grammar, Mapping) or set(grammar) - set(GRAMMAR_PARTS):
        raise PhraseListError(f"{source}: grammar takes the parts {GRAMMAR_PARTS}")
    by_language: dict[str, list[Phrase]] = {part: [] for part in _GRAMMAR_LANGUAGE_PARTS}
    for part, found in by_language.items():
        per_language = grammar.get(part) or {}
        if not isinstance(per_language, Mapping) or set(per_language) - set(LANGUAGES):
            raise PhraseListError(f"{source}: grammar.{part} must map languages to phrases")
        for language in LANGUAGES:
            where = f"{source}: grammar.{part}.{language}"
            for pattern in _string_list(per_language.get(language, []), where):
                found.extend(
                    Phrase(text, language, part=part) for text in expand_alternatives(pattern)
                )
    respell = document.get(RESPELL_KEY) or {}
    if not isinstance(respell, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()
        for k, v in respell.items()
    ):
        raise PhraseListError(f"{source}: respell must map typed words to standard spellings")
    spellings = {normalise(k): normalise(v) for k, v in respell.items()}
    listed = {
        word
        for phrase in (*phrases, *(p for found in by_language.values() for p in found))
        for word in surface_words(phrase.text)
    }
    listed.update(surface_words(" ".join((*expanded(FILLERS_KEY), *spellings.values()))))
    typo_words = expanded(TYPOS_KEY)
    typos = typo_spellings(typo_words, exclude=listed | set(spellings) | set(typo_words))
    return PhraseBook(
        tuple(dict.fromkeys(phrases)),
        expanded(EXCLUSIONS_KEY),
        expanded(FILLERS_KEY),
        expanded(NEGATIONS_KEY),
        expanded(BREAKS_KEY),
        expanded(NO_NEED_KEY),
        expanded(REACH_STOPS_KEY),
        expanded(DECLINES_KEY),
        tuple(dict.fromkeys(by_language["heads"])),
        tuple(dict.fromkeys(by_language["tails"])),
        tuple(dict.fromkeys(by_language["persons"])),
        expanded("modifiers", grammar),
        tuple(dict.fromkeys(by_language["pronouns"])),
        tuple(dict.fromkeys(by_language["antecedents"])),
        tuple(dict.fromkeys(by_language["leads"])),
        tuple(dict.fromkeys(by_language["passives"])),
        tuple(dict.fromkeys(by_language["askers"])),
        tuple(dict.fromkeys(by_language["asked"])),
        tuple({**typos, **spellings}.items()),
        tuple(normalise(word) for word in expanded(REPORTS_KEY)),
        tuple(normalise(word) for word in expanded(WISHES_KEY)),
        tuple(dict.fromkeys(by_language["inquiries"])),
        tuple(dict.fromkeys(by_language["grievances"])),
        tuple(normalise(word) for word in expanded(AMBIGUOUS_REPORTS_KEY)),
        tuple(normalise(word) for word in expanded(REPORT_FOLLOWERS_KEY)),
        tuple(dict.fromkeys(by_language["tasks"])),
        tuple(dict.fromkeys(by_language["vague"])),
        tuple(dict.fromkeys(by_language["preferences"])),
        tuple(dict.fromkeys(by_language["companions"])),
        tuple(normalise(word) for word in expanded(SPEECH_KEY)),
        tuple(normalise(word) for word in expanded(SELF_SUBJECTS_KEY)),
    )


def typo_spellings(words: Iterable[str], exclude: set[str]) -> dict[str, str]:
    """One-slip misspellings of ``words`` mapped to the word: a letter dropped, two swapped.

    A dropped letter is never the first one.

    Only words of at least :data:`TYPO_MIN_LETTERS` letters, and never a slip that spells a
    word of ``exclude`` (the phrase book's own words: "persona" less one letter is "person") or
    a slip shared by two of ``words``.
    """
    found: dict[str, set[str]] = {}
    for word in (normalise(w) for w in words):
        if len(word) < TYPO_MIN_LETTERS or " " in word:
            continue
        # The first letter is kept: "lease", "peak" and "gent" are words, not slips.
        slips = {word[:i] + word[i + 1 :] for i in range(1, len(word))}
        slips |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
        for slip in slips - {word}:
            found.setdefault(slip, set()).add(word)
    return {
        slip: next(iter(targets))
        for slip, targets in sorted(found.items())
        if len(targets) == 1 and slip not in exclude
    }


def load_phrase_book(path: Path | None = None) -> PhraseBook:
    """Read the phrase list (default: ``bot/resources/explicit_request_phrases.yml``).

    Raises:
        PhraseListError: when the file cannot be read or is malformed.
    """
    source = path or DEFAULT_PHRASES_PATH
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PhraseListError(f"cannot read explicit-request phrases from {source}: {exc}") from exc
    if not isinstance(document, Mapping):
        raise PhraseListError(f"{source}: expected a mapping of language -> phrases")
    return parse_phrase_book(document, source=str(source))


@dataclass(frozen=True)
class _Entry:
    """A phrase as indexed by the matcher: its words' keys and their listed forms."""

    keys: tuple[str, ...]
    texts: tuple[str, ...]
    phrase: Phrase
    rank: int


@dataclass(frozen=True)
class _Candidate:
    """A phrase found over token positions ``[start, end)``."""

    start: int
    end: int
    entry: _Entry
    same_words: int


class _Index:
    """Phrases by their keys, and the lengths of the phrases that start with each key."""

    def __init__(
        self,
        phrases: Iterable[Phrase],
        tokenizer: Tokenizer,
        prepare: Callable[[str], str] = str,
    ) -> None:
        self._entries: dict[tuple[str, ...], list[_Entry]] = {}
        lengths: dict[str, set[int]] = {}
        for rank, phrase in enumerate(phrases):
            tokens = tokenizer(prepare(normalise(phrase.text)))
            if tokens:
                keys = tuple(token.key for token in tokens)
                entry = _Entry(keys, tuple(token.text for token in tokens), phrase, rank)
                self._entries.setdefault(keys, []).append(entry)
                lengths.setdefault(keys[0], set()).add(len(keys))
        self._lengths = {key: tuple(sorted(found)) for key, found in lengths.items()}

    def find(self, tokens: Sequence[Token]) -> Iterator[_Candidate]:
        """Every occurrence of an indexed phrase in ``tokens``."""
        keys = tuple(token.key for token in tokens)
        for start, key in enumerate(keys):
            for length in self._lengths.get(key, ()):
                end = start + length
                if end > len(keys):
                    break
                for entry in self._entries.get(keys[start:end], ()):
                    typed = (token.text for token in tokens[start:end])
                    same = sum(a == b for a, b in zip(typed, entry.texts, strict=True))
                    yield _Candidate(start, end, entry, same)


class PhraseMatcher:
    """Finds the phrase list's requests in a text, with the words cut by a given tokenizer.

    Build it once (it tokenizes and indexes every phrase) and call :meth:`match` per
    message; it holds no per-message state and is safe to share.
    """

    def __init__(self, book: PhraseBook, tokenizer: Tokenizer) -> None:
        """Index the phrases, exclusions and cues of ``book`` as ``tokenizer`` cuts them."""
        self._tokenize = tokenizer
        self._respell = respell = Respeller(dict(book.respell))

        def index(phrases: Iterable[Phrase]) -> _Index:
            return _Index(phrases, tokenizer, respell)

        def keys(texts: Iterable[str]) -> frozenset[str]:
            return frozenset(_keys((respell(normalise(t)) for t in texts), tokenizer))

        self._phrases = index(book.phrases)
        self._exclusions = index(Phrase(text, "") for text in book.exclusions)
        cues = (
            *(Phrase(text, "") for text in book.negations),
            *(Phrase(text, NO_NEED_KEY) for text in book.no_need),
        )
        self._negations = index(cues)
        self._fillers = keys(book.fillers)
        self._breaks = keys(book.breaks)
        self._stops = keys(book.reach_stops)
        self._declines = index(Phrase(text, NO_NEED_KEY) for text in book.declines)
        # One index for every per-language part of the grammar: one pass finds them all.
        self._grammar_parts = index(
            phrase for part in _GRAMMAR_LANGUAGE_PARTS for phrase in getattr(book, part)
        )
        self._modifiers = keys(book.modifiers)
        # One-word negation cues, as typed: "I'd rather not go through it with a person".
        self._negation_words = frozenset(
            normalise(text) for text in book.negations if len(surface_words(text)) == 1
        )
        self._reports = frozenset(book.reports)
        self._wishes = frozenset(book.wishes)
        self._ambiguous = frozenset(book.ambiguous_reports)
        self._followers = frozenset(book.report_followers)
        self._speech = frozenset(book.speech_reports)
        self._self_subjects = frozenset(book.self_subjects)
        self._prepositions = frozenset(_keys(("con", "with"), tokenizer))
        self._grammar_rank = len(book.phrases)

    def match(self, text: str, tokenizer: Tokenizer | None = None) -> ExplicitRequestMatch:
        """Whether ``text`` asks for a person, and by which phrase of the list.

        Args:
            text: The message as typed.
            tokenizer: For this call only, instead of the matcher's own; it must key words the
                same way (the bot passes one that reuses the spaCy doc Rasa already made).
        """
        tokenize = tokenizer or self._tokenize
        first: ExplicitRequestMatch | None = None
        for elongated in elongation_variants(normalise(text)):
            variant = self._respell(elongated)
            found = self._read(variant, tokenize(variant), text)
            if found.matched:
                return found
            first = first or found
        return first or NO_MATCH

    def _read(self, variant: str, tokens: Sequence[Token], typed: str) -> ExplicitRequestMatch:
        words = _spans(variant)
        languages = _languages(typed, len(tokens))
        clause, sentence = _clauses(variant, words, tokens, self._breaks)
        excluded = [(c.start, c.end, c) for c in self._exclusions.find(tokens)]
        # A one-word cue counts only as typed: "passed" must not be the French "pas".
        cues = sorted(
            (c for c in self._negations.find(tokens) if len(c.entry.keys) > 1 or c.same_words),
            key=_cue_rank,
        )
        requests: list[_Candidate] = []
        mentions: list[_Candidate] = []
        negated: list[_Candidate] = []
        blocked: str | None = None
        # The grammar's parts are joined within a sentence part, even across a clause-break word
        # ("anyone with actual authority | I can deal with").
        found = [*self._phrases.find(tokens), *self._grammar(tokens, sentence)]
        speech = self._speech_at(tokens)
        for cand in sorted(found, key=_rank):
            if cand.entry.phrase.language not in languages:
                continue
            inside = next(
                (e for s, e_, e in excluded if s <= cand.start < e_ or cand.start <= s < cand.end),
                None,
            )
            if inside is not None:
                blocked = blocked or f"other sense: {_span_text(words, inside)}"
                continue
            # The word right after the span too, in its clause: a participle at the end ("mit
            # einem Mitarbeiter gesprochen", "met een medewerker gesproken").
            # Not after a wish ("I'd rather a real person dealt with it": a subjunctive).
            after = (
                cand.end + 1
                if cand.end < len(tokens)
                and clause[cand.end] == clause[cand.end - 1]
                and not any(t.text in self._wishes for t in tokens[cand.start : cand.end])
                else cand.end
            )
            report = next(
                (t.text for t in tokens[cand.start : after] if t.text in self._reports), None
            ) or self._reported_later(tokens, sentence, cand)
            # "the customer service team at Northwind told me ...": the person is the speaker
            # (a person word alone stays a mention: "an agent said it was fine, ...").
            report = report or next(
                (
                    tokens[index].text
                    for index in speech
                    if cand.end <= index <= cand.end + SPEECH_REACH
                    and clause[index] == clause[cand.start]
                    and not any(t.text in _EMBEDDERS for t in tokens[cand.start : index])
                    and not cand.entry.phrase.alone
                ),
                None,
            )
            if report is not None:
                blocked = blocked or f"{REPORTED_PREFIX}{_span_text(words, cand)}"
                continue
            cue = next((c for c in cues if self._reaches(c, cand, tokens, clause)), None)
            if cue is not None:
                negated.append(cand)
                blocked = blocked or _negated_by(words, cue)
                continue
            if cand.entry.phrase.alone and not self._only_fillers(tokens, cand, clause):
                mentions.append(cand)
            else:
                requests.append(cand)
        if requests:
            best = min(requests, key=_rank)
            phrase = best.entry.phrase
            return ExplicitRequestMatch(True, phrase.text, phrase.language)
        # "sin necesidad de hablar con un agente": "agente" is part of the negated frame.
        mentions = [m for m in mentions if not any(_overlap(m, n) for n in negated)]
        mention = min(mentions, key=_rank).entry.phrase.text if mentions else None
        if blocked is None or not blocked.startswith(NO_NEED_PREFIX):
            decline = min(self._declines.find(tokens), key=_rank, default=None)
            blocked = _negated_by(words, decline) if decline is not None else blocked
        # Someone else's words reported ("el repartidor dijo que tenía que firmar una persona"):
        # no request was read, and the NLU's request_human is disregarded too.
        if speech and (blocked is None or not blocked.startswith(NO_NEED_PREFIX)):
            blocked = f"{REPORTED_SPEECH_PREFIX}{tokens[speech[0]].text}"
        if mention is None and blocked is None:
            return NO_MATCH
        return ExplicitRequestMatch(False, mention=mention, blocked=blocked)

    def _speech_at(self, tokens: Sequence[Token]) -> list[int]:
        """Positions of reporting verbs (as typed) whose speaker is not the customer or the bot.

        "my bank's rep said", "el repartidor dijo", "la de atención al cliente me dijo": a
        third party spoke. "I told you", "you said", "I was told" are left out: the customer or
        the bot is the speaker, or the customer is passing on what they were told.
        """
        found: list[int] = []
        for index, token in enumerate(tokens):
            if token.text not in self._speech:
                continue
            before = {t.text for t in tokens[max(0, index - 2) : index]}
            if not before & self._self_subjects:
                found.append(index)
        return found

    def _grammar(self, tokens: Sequence[Token], clause: Sequence[int]) -> list[_Candidate]:
        """Requests read by the grammar: head + person, or person + tail (see module doc)."""
        parts: dict[str, list[_Candidate]] = {part: [] for part in _GRAMMAR_LANGUAGE_PARTS}
        for cand in self._grammar_parts.find(tokens):
            parts[cand.entry.phrase.part].append(cand)
        # Tails as typed: "someone to call me", not "someone called me".
        tails = [t for t in parts["tails"] if t.same_words == len(t.entry.keys)]
        heads = [*parts["heads"], *_led_passives(parts["leads"], parts["passives"], clause)]
        # "them" is a person when a role came before it ("who's in charge? ... speak to them").
        pronouns = [
            pronoun
            for pronoun in parts["pronouns"]
            if any(a.end <= pronoun.start for a in parts["antecedents"])
        ]
        # "quiero hablar con él": the head "hablar con" already holds the preposition of the
        # pronoun "con el", so the pronoun is also read without it.
        persons = [
            *parts["persons"],
            *pronouns,
            *(
                _Candidate(p.start + 1, p.end, p.entry, p.same_words - 1)
                for p in pronouns
                if p.end - p.start > 1 and tokens[p.start].key in self._prepositions
            ),
        ]
        # "could | someone from support | phone me": a modal asks, the person does the action.
        asked = [a for a in parts["asked"] if a.same_words == len(a.entry.keys)]
        # "who handles complaints? I want to lodge one": a question for the person in charge
        # and a complaint, in either order, in one message.
        inquired = [
            self._joined(first, last, inquiry, tokens)
            for inquiry in parts["inquiries"]
            for grievance in parts["grievances"]
            if not _overlap(inquiry, grievance)
            and inquiry.entry.phrase.language == grievance.entry.phrase.language
            for first, last in [sorted((inquiry, grievance), key=lambda c: c.start)]
        ]
        # "could | a human | check why ...": a modal asks, a named person does a task; not a
        # vague "someone" ("can someone else check my order if I give them the number").
        tasks = [t for t in parts["tasks"] if t.same_words == len(t.entry.keys)]
        vague = {(v.start, v.end) for v in parts["vague"]}
        # "I'd rather go through the whole plan | with | a human": a preference, words naming
        # the matter, then "with" and a person that is not vague.
        preferred = list(self._preferred(parts["preferences"], parts["companions"], tokens, clause))
        if not persons or not (heads or tails or asked or tasks or preferred):
            return inquired
        joined = inquired
        joined.extend(
            self._joined(head, person, head, tokens)
            for head in preferred
            for person in persons
            if (person.start, person.end) not in vague
            and _together(head, person)
            and self._bridged(tokens, clause, head.end, person.start)
        )
        joined.extend(
            self._joined(head, person, head, tokens)
            for head in heads
            for person in persons
            if _together(head, person) and self._bridged(tokens, clause, head.end, person.start)
        )
        joined.extend(
            self._joined(person, tail, tail, tokens)
            for person in persons
            for tail in tails
            if _together(tail, person) and self._bridged(tokens, clause, person.end, tail.start)
        )
        joined.extend(
            self._joined(asker, action, action, tokens)
            for asker in parts["askers"]
            for person in persons
            if _together(asker, person) and self._bridged(tokens, clause, asker.end, person.start)
            for action in asked
            if action.entry.phrase.language == asker.entry.phrase.language
            and self._bridged(tokens, clause, person.end, action.start)
        )
        joined.extend(
            self._joined(asker, task, task, tokens)
            for asker in parts["askers"]
            for person in persons
            if (person.start, person.end) not in vague
            and _together(asker, person)
            and self._bridged(tokens, clause, asker.end, person.start)
            for task in tasks
            if task.entry.phrase.language == asker.entry.phrase.language
            and 0 <= task.start - person.end <= TASK_REACH
            and clause[person.end - 1] == clause[task.start]
        )
        return joined

    def _preferred(
        self,
        preferences: Sequence[_Candidate],
        companions: Sequence[_Candidate],
        tokens: Sequence[Token],
        sentence: Sequence[int],
    ) -> Iterator[_Candidate]:
        """Companion words that a preference before them makes a head (see ``PREFERENCE_REACH``).

        The preference is typed as listed, in the companion's language and sentence part, with
        no negation word between ("I'd rather not discuss it with a person" is no request).
        """
        for companion in companions:
            for preference in preferences:
                if (
                    preference.same_words == len(preference.entry.keys)
                    and preference.end <= companion.start
                    and companion.start - preference.end <= PREFERENCE_REACH
                    and sentence[preference.start] == sentence[companion.start]
                    and preference.entry.phrase.language == companion.entry.phrase.language
                    and not any(
                        t.text in self._negation_words
                        for t in tokens[preference.end : companion.start]
                    )
                ):
                    yield _Candidate(
                        preference.start,
                        companion.end,
                        companion.entry,
                        preference.same_words + companion.same_words,
                    )
                    break

    def _reported_later(
        self, tokens: Sequence[Token], sentence: Sequence[int], cand: _Candidate
    ) -> str | None:
        """A past form later in the sentence part that makes an ambiguous match a report.

        "hablé con alguien en correos y me dijeron ...": typed without its accent, "hable"
        is also the request "hable con un agente"; a past form of the same sentence part after
        the match ("dijeron", "ayer") tells it was a report.
        """
        if not any(t.text in self._ambiguous for t in tokens[cand.start : cand.end]):
            return None
        own = sentence[cand.start]
        return next(
            (
                t.text
                for index, t in enumerate(tokens[cand.end :], start=cand.end)
                if sentence[index] == own and t.text in self._followers
            ),
            None,
        )

    def _bridged(
        self, tokens: Sequence[Token], clause: Sequence[int], end: int, start: int
    ) -> bool:
        """Whether only modifiers stand between ``end`` and ``start``, with no punctuation."""
        return (
            0 <= start - end <= MAX_MODIFIERS
            and clause[end - 1] == clause[start]
            and all(token.key in self._modifiers for token in tokens[end:start])
        )

    def _joined(
        self, first: _Candidate, last: _Candidate, frame: _Candidate, tokens: Sequence[Token]
    ) -> _Candidate:
        """One candidate from ``first`` to ``last``, in the language of its head or tail."""
        span = tokens[first.start : last.end]
        text = " ".join(token.text for token in span)
        entry = _Entry(
            tuple(token.key for token in span),
            tuple(token.text for token in span),
            Phrase(text, frame.entry.phrase.language),
            self._grammar_rank + frame.entry.rank,
        )
        return _Candidate(first.start, last.end, entry, first.same_words + last.same_words)

    def _reaches(
        self, cue: _Candidate, cand: _Candidate, tokens: Sequence[Token], clause: Sequence[int]
    ) -> bool:
        """Whether negation ``cue`` cancels the phrase ``cand``.

        It does when it starts before the phrase and ends at most :data:`NEGATION_REACH`
        (:data:`NO_NEED_REACH`) words before it or inside it ("no necesito un agente" against
        "necesito un agente"), in the same clause, with no reach stop between.
        """
        no_need = cue.entry.phrase.language == NO_NEED_KEY
        return (
            cue.start < cand.start
            and cand.start - cue.end <= (NO_NEED_REACH if no_need else NEGATION_REACH)
            and clause[cue.start] == clause[cand.start]
            and not any(token.key in self._stops for token in tokens[cue.end : cand.start])
        )

    def _only_fillers(
        self, tokens: Sequence[Token], cand: _Candidate, clause: Sequence[int]
    ) -> bool:
        """Whether the rest of the phrase's clause is fillers ("..., agent pls")."""
        own = clause[cand.start]
        outside = [
            token
            for index, token in enumerate(tokens)
            if clause[index] == own and not cand.start <= index < cand.end
        ]
        return all(token.key in self._fillers for token in outside)


def _led_passives(
    leads: Sequence[_Candidate], passives: Sequence[_Candidate], clause: Sequence[int]
) -> Iterator[_Candidate]:
    """Passives that a lead makes a head, each spanning from its nearest lead.

    "I'd like my complaint forwarded to": the lead "like", typed as listed, ends at most
    :data:`LEAD_REACH` words before the passive "forwarded to", in the same sentence part and
    language; "the receipt was sent to your team" has no lead and stays a statement.
    """
    typed = [lead for lead in leads if lead.same_words == len(lead.entry.keys)]
    for passive in passives:
        lead = max(
            (
                lead
                for lead in typed
                if lead.end <= passive.start
                and passive.start - lead.end <= LEAD_REACH
                and clause[lead.start] == clause[passive.start]
                and lead.entry.phrase.language == passive.entry.phrase.language
            ),
            key=lambda lead: lead.end,
            default=None,
        )
        if lead is not None:
            yield _Candidate(
                lead.start, passive.end, passive.entry, lead.same_words + passive.same_words
            )


def _together(frame: _Candidate, person: _Candidate) -> bool:
    """Whether a head or tail goes with a person: same language, or English with Spanish.

    Customers switch between the bot's two languages in one sentence ("can I talk to alguien
    de soporte"); a person word of another language next to an English head is more likely an
    English word ("I want mens shoes").
    """
    ours, theirs = frame.entry.phrase.language, person.entry.phrase.language
    return ours == theirs or (ours in BOT_LANGUAGES and theirs in BOT_LANGUAGES)


def _keys(texts: Iterable[str], tokenizer: Tokenizer) -> Iterator[str]:
    for text in texts:
        for token in tokenizer(normalise(text)):
            yield token.key


def _rank(cand: _Candidate) -> tuple[int, int, int, int]:
    """Longest first, then earliest, then typed most exactly as listed, then listed first."""
    return (cand.start - cand.end, cand.start, -cand.same_words, cand.entry.rank)


def _cue_rank(cand: _Candidate) -> tuple[int, int, int]:
    """``no_need`` cues first, then the longest, then the earliest."""
    return (int(cand.entry.phrase.language != NO_NEED_KEY), cand.start - cand.end, cand.start)


def _negated_by(words: Sequence[Word], cue: _Candidate) -> str:
    prefix = NO_NEED_PREFIX if cue.entry.phrase.language == NO_NEED_KEY else NEGATED_PREFIX
    return prefix + _span_text(words, cue)


def _overlap(a: _Candidate, b: _Candidate) -> bool:
    return a.start < b.end and b.start < a.end


def _span_text(words: Sequence[Word], cand: _Candidate) -> str:
    return " ".join(word.text for word in words[cand.start : cand.end])


def _languages(typed: str, word_count: int) -> frozenset[str]:
    """The phrase books that apply: the bot's languages and the detected one, or all if short.

    The language is detected on the message as typed: its accents and apostrophes tell French
    from Spanish ("il y a quelqu'un de réel là ?" reads as Spanish once they are stripped).

    The detector's best guess applies even when it is unsure: another language's phrases are
    made of that language's words, so they rarely match a text in English or Spanish.
    """
    if word_count <= SHORT_MESSAGE_WORDS:
        return frozenset(LANGUAGES)
    return frozenset((*BOT_LANGUAGES, detect(typed).language))


def _clauses(
    variant: str, words: Sequence[Word], tokens: Sequence[Token], breaks: frozenset[str]
) -> tuple[list[int], list[int]]:
    """The clause and the sentence-part number of each word.

    Punctuation starts a new clause and a new sentence part; a ``breaks`` word only a new
    clause.
    """
    clauses: list[int] = []
    parts: list[int] = []
    clause = part = 0
    for index, word in enumerate(words):
        before = variant[words[index - 1].end : word.start] if index else ""
        if _CLAUSE_PUNCTUATION.search(before):
            clause += 1
            part += 1
        elif index < len(tokens) and tokens[index].key in breaks:
            clause += 1
        clauses.append(clause)
        parts.append(part)
    return clauses, parts


class ExplicitRequestGuard(PhraseMatcher):
    """The hub's matcher: the phrase matcher over :func:`plain_tokens` (no spaCy needed)."""

    def __init__(self, book: PhraseBook) -> None:
        """Index the phrases and exclusions of ``book`` with the dependency-free tokenizer."""
        super().__init__(book, plain_tokens)

    @classmethod
    def from_file(cls, path: Path | None = None) -> ExplicitRequestGuard:
        """Load the shared phrase list and build a guard over it."""
        return cls(load_phrase_book(path))


@functools.lru_cache(maxsize=1)
def default_guard() -> ExplicitRequestGuard:
    """The guard over the shared phrase list, built once per process.

    Building it expands tens of thousands of phrases (seconds); the guard is read-only
    afterwards, so every hub app of a process (tests create many) shares one.
    """
    return ExplicitRequestGuard.from_file()
