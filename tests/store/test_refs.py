import pytest

from store.refs import normalise_order_ref


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ORD-104233", "ORD-104233"),
        ("ord 104233", "ORD-104233"),
        ("#104233", "ORD-104233"),
        ("104233", "ORD-104233"),
        ("  ord-104233 ", "ORD-104233"),
        ("ORD104233", "ORD-104233"),
        ("order 104233", "ORD-104233"),
        ("order no. 104233", "ORD-104233"),
        ("#ORD-104233", "ORD-104233"),
        ("a-77812", "A-77812"),
        ("SO_2024_0042", "SO_2024_0042"),
        ("bb-2041", "BB-2041"),
    ],
)
def test_normalises_order_refs(typed, expected):
    assert normalise_order_ref(typed) == expected


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "   ",
        "#",
        "refund",
        "hello there",
        "ord",
        "12",
        "DROP TABLE orders;",
        "x" * 80,
        "alice@example.com",
        "104 233 999 1",
    ],
)
def test_rejects_junk(junk):
    assert normalise_order_ref(junk) is None


def test_non_string_is_not_a_ref():
    assert normalise_order_ref(104233) is None  # type: ignore[arg-type]
