"""Masks payment card numbers, security codes, bank details and national ids in what people type.

Customers of a payments company type card numbers into chat. The hub masks every customer and
agent message with :func:`mask_sensitive` before it stores or forwards it, so the bot, agents,
transcripts, tickets and logs only ever see the masked text.

What is masked, each only when its checksum or context says it really is one:

* payment card numbers: 13-19 digits, optionally grouped by single spaces or dashes (at most
  eight groups), in a known IIN range for their length (:func:`card_network`) and Luhn-valid
  (``stdnum.luhn``) -> ``•••• •••• •••• 1111``;
* card security codes and PINs (3-4 digits) just after a word for them ("cvv 123", "security code
  is 123", "código de seguridad 123") -> ``•••``;
* IBANs, with or without spaces, that pass ``stdnum.iban`` (checksum and country format) ->
  ``GB•• •••• 5432``;
* bank account numbers (7-34 digits) just after an account word ("account number 12345678",
  "número de cuenta ..."), UK sort codes after "sort code" and a sort code written
  ``12-34-56`` followed by an 8-digit account -> all but the account's last four digits hidden;
* national ids that have a checksum in stdnum, with a word for them nearby: Spanish DNI / NIE
  (``stdnum.es.dni`` / ``stdnum.es.nie``) and US social security numbers (``stdnum.us.ssn``).

Left alone on purpose (the bot needs them): order numbers (``ORD-104233``, ``#104233``),
amounts, dates, phone numbers (a leading ``+`` or ``0`` is never a card), Luhn-invalid or
out-of-range numbers and anything shorter than the shapes above. Masking is idempotent: the
masked forms keep at most four digits, never after a word that would make them match again.

It runs on every message: texts with no digit return at once, each pass runs only when the
text has enough digits (and, for the keyword passes, one of its words), and one message may run
at most ``_MAX_CHECKS`` checksum checks (past them, candidates of the right shape are masked
unchecked), so no text can make it slow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from stdnum import iban, luhn
from stdnum.es import dni, nie
from stdnum.us import ssn

MASK: Final = "\u2022"  # •

CARD: Final = "card"
SECURITY_CODE: Final = "security_code"
IBAN: Final = "iban"
BANK_ACCOUNT: Final = "bank_account"
SORT_CODE: Final = "sort_code"
NATIONAL_ID: Final = "national_id"
CARD_KINDS: Final = frozenset({CARD, SECURITY_CODE})

_EMPTY: Final[Mapping[str, int]] = MappingProxyType({})


@dataclass(frozen=True)
class MaskResult:
    """A text with its sensitive numbers masked; never holds the original values.

    Attributes:
        text: The masked text (the input itself when nothing was masked).
        counts: How many numbers of each kind (``card``, ``security_code``, ``iban``,
            ``bank_account``, ``sort_code``, ``national_id``) were masked.
    """

    text: str
    counts: Mapping[str, int]

    @property
    def masked(self) -> bool:
        """Whether anything was masked."""
        return bool(self.counts)

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds of number that were masked."""
        return frozenset(self.counts)


_DIGIT: Final = re.compile(r"[0-9]")
_GROUP: Final = re.compile(r"[0-9]+")
_ALNUM: Final = re.compile(r"[A-Za-z0-9]+")

# Runs of digits grouped by single spaces or dashes, not after "+" (phones) nor right after a
# mask (its last four), with 13 digits at least; letters may touch them ("card4111...",
# "...1111cvv").
_NUMBER_RUN: Final = re.compile(
    r"(?<![0-9+\u2022])(?<!\u2022[ -])(?=(?:[0-9][ -]?){13})[0-9]+(?:[ -][0-9]+)*(?![0-9\u2022])"
)
# An IBAN's start (country, check digits) and what may follow it; validated by stdnum.
_IBAN_CANDIDATE: Final = re.compile(r"(?<![\w\u2022])[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){11,30}")

# Up to a few short words between a keyword and its number ("security code is 123",
# "account number for my savings: 12345678"). Never crosses a digit or a mask.
_GAP: Final = r"(?:[^\w\u2022]+(?![0-9])[^\W\d]{1,12}){0,3}?[^\w\u2022]*"

