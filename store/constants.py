"""Allowed values shared by the models, the importer and the docs.

One place for every closed set, so the database CHECK constraints, the importer's validation and
``docs/data-schema.md`` cannot drift apart.
"""

from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # Numeric(12, 2)

ORDER_STATUSES = ("placed", "shipped", "delivered", "cancelled", "returned")
SHIPPING_STATUSES = (
    "not_shipped",
    "label_created",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "returned",
)
INSTALMENT_STATUSES = ("scheduled", "paid", "overdue", "failed")
FAILURE_CODES = (
    "insufficient_funds",
    "card_expired",
    "do_not_honor",
    "authentication_failed",
    "card_declined",
    "processing_error",
)
PAYMENT_STATUSES = ("succeeded", "failed", "refunded")
REFUND_STATUSES = ("requested", "processing", "completed", "rejected")
DISPUTE_STATUSES = ("open", "under_review", "resolved")

# Plan kind -> number of instalments it must have.
PLAN_KINDS: dict[str, int] = {
    "pay_in_3": 3,
    "pay_in_4": 4,
    "monthly_3": 3,
    "monthly_6": 6,
    "monthly_12": 12,
    "monthly_24": 24,
}

# Active ISO 4217 codes: a typo such as "EUE" is rejected instead of shown to customers.
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
    """.split()  # noqa: SIM905 (a word list reads better than 160 quoted strings)
)
