"""The Spanish side of the project's spaCy pipeline (``bot/spacy_pipeline.py`` builds it).

Same labels as the English entity ruler (the Rasa entity names), written the way customers in
Spain and Latin America type them: "45,50 €", "€45.50", "45 euros", "300 pesos"; "5 de
diciembre (de 2026)", "el 5/12", "mañana", "el lunes", "la semana pasada", "fin de mes".
Order numbers and e-mail addresses are language-independent and shared with English.
Every pattern reads only tokenizer attributes (``LOWER``, ``TEXT``...), so
``bot.entities.RulerEntityExtractor`` may run the ruler alone, and matches with and without
accents ("sábado" / "sabado").

The lookup lemmatizer's table (``spacy-lookups-data``, ``es_lemma_lookup``) is built from a
dictionary without context, so a few everyday words get a rare reading ("persona" ->
"personar", "dos" -> "do", "la" -> "lo"); :func:`lemma_fixes` gives them their usual lemma.
"""

from __future__ import annotations

from typing import Any

Pattern = dict[str, Any]

MONEY = "money"
DATE = "date"

_AMOUNT = {"REGEX": r"^\d{1,3}(?:[.,]?\d{3})*(?:[.,]\d{1,2})?$"}
_SYMBOLS = ["€", "$", "us$", "£", "mx$"]
_CURRENCY_WORDS = [
    "eur", "euro", "euros", "€", "$", "usd", "dólar", "dolar", "dólares", "dolares", "pesos",
    "peso", "mxn", "ars", "cop", "clp", "gbp", "libra", "libras", "soles", "sol", "pen",
]  # fmt: skip
_CURRENCY_CODES = ["eur", "usd", "mxn", "ars", "cop", "clp", "gbp", "pen"]
_MONTHS = [
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
    "setiembre", "octubre", "noviembre", "diciembre",
    "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "sept", "set", "oct", "nov",
    "dic", "ene.", "feb.", "mar.", "abr.", "jun.", "jul.", "ago.", "sep.", "sept.", "oct.",
    "nov.", "dic.",
]  # fmt: skip
_WEEKDAYS = [
    "lunes", "martes", "miércoles", "miercoles", "jueves", "viernes", "sábado", "sabado",
    "domingo",
]  # fmt: skip
_DAY = {"REGEX": r"^(?:0?[1-9]|[12]\d|3[01])$"}
_YEAR = {"REGEX": r"^(?:19|20)\d{2}$"}
_NEXT = ["próximo", "proximo", "próxima", "proxima", "siguiente"]
_LAST = ["pasado", "pasada", "anterior"]
_THIS = ["este", "esta"]


def _pattern(label: str, tokens: list[Pattern]) -> Pattern:
    return {"label": label, "pattern": tokens}


def money_patterns() -> list[Pattern]:
    """Amounts with a currency before or after, decimal comma or point."""
    number = {"TEXT": _AMOUNT}
    return [
        # €45.50, € 45,50, $300, US$ 20
        _pattern(MONEY, [{"LOWER": {"IN": _SYMBOLS}}, number]),
        # 45,50 €, 45 euros, 300 pesos, 20 dólares
        _pattern(MONEY, [number, {"LOWER": {"IN": _CURRENCY_WORDS}}]),
        # EUR 45,50, MXN 300
        _pattern(MONEY, [{"LOWER": {"IN": _CURRENCY_CODES}}, number]),
        # one token: 45,50€, €45.50 when the tokenizer keeps it together
        _pattern(
            MONEY,
            [
                {
                    "LOWER": {
                        "REGEX": (
                            r"^(?:[€$]\d+(?:[.,]\d{1,2})?"
                            r"|\d+(?:[.,]\d{1,2})?(?:eur|usd|mxn|€|\$))$"
                        )
                    }
                }
            ],
        ),
    ]