_SECURITY_CODE: Final = re.compile(
    r"(?<![^\W\d_])(?:cvv2?|cvc2?|cv2|pin(?:\s+(?:number|code))?|security\s+code|card\s+verification"
    r"\s+(?:value|code|number)|c[óo]digo\s+(?:de\s+)?seguridad|c[óo]digo\s+(?:cvv|cvc|pin)"
    r"|n[úu]mero\s+de\s+seguridad)(?![^\W\d_])"
    + _GAP
    + r"(?<![0-9\u2022])(?P<number>[0-9]{3,4})(?![\w\u2022])",
    re.IGNORECASE,
)
_ACCOUNT: Final = re.compile(
    r"\b(?:(?:bank\s+)?account(?:\s+(?:number|num|no\.?|#))?|acc(?:oun)?t\s*(?:no\.?|#)|acct"
    r"|a/c(?:\s+no\.?)?|n[úu]mero\s+de\s+(?:la\s+)?cuenta|n[ºo°]\.?\s*(?:de\s+)?cuenta"
    r"|cuenta(?:\s+bancaria)?)"
    + _GAP
    + r"(?<![\w\u2022])(?P<number>[0-9]+(?:[ -][0-9]+)*)(?![\w\u2022])",
    re.IGNORECASE,
)
_SORT_CODE: Final = re.compile(
    r"\bsort\s*codes?\b" + _GAP + r"(?<![\w\u2022])(?P<number>[0-9]{2}([ -]?)[0-9]{2}\2[0-9]{2})"
    r"(?![\w\u2022])",
    re.IGNORECASE,
)
# A UK sort code written 12-34-56 followed by an 8-digit account number.
_SORT_CODE_PAIR: Final = re.compile(
    r"(?<![\w\u2022+])(?P<sort>[0-9]{2}-[0-9]{2}-[0-9]{2})(?P<sep>[ ,;/]+)(?P<number>[0-9]{8})"
    r"(?![\w\u2022])"
)

# Spanish DNI (8 digits + letter), NIE (X/Y/Z + 7 digits + letter), US SSN (3-2-4 digits).
_NATIONAL_ID: Final = re.compile(
    r"(?<![\w\u2022+])(?:(?P<dni>[0-9]{8}[ -]?[A-Za-z])|(?P<nie>[XYZxyz][ -]?[0-9]{7}[ -]?[A-Za-z])"
    r"|(?P<ssn>[0-9]{3}(?P<sep>[ -]?)[0-9]{2}(?P=sep)[0-9]{4}))(?![\w\u2022])"
)
_ID_WORDS: Final = re.compile(
    r"\b(?:dni|nie|nif|id|identity|identidad|identificaci[óo]n|documento?|passport|pasaporte)\b",
    re.IGNORECASE,
)
_SSN_WORDS: Final = re.compile(r"\b(?:ssn|social\s+security|seguro\s+social)\b", re.IGNORECASE)
# How far from an id its context word may be (characters before / after it).
_CONTEXT_BEFORE: Final = 40
_CONTEXT_AFTER: Final = 25
# Checksum checks one message may run (see ``_Scan``).
_MAX_CHECKS: Final = 200

_CARD_DIGITS: Final = (13, 19)
# A card typed in more groups than this is not looked for ("4 1 1 1 ..."): it keeps the work
# per digit run small.
_CARD_MAX_GROUPS: Final = 8
_ACCOUNT_DIGITS: Final = (7, 34)
_IBAN_CHARS: Final = (15, 34)


def card_network(digits: str) -> str | None:
    """The card network whose IIN range and length fit ``digits`` (digits only), if any.

    Visa 4; Mastercard 51-55 and 2221-2720; Amex 34, 37; Discover 6011, 622126-622925,
    644-649, 65; JCB 3528-3589; Diners 300-305, 36, 38; UnionPay 62; Maestro 50, 56-69.
    The Luhn check is separate (:func:`is_card_number`).
    """
    n = len(digits)
    if n < 12 or not digits.isdigit():
        return None
    p2, p3, p4, p6 = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4":
        return "visa" if n in (13, 16, 19) else None
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return "mastercard" if n == 16 else None
    if p2 in (34, 37):
        return "amex" if n == 15 else None
    if p4 == 6011 or p2 == 65 or 644 <= p3 <= 649 or 622126 <= p6 <= 622925:
        return "discover" if 16 <= n <= 19 else None
    if 3528 <= p4 <= 3589:
        return "jcb" if 16 <= n <= 19 else None
    if p2 in (36, 38) or 300 <= p3 <= 305:
        return "diners" if 14 <= n <= 19 else None
    if p2 == 62:
        return "unionpay" if 16 <= n <= 19 else None
    if p2 == 50 or 56 <= p2 <= 69:
        return "maestro" if 12 <= n <= 19 else None
    return None


