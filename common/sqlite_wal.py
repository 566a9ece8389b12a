"""Switching an SQLite file to WAL when several processes open it for the first time at once.

``PRAGMA journal_mode=WAL`` on a file still in rollback-journal mode needs an exclusive lock
after reading the header under a shared one. When two connections do that at the same moment
(``make run`` starts the hub, the bot and the seed together on a fresh file, each migrating or
opening it), SQLite sees a deadlock and answers one of them "database is locked" at once,
without calling the busy handler, so ``busy_timeout`` does not help. The loser only has to
ask again once the winner has switched the file: then the pragma is a plain read.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any, Final

RETRY_PAUSE_S: Final = 0.01


def enable_wal(cursor: Any, timeout_s: float) -> None:
    """Run ``PRAGMA journal_mode=WAL`` on a DB-API ``cursor``, asking again while it is locked.

    Raises:
        sqlite3.OperationalError: Any other error, or still locked after ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(RETRY_PAUSE_S)
