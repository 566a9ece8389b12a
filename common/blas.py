"""numpy's BLAS thread pool in a serving process: how many threads, read once at start-up.

Both serving processes multiply only tiny matrices per message (the hub's language detector,
Rasa's intent classifier), and OpenBLAS defaults to one worker thread per core. Its workers
spin and wait for cores the other processes need: on the 2-core box, 20 customers through the
hub cost the hub 6-9 ms of CPU per message with OpenBLAS's default and 3.4 ms with one thread
(docs/benchmarks.md); Rasa's CPU fell by a third the same way. More processes, not more BLAS
threads, scale either service.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_BLAS_THREADS = 1


class BlasThreadsError(ValueError):
    """The configured thread count is not a positive integer."""


def blas_threads_from(environ: Mapping[str, str], variable: str) -> int:
    """The thread count ``variable`` asks for (default :data:`DEFAULT_BLAS_THREADS`).

    Raises:
        BlasThreadsError: When the value is set but is not a positive integer; the message
            names the variable and the value.
    """
    raw = environ.get(variable, "")
    if not raw.strip():
        return DEFAULT_BLAS_THREADS
    try:
        threads = int(raw)
    except ValueError:
        threads = 0
    if threads < 1:
        raise BlasThreadsError(f"{variable} must be a positive integer, not {raw!r}")
    return threads


def limit_blas_threads(threads: int) -> None:
    """Limit every BLAS library numpy uses in this process to ``threads`` threads.

    Loads numpy first, so the limit holds for the OpenBLAS that later imports share; uses
    threadpoolctl (scikit-learn's library for this), which finds OpenBLAS whatever its
    symbol suffix.
    """
    import numpy  # noqa: F401 - loads the BLAS that threadpoolctl limits
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads, user_api="blas")
