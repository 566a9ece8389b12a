"""Money taken after it was settled: a lexical reading the handoff policy uses beside the NLU.

A payment taken after a refund, a return, a cancellation or a payoff is money taken wrongly
(a topic for the disputes queue, like a double charge). The classifier missed this kind in
two blind plays whatever examples it was given ("you've taken another payment for them since
then" after "I sent the boots back and got the refund email"), so the policy also reads it
from the words (round 26, issue 15):

* a **charge**: a charge verb in a past or perfect form ("taken", "charged", "debited",
  "billed", "went out", "cobraron", "me han cobrado", "descontaron", "cargaron"), not in a
  future, a passive infinitive or a negation ("will I be charged", "haven't been charged",
  "no me han cobrado") and not a reversal ("charged back");
* a **settling event**: a refund received, an item returned, an order cancelled, a plan paid
  off ("got the refund", "sent it back", "got cancelled", "paid it off", "me cancelaron el
  pedido", "devolví", "ya había liquidado").

One message reads as money taken wrongly when the settling event comes first and the charge
after it ("I returned the jacket and the refund came through, yet you've charged me again"),
or the charge comes first with a concession or time word between ("took the final payment
even though the refund had already cleared the balance"). "I was charged for it, now I've
returned it, when is the refund?" (the charge before the return) is not. A conversation reads
so when an earlier customer message held the settling event and the latest message complains
of a charge ("my order got cancelled, didn't it", then "so why has 45 dollars just been taken
from my card for it"); a late-fee question is left to the NLU there ("I returned the shoes"
then "why was I charged a late fee last month?"). The other order counts only with a word
that adds the settling event as one more grievance ("me cobraron dos veces", then "y encima el
pedido está cancelado"): "I was charged for the lamp", then "I returned it, when is my
refund?" is a routine question.

The reverse is also read: a message with a settling event and no money word at all ("me
cancelaron el pedido de la silla") is not money taken wrongly, whatever the NLU said.

Every reading is cached per text: the policy asks about earlier messages on each prediction
only when the latest message holds a charge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from common.explicit_request import normalise

_APOSTROPHES = re.compile("['\u2019`\u00b4]")

_CHARGE = re.compile(
    r"\b(?:took|taken|charged|debited|billed|deducted|withdrew|withdrawn|collected|"
    r"collecting|(?:went|gone|came|come) out|"
    r"cobrad[oa]s?|cobraron|cobrasteis|cobraste|descontad[oa]s?|descontaron|"
    r"(?:me|le|nos) (?:han |ha )?(?:cobro|cargo|desconto|saco|quito|debito)|"
    r"cargad[oa]s?|cargaron|sacaron|debitaron|debitad[oa]|quitaron)\b"
)
# Words right before a charge verb that make it no charge that happened: a future or a
# hypothesis ("will I be charged", "gonna get billed"), a negation ("haven't been charged").
_NOT_HAPPENED = frozenset(
    (
        *("will", "would", "be", "gonna", "going", "if", "should", "might", "may", "get"),
        *("not", "never", "no", "nt", "havent", "hasnt", "hadnt", "wasnt", "werent", "didnt"),
        *("dont", "doesnt", "isnt", "arent", "wont", "aint", "cant", "couldnt", "shouldnt"),
        "nunca",
    )
)
_REVERSED = re.compile(r"^\s*back\b")
_SETTLED = re.compile(
    r"\b(?:refunded|reimbursed|(?:got|get|received|had|have) (?:the|my|a|your|their) refund|"
    r"refund (?:email|came|went|had|has|arrived|landed|cleared|was processed|"
    r"has been processed|had been processed|already)|"
    r"returned|sent (?:\w+ )?(?:\w+ )?back|cancell?ed|paid (?:\w+ )?(?:\w+ )?(?:\w+ )?off|"
    r"paid in full|settled|cleared (?:the|my) balance|"
    r"devolvi|devuelto|devuelta|devolvieron|reembolsaron|reembolsad[oa]|"
    r"cancelaron|cancelad[oa]|cancele|cancelo|anulad[oa]|anularon|anule|"
    r"liquidad[oa]|liquide|salde|saldad[oa]|pague todo|termine de pagar|pagado todo)\b"
)
_SINCE = re.compile(
    r"\b(?:even though|although|though|after|since|despite|already|"
    r"aunque|despues de|a pesar de|pese a|ya habia|cuando ya|ya)\b"
)
# "me cobraron dos veces" then "y encima el pedido está cancelado": a settling event added to
# an earlier charge as one more grievance.
_ON_TOP = re.compile(
    r"\b(?:on top of that|on top of it|and yet|even though|although|encima|y ademas|"
    r"aunque|a pesar de|pese a)\b"
)
# A complaint about the latest charge, in a conversation whose settling event came earlier.
_COMPLAINT = re.compile(
    r"\b(?:why|but|still|anyway|again|another|now|today|just|yet|then|so|"
    r"por que|pero|aun|igual|otra|otro|de nuevo|hoy|ahora|encima|entonces|y)\b"
)
_FEE = re.compile(r"\b(?:late fee|late fees|late charge|penalty|interest|recargo|intereses|mora)\b")
_MONEY = re.compile(
    r"\b(?:pay\w*|paid|instal+ments?|charg\w*|debit\w*|bill\w*|fee|"
    r"fees|money|pounds?|dollars?|euros?|quid|bucks|balance|"
    r"cobr\w*|carg\w*|descont\w*|cuotas?|pagos?|dinero|plata|importe|saldo)\b|[$\u00a3\u20ac]|\d"
)


def _plain(text: str) -> str:
    return " ".join(_APOSTROPHES.sub("", normalise(text)).split())


@lru_cache(maxsize=4096)
def charge_at(text: str) -> int:
    """Where a charge that happened starts in the plain text, or -1 (see the module doc)."""
    plain = _plain(text)
    for found in _CHARGE.finditer(plain):
        before = plain[: found.start()].split()[-3:]
        if any(word in _NOT_HAPPENED for word in before):
            continue
        if _REVERSED.match(plain[found.end() :]):
            continue
        return found.start()
    return -1


@lru_cache(maxsize=4096)
def settled_at(text: str) -> int:
    """Where a settling event (refund, return, cancellation, payoff) starts, or -1."""
    found = _SETTLED.search(_plain(text))
    return found.start() if found else -1


def taken_after_settlement(text: str, earlier: Sequence[str] = ()) -> str | None:
    """Evidence that ``text`` complains of money taken after it was settled, else ``None``.

    Args:
        text: The latest customer message.
        earlier: The conversation's earlier customer messages, oldest first.
    """
    charge = charge_at(text)
    if charge < 0:
        if (
            settled_at(text) >= 0
            and _ON_TOP.search(_plain(text))
            and any(charge_at(message) >= 0 for message in earlier)
        ):
            return "a refund, return, cancellation or payoff on top of an earlier charge"
        return None
    plain = _plain(text)
    settled = settled_at(text)
    if 0 <= settled < charge:
        return "a charge after a refund, return, cancellation or payoff in the same message"
    if settled > charge and _SINCE.search(plain[charge:settled]):
        return "a charge taken although the money was settled"
    if settled >= 0 or _FEE.search(plain) or not _COMPLAINT.search(plain):
        return None
    if any(settled_at(message) >= 0 for message in earlier):
        return "a charge after a refund, return, cancellation or payoff said earlier"
    return None


@lru_cache(maxsize=4096)
def settlement_only(text: str) -> bool:
    """A settling event with no money word at all ("my order got cancelled, didn't it")."""
    return settled_at(text) >= 0 and charge_at(text) < 0 and not _MONEY.search(_plain(text))
