"""Run Rasa with the project's runtime patches: ``python -m bot.server run --model models ...``.

Takes exactly the arguments of the ``rasa`` command (``run``, ``shell``, ``test``...). Before
handing over to Rasa's own entry point it applies :func:`bot.patches.apply_all`: here, at the
process boundary, and not as an import side effect, so nothing else that imports Rasa is
changed behind its back. On a Rasa version the patches were not tested with it stops with the
reason and exit status 1 instead of serving on unchecked private APIs.

For ``run`` it also gives Rasa its stores (:mod:`bot.stores`): the SQL tracker store on
``TRACKER_STORE_URL`` (default ``var/tracker.db``) and, with ``REDIS_URL``, the Redis lock store,
through a generated copy of the ``--endpoints`` file.
"""

from __future__ import annotations

import sys

from bot import patches, stores


def apply_runtime_fixes() -> list[str]:
    """Apply the runtime patches (:func:`bot.patches.apply_all`); their descriptions."""
    return patches.apply_all()


def main(argv: list[str] | None = None) -> None:
    """Apply the patches, then run Rasa's command line with ``argv`` (default: ``sys.argv``).

    Raises:
        SystemExit: With the reason, when the installed versions are not the tested ones or
            ``TRACKER_STORE_URL`` / ``REDIS_URL`` cannot be used.
    """
    try:
        patches.apply_all()
    except patches.UnsupportedVersionError as error:
        raise SystemExit(f"bot.server: {error}") from error
    from rasa.__main__ import main as rasa_main

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        args = stores.rewrite_run_args(args)
    except stores.StoreConfigError as error:
        raise SystemExit(f"bot.server: {error}") from error
    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