def is_card_number(digits: str) -> bool:
    """Whether ``digits`` (digits only) is a payment card number: known range and Luhn-valid."""
    return card_network(digits) is not None and luhn.is_valid(digits)


def mask_sensitive(text: str) -> MaskResult:
    """Mask the card numbers, security codes, bank details and ids in ``text``.

    Returns the masked text and how many of each kind were masked; the original values are
    not kept anywhere. Masking an already masked text changes nothing.
    """
    if not _DIGIT.search(text):
        return MaskResult(text, _EMPTY)
    digits = sum(map(text.count, "0123456789"))
    lower = text.lower()
    scan = _Scan()
    for min_digits, hints, apply in _PASSES:
        if digits >= min_digits and (not hints or any(hint in lower for hint in hints)):
            text = apply(text, scan)
    return MaskResult(text, MappingProxyType(scan.counts) if scan.counts else _EMPTY)


@dataclass
class _Scan:
    """What one call found so far, and how many checksum checks it may still run.

    A chat message needs a handful of checks; a text made to need thousands (every word a
    candidate IBAN) would hold the hub's event loop. Past the budget a candidate that has the
    right shape (and context word) is masked without its checksum: the safe side.
    """

    counts: dict[str, int] = field(default_factory=dict)
    checks_left: int = _MAX_CHECKS

    def found(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def passes(self, check: Callable[[str], bool], value: str) -> bool:
        if self.checks_left <= 0:
            return True
        self.checks_left -= 1
        return check(value)


def _hide(value: str, keep_last: int) -> str:
    """Every letter and digit of ``value`` but the last ``keep_last`` digits becomes a dot."""
    out: list[str] = []
    kept = 0
    for ch in reversed(value):
        if ch.isdigit() and kept < keep_last:
            out.append(ch)
            kept += 1
        elif ch.isalnum():
            out.append(MASK)
        else:
            out.append(ch)
    return "".join(reversed(out))


def _mask_group(m: re.Match[str], group: str, kind: str, scan: _Scan, keep_last: int) -> str:
    """Replace one named group of a match with its masked form."""
    start, end = m.span(group)
    scan.found(kind)
    whole, offset = m.group(), m.start()
    return whole[: start - offset] + _hide(m.group(group), keep_last) + whole[end - offset :]


def _mask_card_run(run: str, scan: _Scan) -> str:
    """Mask the card numbers in a run of digit groups ("order 104233 4111 1111 1111 1111").

    A card is a window of whole groups with 13-19 digits; the longest valid window starting at
    the leftmost group wins, and the search goes on after it.
    """
    groups = [(g.start(), g.end()) for g in _GROUP.finditer(run)]
    lengths = [end - start for start, end in groups]
    if sum(lengths) < _CARD_DIGITS[0]:
        return run
    out: list[str] = []
    done, i, n = 0, 0, len(groups)
    while i < n:
        total, ends = 0, []
        for j in range(i, min(n, i + _CARD_MAX_GROUPS)):
            total += lengths[j]
            if total > _CARD_DIGITS[1]:
                break
            if total >= _CARD_DIGITS[0]:
                ends.append(j)
        for j in reversed(ends):
            digits = "".join(run[s:e] for s, e in groups[i : j + 1])
            if card_network(digits) is not None and scan.passes(luhn.is_valid, digits):
                out.append(run[done : groups[i][0]])
                out.append(f"{MASK * 4} {MASK * 4} {MASK * 4} {digits[-4:]}")
                scan.found(CARD)
                done, i = groups[j][1], j
                break
        i += 1
    out.append(run[done:])
    return "".join(out)


def _mask_ibans(text: str, scan: _Scan) -> str:
    """Mask checksum-valid IBANs, compact or grouped, keeping the country and last four."""
    out: list[str] = []
    done = pos = 0
    while (m := _IBAN_CANDIDATE.search(text, pos)) is not None:
        pos = m.start() + 1
        tokens = list(_ALNUM.finditer(m.group()))
        compact = ""
        ends: list[tuple[int, str]] = []
        for token in tokens:
            compact += token.group()
            end = m.start() + token.end()
            at_boundary = end == len(text) or not (text[end].isalnum() or text[end] == "_")
            if at_boundary and _IBAN_CHARS[0] <= len(compact) <= _IBAN_CHARS[1]:
                ends.append((end, compact.upper()))
        for end, number in reversed(ends):
            if scan.passes(iban.is_valid, number):
                out.append(text[done : m.start()])
                out.append(f"{number[:2]}{MASK * 2} {MASK * 4} {number[-4:]}")
                scan.found(IBAN)
                done = pos = end
                break
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def _mask_cards(text: str, scan: _Scan) -> str:
    return _NUMBER_RUN.sub(lambda m: _mask_card_run(m.group(), scan), text)


def _mask_sort_code_pairs(text: str, scan: _Scan) -> str:
    return _SORT_CODE_PAIR.sub(lambda m: _mask_sort_code_pair(m, scan), text)


def _mask_sort_codes(text: str, scan: _Scan) -> str:
    return _SORT_CODE.sub(lambda m: _mask_group(m, "number", SORT_CODE, scan, 0), text)


def _mask_accounts(text: str, scan: _Scan) -> str:
    return _ACCOUNT.sub(lambda m: _mask_account(m, scan), text)


def _mask_security_codes(text: str, scan: _Scan) -> str:
    return _SECURITY_CODE.sub(lambda m: _mask_group(m, "number", SECURITY_CODE, scan, 0), text)


def _mask_sort_code_pair(m: re.Match[str], scan: _Scan) -> str:
    scan.found(SORT_CODE)
    scan.found(BANK_ACCOUNT)
    return _hide(m.group("sort"), 0) + m.group("sep") + _hide(m.group("number"), 4)


def _mask_account(m: re.Match[str], scan: _Scan) -> str:
    digits = len(_DIGIT.findall(m.group("number")))
    if not _ACCOUNT_DIGITS[0] <= digits <= _ACCOUNT_DIGITS[1]:
        return m.group()
    return _mask_group(m, "number", BANK_ACCOUNT, scan, 4)


def _mask_ids(text: str, scan: _Scan) -> str:
    """Mask national ids whose checksum is valid and that have a word for them nearby."""
    return _NATIONAL_ID.sub(lambda m: _mask_id(text, m, scan), text)


def _mask_id(text: str, m: re.Match[str], scan: _Scan) -> str:
    kind = "dni" if m.group("dni") else "nie" if m.group("nie") else "ssn"
    words, is_valid = _ID_CHECKS[kind]
    start, end = m.span()
    near = words.search(text, max(0, start - _CONTEXT_BEFORE), start) or words.search(
        text, end, end + _CONTEXT_AFTER
    )
    if near is None or not scan.passes(is_valid, m.group().replace(" ", "").replace("-", "")):
        return m.group()
    scan.found(NATIONAL_ID)
    return _hide(m.group(), 0)


_ID_CHECKS: Final[Mapping[str, tuple[re.Pattern[str], Callable[[str], bool]]]] = {
    "dni": (_ID_WORDS, dni.is_valid),
    "nie": (_ID_WORDS, nie.is_valid),
    "ssn": (_SSN_WORDS, ssn.is_valid),
}

# Each pass: the fewest digits a text needs for it to find anything, the words (lower case) one
# of which the text must contain (none: no keyword needed), and the pass. IBANs go first (their
# digits must not be read as a card), security codes last (after a card number is masked).
_PASSES: Final[tuple[tuple[int, tuple[str, ...], Callable[[str, _Scan], str]], ...]] = (
    (10, (), _mask_ibans),
    (_CARD_DIGITS[0], (), _mask_cards),
    (14, (), _mask_sort_code_pairs),
    (6, ("sort",), _mask_sort_codes),
    (_ACCOUNT_DIGITS[0], ("acc", "a/c", "cuenta"), _mask_accounts),
    (7, ("dni", "nie", "nif", "id", "docu", "passport", "pasaporte", "ssn", "social"), _mask_ids),
    (3, ("cv", "pin", "secur", "segur", "verif"), _mask_security_codes),
)