def date_patterns() -> list[Pattern]:
    """Calendar dates, numeric dates, relative days, weekdays, weeks and months."""
    month = {"LOWER": {"IN": _MONTHS}}
    year: list[Pattern] = [{"LOWER": "de", "OP": "?"}, {"TEXT": _YEAR}]
    return [
        # 5 de diciembre, 5 de diciembre de 2026, día 5 de diciembre, 5 diciembre 2026
        _pattern(
            DATE,
            [
                {"LOWER": {"IN": ["día", "dia"]}, "OP": "?"},
                {"LOWER": _DAY},
                {"LOWER": "de", "OP": "?"},
                month,
                *[{**token, "OP": "?"} for token in year],
            ],
        ),
        # diciembre de 2026, diciembre 2026
        _pattern(DATE, [month, *year]),
        # 05/12/2026, 5/12/26, 5.12.2026, 2026-12-05; 5/12 (day and month: "el 5/12")
        _pattern(
            DATE,
            [
                {
                    "TEXT": {
                        "REGEX": r"^(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})$"
                    }
                }
            ],
        ),
        _pattern(DATE, [{"TEXT": {"REGEX": r"^(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])$"}}]),
        # the tokenizer may split hyphenated digits: 05-12-2026
        _pattern(
            DATE,
            [
                {"TEXT": {"REGEX": r"^(?:\d{4}|\d{1,2})$"}},
                {"ORTH": "-"},
                {"TEXT": {"REGEX": r"^\d{1,2}$"}},
                {"ORTH": "-"},
                {"TEXT": {"REGEX": r"^(?:\d{4}|\d{1,2})$"}},
            ],
        ),
        # hoy, mañana, ayer, anteayer, pasado mañana
        _pattern(
            DATE, [{"LOWER": {"IN": ["hoy", "mañana", "manana", "ayer", "anteayer", "antier"]}}]
        ),
        _pattern(DATE, [{"LOWER": "pasado"}, {"LOWER": {"IN": ["mañana", "manana"]}}]),
        # el día 5, el día 15 (a bare "el 5" is too often something else)
        _pattern(DATE, [{"LOWER": "el"}, {"LOWER": {"IN": ["día", "dia"]}}, {"LOWER": _DAY}]),
        # el lunes, el próximo lunes, el lunes que viene, el lunes pasado, este viernes
        _pattern(
            DATE,
            [
                {"LOWER": {"IN": ["el", *_THIS]}, "OP": "?"},
                {"LOWER": {"IN": _NEXT}, "OP": "?"},
                {"LOWER": {"IN": _WEEKDAYS}},
            ],
        ),
        _pattern(
            DATE,
            [
                {"LOWER": "el", "OP": "?"},
                {"LOWER": {"IN": _WEEKDAYS}},
                {"LOWER": {"IN": _LAST}},
            ],
        ),
        _pattern(
            DATE,
            [
                {"LOWER": "el", "OP": "?"},
                {"LOWER": {"IN": _WEEKDAYS}},
                {"LOWER": "que"},
                {"LOWER": "viene"},
            ],
        ),
        # la semana pasada / que viene, la próxima semana, el mes pasado, este mes
        _pattern(
            DATE,
            [
                {"LOWER": {"IN": ["la", "el"]}, "OP": "?"},
                {"LOWER": {"IN": ["semana", "mes"]}},
                {"LOWER": {"IN": _LAST}},
            ],
        ),
        _pattern(
            DATE,
            [
                {"LOWER": {"IN": ["la", "el"]}, "OP": "?"},
                {"LOWER": {"IN": ["semana", "mes"]}},
                {"LOWER": "que"},
                {"LOWER": "viene"},
            ],
        ),
        _pattern(
            DATE,
            [
                {"LOWER": {"IN": ["la", "el"]}, "OP": "?"},
                {"LOWER": {"IN": _NEXT}},
                {"LOWER": {"IN": ["semana", "mes"]}},
            ],
        ),
        _pattern(DATE, [{"LOWER": {"IN": _THIS}}, {"LOWER": {"IN": ["semana", "mes"]}}]),
        # fin de mes, finales de mes, a fin de mes, principios de mes
        _pattern(
            DATE,
            [
                {"LOWER": {"IN": ["fin", "finales", "principios", "inicios"]}},
                {"LOWER": "de"},
                {"LOWER": {"IN": ["este", "mes"]}},
                {"LOWER": "mes", "OP": "?"},
            ],
        ),
    ]


def lemma_fixes() -> list[Pattern]:
    """Attribute-ruler patterns giving everyday words their usual lemma (module docstring)."""
    fixes = {
        "dos": "dos",
        "persona": "persona",
        "personas": "persona",
        "la": "el",
        "las": "el",
        "lo": "lo",
        "los": "el",
        "una": "uno",
        "pago": "pago",
        "pagos": "pago",
        "cargo": "cargo",
        "cargos": "cargo",
        "cobro": "cobro",
        "cobros": "cobro",
        "plazo": "plazo",
        "plazos": "plazo",
        "pedido": "pedido",
        "pedidos": "pedido",
    }
    return [
        {"patterns": [[{"LOWER": form}]], "attrs": {"LEMMA": lemma}}
        for form, lemma in fixes.items()
    ]
