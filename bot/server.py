"""Run Rasa with the project's runtime patches: ``python -m bot.server run --model models ...``.

Takes exactly the arguments of the ``rasa`` command (``run``, ``shell``, ``test``...). Before
handing over to Rasa's own entry point it applies :func:`bot.patches.apply_all`: here, at the
process boundary, and not as an import side effect, so nothing else that imports Rasa is
changed behind its back. On a Rasa version the patches were not tested with it stops with the
reason and exit status 1 instead of serving on unchecked private APIs.
"""

from __future__ import annotations

import sys

from bot import patches


def apply_runtime_fixes() -> list[str]:
    """Apply the runtime patches (:func:`bot.patches.apply_all`); their descriptions."""
    return patches.apply_all()


def main(argv: list[str] | None = None) -> None:
    """Apply the patches, then run Rasa's command line with ``argv`` (default: ``sys.argv``).

    Raises:
        SystemExit: With the reason, when the installed versions are not the tested ones.
    """
    try:
        patches.apply_all()
    except patches.UnsupportedVersionError as error:
        raise SystemExit(f"bot.server: {error}") from error
    from rasa.__main__ import main as rasa_main

    if argv is not None:
        sys.argv = ["rasa", *argv]
    else:
        sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
