"""common.blas: the BLAS thread count a serving process reads and sets."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from common.blas import (
    DEFAULT_BLAS_THREADS,
    BlasThreadsError,
    blas_threads_from,
    limit_blas_threads,
)


def test_unset_or_blank_means_one_thread() -> None:
    assert DEFAULT_BLAS_THREADS == 1
    assert blas_threads_from({}, "X_BLAS") == 1
    assert blas_threads_from({"X_BLAS": "  "}, "X_BLAS") == 1


def test_a_positive_count_is_read() -> None:
    assert blas_threads_from({"X_BLAS": "3"}, "X_BLAS") == 3


@pytest.mark.parametrize("raw", ["0", "-2", "two", "1.5"])
def test_a_bad_count_names_the_variable_and_the_value(raw: str) -> None:
    with pytest.raises(BlasThreadsError) as error:
        blas_threads_from({"X_BLAS": raw}, "X_BLAS")
    assert "X_BLAS" in str(error.value)
    assert repr(raw) in str(error.value)


@pytest.mark.parametrize("threads", [1, 2])
def test_the_limit_applies_to_numpys_blas(
    blas_threads: Callable[[], set[int]], threads: int
) -> None:
    limit_blas_threads(threads)
    assert blas_threads() == {threads}


def test_the_limit_holds_for_a_blas_loaded_only_by_this_call(
    fresh_python: Callable[[str], str],
) -> None:
    # A fresh interpreter that has not imported numpy yet, like a starting hub or Rasa.
    script = (
        "from common.blas import limit_blas_threads; limit_blas_threads(1); "
        "from threadpoolctl import threadpool_info; "
        "print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))"
    )
    assert fresh_python(script) == "[1]"
