"""``Domain.is_empty`` answered once per domain: the same answers as stock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain

from bot import domain_empty

REPO = Path(__file__).resolve().parents[2]
STOCK_IS_EMPTY = Domain.is_empty


@pytest.fixture
def memoised() -> Iterator[None]:
    domain_empty.apply()
    yield
    domain_empty.restore()


@pytest.mark.parametrize(
    "make", [Domain.empty, lambda: Domain.load(str(REPO / "domain.yml"))], ids=["empty", "project"]
)
def test_same_answer_as_stock(memoised: None, make: object) -> None:
    domain = make()  # type: ignore[operator]
    expected = STOCK_IS_EMPTY(domain)
    assert domain.is_empty() is expected
    assert domain.is_empty() is expected  # from the memo
    assert domain.__dict__[domain_empty.MEMO_ATTR] is expected


def test_the_stock_check_runs_once_per_domain(
    memoised: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Domain] = []

    def counting(domain: Domain) -> bool:
        calls.append(domain)
        return bool(STOCK_IS_EMPTY(domain))

    monkeypatch.setattr(domain_empty, "_stock_is_empty", counting)
    first, second = Domain.empty(), Domain.empty()
    for _ in range(3):
        assert first.is_empty()
        assert second.is_empty()
    assert len(calls) == 2
    assert calls[0] is first
    assert calls[1] is second


def test_restore_puts_stock_back() -> None:
    domain_empty.apply()
    domain_empty.restore()
    assert Domain.is_empty is STOCK_IS_EMPTY
