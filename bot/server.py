"""Run Rasa with the project's runtime patches: ``python -m bot.server run --model models ...``.

Takes exactly the arguments of the ``rasa`` command (``run``, ``shell``, ``test``...). Before
handing over to Rasa's own entry point it applies :func:`bot.patches.apply_all`: here, at the
process boundary, and not as an import side effect, so nothing else that imports Rasa is
changed behind its back. On a Rasa version the patches were not tested with it stops with the
reason and exit status 1 instead of serving on unchecked private APIs.

For ``run`` it also gives Rasa its stores (:mod:`bot.stores`): the SQL tracker store on
``TRACKER_STORE_URL`` (default ``var/tracker.db``) and, with ``REDIS_URL``, the Redis lock store,
through a generated copy of the ``--endpoints`` file.

For ``run`` it also limits numpy's BLAS (OpenBLAS) to one thread (:func:`limit_blas_threads`,
``RASA_BLAS_THREADS``; why: :mod:`common.blas`). Measured on the 2-core box, 20 customers
through the hub: 0.19 ms against 0.06 ms per language detection, and the process's CPU per
message falls by a third.
"""

from __future__ import annotations

import os
import sys
import warnings

from bot import patches, stores
from common.blas import BlasThreadsError, blas_threads_from
from common.blas import limit_blas_threads as limit_blas_threads_to

BLAS_THREADS_ENV = "RASA_BLAS_THREADS"


def quiet_library_deprecations() -> None:
    """Keep the libraries' deprecation warnings off a command's terminal.

    Rasa 3.6's pinned libraries warn at import about their own dependencies (pkg_resources,
    SQLAlchemy 2.0, pyparsing, keras, jax): pages of text that say nothing about this project.
    ``PYTHONWARNINGS`` cannot stop them: importing Sanic turns every ``DeprecationWarning``
    back on (``filterwarnings("once", ...)`` in ``sanic/app.py``). So Sanic is imported
    first and the ignore filter goes in front of its. Our own code's deprecations are caught
    by the test suite, which sets its own filters; Rasa's warnings about the training data
    (``UserWarning``) still show.

    Rasa's own logging set-up (``rasa.utils.common._filter_warnings``, run by every command)
    later puts ``filterwarnings("once", category=UserWarning)`` in front, and pyparsing 3.3's
    ``PyparsingDeprecationWarning`` is both a ``UserWarning`` and a ``DeprecationWarning``:
    matplotlib and packaging then printed a page of them in ``rasa test``. So the ignore
    filters are put back in front each time Rasa sets up its filters.
    """
    import sanic.app  # noqa: F401 - its import-time filter must come first, ours overrides it

    _ignore_deprecations()
    import rasa.utils.common as rasa_common

    rasa_filter = rasa_common._filter_warnings
    if getattr(rasa_filter, "keeps_deprecations_quiet", False):
        return

    def filter_warnings(log_level: int | None, warn_only_once: bool = True) -> None:
        rasa_filter(log_level, warn_only_once)
        _ignore_deprecations()

    filter_warnings.keeps_deprecations_quiet = True  # type: ignore[attr-defined]
    rasa_common._filter_warnings = filter_warnings


def _ignore_deprecations() -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=PendingDeprecationWarning)


def limit_blas_threads(environ: dict[str, str] | None = None) -> int:
    """Limit the BLAS libraries numpy loaded to ``RASA_BLAS_THREADS`` threads (default 1).

    See :mod:`common.blas`; returns the thread count set.

    Raises:
        SystemExit: With the reason, when ``RASA_BLAS_THREADS`` is not a positive integer.
    """
    try:
        threads = blas_threads_from(os.environ if environ is None else environ, BLAS_THREADS_ENV)
    except BlasThreadsError as error:
        raise SystemExit(f"bot.server: {error}") from error
    limit_blas_threads_to(threads)
    return threads


def apply_runtime_fixes() -> list[str]:
    """Apply the runtime patches (:func:`bot.patches.apply_all`); their descriptions."""
    return patches.apply_all()


def main(argv: list[str] | None = None) -> None:
    """Apply the patches, then run Rasa's command line with ``argv`` (default: ``sys.argv``).

    Raises:
        SystemExit: With the reason, when the installed versions are not the tested ones or
            ``TRACKER_STORE_URL`` / ``REDIS_URL`` cannot be used.
    """
    quiet_library_deprecations()
    try:
        patches.apply_all()
    except patches.UnsupportedVersionError as error:
        raise SystemExit(f"bot.server: {error}") from error
    from rasa.__main__ import main as rasa_main

    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["run"]:
        limit_blas_threads()
    try:
        args = stores.rewrite_run_args(args)
    except stores.StoreConfigError as error:
        raise SystemExit(f"bot.server: {error}") from error
    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
