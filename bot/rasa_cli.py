"""Rasa's own command line, unpatched, without the libraries' deprecation warnings.

``python -m bot.rasa_cli train ...`` is exactly ``rasa train ...`` (no runtime patches: the
model is trained by stock Rasa), with :func:`bot.server.quiet_library_deprecations` first, so
``make setup`` and ``make test`` show Rasa's progress instead of pages of warnings about its
pinned libraries. Serving and testing go through ``python -m bot.server``.
"""

from __future__ import annotations

import sys

from bot.server import quiet_library_deprecations


def main(argv: list[str] | None = None) -> None:
    """Run Rasa's command line with ``argv`` (default: ``sys.argv``)."""
    quiet_library_deprecations()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
