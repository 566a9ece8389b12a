"""Masking of card numbers and other sensitive numbers (common/sensitive.py), in both envs.

What must be masked, in many shapes and in English and Spanish sentences; what must be left
alone (order numbers, amounts, dates, phones, Luhn-invalid and out-of-range numbers); that
masking is idempotent; and that it changes nothing in the project's NLU, story and handoff
corpora.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from common.sensitive import MASK, card_network, is_card_number, mask_sensitive

REPO = Path(__file__).resolve().parents[2]
DOTS = MASK * 4


def _luhn(prefix: str) -> str:
    """``prefix`` completed with its Luhn check digit."""
    return prefix + luhn.calc_check_digit(prefix)


# (network, number): the networks' published test numbers plus a few completed by Luhn.
CARDS = [
    ("visa", "4111111111111111"),
    ("visa", "4012888888881881"),
    ("visa", "4222222222222"),  # 13 digits
    ("visa", _luhn("400000000000000000")),  # 19 digits
    ("mastercard", "5555555555554444"),
    ("mastercard", "5105105105105100"),
    ("mastercard", "2223003122003222"),  # 2-series
    ("mastercard", _luhn("272099200000000")),
    ("amex", "378282246310005"),
    ("amex", "371449635398431"),
    ("discover", "6011111111111117"),
    ("discover", _luhn("644564456445644")),
    ("discover", _luhn("650000000000000")),
    ("diners", "30569309025904"),
    ("diners", "38520000023237"),
    ("jcb", "3530111333300000"),
    ("jcb", "3566002020360505"),
    ("unionpay", "6200000000000005"),
    ("unionpay", _luhn("621234567890123")),
    ("maestro", "6759649826438453"),
    ("maestro", _luhn("501800000000000")),
]


def shapes(number: str) -> list[str]:
    """The number as typed: all together, in groups of four with spaces, with dashes."""
    groups = (
        [number[:4], number[4:10], number[10:]]
        if len(number) == 15
        else [number[i : i + 4] for i in range(0, len(number), 4)]
    )
    return [number, " ".join(groups), "-".join(groups)]


SENTENCES = [
    "my card {} was declined, why?",
    "{}",
    "can I pay with {} instead?",
    "card number: {}.",
    "mi tarjeta {} fue rechazada, ¿por qué?",
    "el número de la tarjeta es {}",
    "Pagué con la {} y no funcionó",
]


@pytest.mark.parametrize(("network", "number"), CARDS)
def test_the_corpus_numbers_are_cards_of_their_network(network, number):
    assert card_network(number) == network
    assert is_card_number(number)


@pytest.mark.parametrize("sentence", SENTENCES)
@pytest.mark.parametrize(("network", "number"), CARDS)
def test_card_numbers_are_masked_in_every_shape_keeping_the_last_four(sentence, network, number):
    for typed in shapes(number):
        result = mask_sensitive(sentence.format(typed))
        assert result.text == sentence.format(f"{DOTS} {DOTS} {DOTS} {number[-4:]}")
        assert dict(result.counts) == {"card": 1}
        assert result.kinds == {"card"}


SECURITY_CODES = [
    ("cvv 123", "cvv •••"),
    ("CVV: 123", "CVV: •••"),
    ("cvc: 1234", "cvc: ••••"),
    ("CVV2 321", "CVV2 •••"),
    ("my security code is 123", "my security code is •••"),
    ("the card verification code = 4321", "the card verification code = ••••"),
    ("código de seguridad 123", "código de seguridad •••"),
    ("el codigo de seguridad es 456", "el codigo de seguridad es •••"),
    ("my pin is 1234", "my pin is ••••"),
    (
        "card 5555 5555 5555 4444 exp 12/27 cvv 123",
        "card •••• •••• •••• 4444 exp 12/27 cvv •••",
    ),
    (
        "amex 3782 822463 10005 cid: security code 1234",
        "amex •••• •••• •••• 0005 cid: security code ••••",
    ),
    ("4111111111111111cvv123", "•••• •••• •••• 1111cvv•••"),
]


@pytest.mark.parametrize(("typed", "expected"), SECURITY_CODES)
def test_security_codes_next_to_their_words_are_masked(typed, expected):
    assert mask_sensitive(typed).text == expected


IBANS = [
    ("my iban is GB82 WEST 1234 5698 7654 32", "my iban is GB•• •••• 5432"),
    ("GB82WEST12345698765432", "GB•• •••• 5432"),
    ("gb82 west 1234 5698 7654 32, thanks", "GB•• •••• 5432, thanks"),
    ("DE89 3704 0044 0532 0130 00", "DE•• •••• 3000"),
    ("mi IBAN: ES91 2100 0418 4502 0005 1332", "mi IBAN: ES•• •••• 1332"),
    ("FR14 2004 1010 0505 0001 3M02 606 please", "FR•• •••• 2606 please"),
    ("NL91ABNA0417164300.", "NL•• •••• 4300."),
    ("BE71 0961 2345 6769 and ES9121000418450200051332", "BE•• •••• 6769 and ES•• •••• 1332"),
]


@pytest.mark.parametrize(("typed", "expected"), IBANS)
def test_checksum_valid_ibans_are_masked_keeping_country_and_last_four(typed, expected):
    result = mask_sensitive(typed)
    assert result.text == expected
    assert result.kinds == {"iban"}


ACCOUNTS_AND_IDS = [
    ("account number 12345678", "account number ••••5678", {"bank_account"}),
    ("my bank account is 31926819", "my bank account is ••••6819", {"bank_account"}),
    ("acct no. 00123456789", "acct no. •••••••6789", {"bank_account"}),
    (
        "número de cuenta 2100 0418 45 0200051332",
        "número de cuenta •••• •••• •• ••••••1332",
        {"bank_account"},
    ),
    (
        "sort code 20-00-00 account number 55779911",
        "sort code ••-••-•• account number ••••9911",
        {"sort_code", "bank_account"},
    ),
    (
        "pay 20-00-00 55779911 please",
        "pay ••-••-•• ••••9911 please",
        {"sort_code", "bank_account"},
    ),
    ("my sort code is 200000", "my sort code is ••••••", {"sort_code"}),
    ("my DNI is 12345678Z", "my DNI is •••••••••", {"national_id"}),
    ("mi dni: 12345678-z", "mi dni: ••••••••-•", {"national_id"}),
    ("NIE X1234567L", "NIE •••••••••", {"national_id"}),
    ("ssn 536-90-4399", "ssn •••-••-••••", {"national_id"}),
    (
        "my social security number is 536 90 4399",
        "my social security number is ••• •• ••••",
        {"national_id"},
    ),
]


@pytest.mark.parametrize(("typed", "expected", "kinds"), ACCOUNTS_AND_IDS)
def test_accounts_and_ids_next_to_their_words_are_masked(typed, expected, kinds):
    result = mask_sensitive(typed)
    assert result.text == expected
    assert result.kinds == kinds


LEFT_ALONE = [
    # order numbers, in every shape the NLU data uses
    "ORD-104233",
    "ord 104233",
    "ord104233",
    "#104233",
    "104233",
    "order number 104233",
    "my order is 104233 and my email is alice@example.com",
    "orders ORD-104233, ORD-104871 and #104512",
    "account 104233 is the order",
    # the last four digits people use to name a card or account
    "account ending 1234",
    "the card ending in 4242 was declined",
    "my card •••• •••• •••• 1111 was declined, why?",
    # amounts
    "£1,234.56",
    "45,50 €",
    "$1,000,000.00",
    "I paid 1 234 567,89 € yesterday",
    "€ 12.345,67 y 2 pagos de 45,50 €",
    # dates and times
    "2024-01-15",
    "15/01/2024",
    "15-01-2024",
    "15.01.2024 at 10:30",
    "on 15 January 2024",
    "expiry 12/27",
    # phones
    "+44 20 7946 0000",
    "07700 900123",
    "+34 612 345 678",
    "612 345 678",
    "(415) 555-0100",
    "+1 415 555 0100",
    "0044 20 7946 0000",
    "call me on +44 7700 900123 or 020 7946 0000",
    # Luhn-invalid, out of any card range, wrong length for the range
    "4111 1111 1111 1112",
    "5555-5555-5555-4445",
    "1234 5678 9012 3456",
    _luhn("100000000000000"),
    _luhn("900000000000000"),
    _luhn("340000000000000"),  # 16 digits with an Amex prefix
    # IBANs whose checksum fails
    "GB83 WEST 1234 5698 7654 32",
    "DE88370400440532013000",
    "ES00 2100 0418 4502 0005 1332",
    # ids without a word for them, or with a bad checksum
    "12345678Z",
    "DNI 12345678A",
    "123-45-6789",
    "ssn 666-12-3456",
    # short numbers and words without numbers
    "123",
    "what is a cvv?",
    "security code 12",
    "pin 12345",
    "account number 123456",
    "I have 3 orders and 2 refunds",
]


@pytest.mark.parametrize("typed", LEFT_ALONE)
def test_what_the_bot_needs_is_left_alone(typed):
    result = mask_sensitive(typed)
    assert result.text == typed
    assert not result.masked
    assert result.counts == {}


def sensitive_texts() -> list[str]:
    """Every text of this corpus that has something to mask (the benchmark reads them too)."""
    cards = [s.format(t) for _n, number in CARDS for t in shapes(number) for s in SENTENCES]
    return [
        *cards,
        *(typed for typed, *_ in (*SECURITY_CODES, *IBANS, *ACCOUNTS_AND_IDS)),
        "cvv 123 and security code is 4567",
        "IBAN GB82 WEST 1234 5698 7654 32 and account number 12345678",
        "20-00-00 55779911, DNI 12345678Z, ssn 536-90-4399",
        "4111 1111 1111 1111 5555 5555 5555 4444",
        "4111 1111 1111 1111 4242424242424",
    ]


@pytest.mark.parametrize("typed", sensitive_texts())
def test_masking_is_idempotent(typed):
    once = mask_sensitive(typed)
    assert once.masked
    twice = mask_sensitive(once.text)
    assert twice.text == once.text
    assert not twice.masked


@given(st.text(alphabet=st.sampled_from("0123456789 -•abcvIBANGB#+/.,"), max_size=60))
def test_masking_is_idempotent_on_any_text(text):
    once = mask_sensitive(text).text
    assert mask_sensitive(once).text == once


def test_the_result_keeps_no_original_digits():
    result = mask_sensitive("card 4012 8888 8888 1881 cvv 987, IBAN GB82WEST12345698765432")
    assert "4012" not in repr(result)
    assert "8888" not in repr(result)
    assert "987" not in repr(result)
    assert "WEST" not in repr(result)


def test_a_text_made_of_candidates_is_checked_within_a_budget_then_masked_unchecked():
    # 250 Luhn-invalid Visa-shaped numbers: the first 200 are checked (and left alone), the
    # rest are masked on their shape alone rather than holding the hub for more checks.
    result = mask_sensitive(" , ".join(["4111 1111 1111 1112"] * 250))
    assert result.counts == {"card": 50}


# ---- the project's own corpora: masking changes nothing in them ---------------------------

CORPORA = sorted(
    [
        *REPO.glob("data/nlu/*.yml"),
        *REPO.glob("tests/nlu/*.yml"),
        *REPO.glob("tests/handoff_eval/corpus_*.yml"),
        REPO / "tests/data/explicit_requests.yml",
        *REPO.glob("tests/stories/*.yml"),
    ]
)
# Rasa entity annotations: [text](entity), [text]{"entity": ...}.
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def test_the_corpora_are_there():
    assert len(CORPORA) >= 10
    lines = sum(len(path.read_text(encoding="utf-8").splitlines()) for path in CORPORA)
    assert lines > 2000


@pytest.mark.parametrize("path", CORPORA, ids=lambda p: str(p.relative_to(REPO)))
def test_masking_changes_nothing_in_the_projects_corpora(path):
    changed = []
    for line in path.read_text(encoding="utf-8").splitlines():
        for text in {line, _ANNOTATION.sub(r"\1", line)}:
            if mask_sensitive(text).text != text:
                changed.append(text)
    assert changed == []
