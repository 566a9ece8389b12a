"""Import a company's own payments data (JSON or CSV, see docs/data-schema.md).

Everything is validated first and every problem is reported with its location; if there is any
problem, nothing is written. Otherwise the whole file is written in one transaction.

Usage: ``python -m store.importer FILE.json|FILE.csv|DIRECTORY [--database-url URL]
[--dry-run] [--replace]``. Exit codes: 0 imported (or would be, with --dry-run), 1 the data has
problems, 2 the file or the database could not be used. The database is migrated to the code's
schema revision first (``migrations/``).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from migrations.runner import SchemaError, upgrade
from store.db import create_engine_from_url, database_url_from_env, make_session_factory
from store.errors import StoreUnavailable
from store.imports.csv_source import read_csv_directory, read_flat_csv
from store.imports.json_source import read_json
from store.imports.records import Problem, RawRecord
from store.imports.validate import validate
from store.imports.writer import check_against_database, write

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """What an import did: problems (then nothing was written) or counts per kind."""

    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    written: bool = False

    @property
    def ok(self) -> bool:
        """True when the data had no problems."""
        return not self.problems


def read_source(path: Path) -> tuple[list[RawRecord], list[Problem]]:
    """Pick the reader from the path: a directory of CSVs, a ``.csv`` file or a ``.json`` file."""
    if path.is_dir():
        return read_csv_directory(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_flat_csv(path)
    if suffix == ".json":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            return [], [Problem(path.name, f"cannot read file: {exc}")]
        return read_json(text)
    return [], [Problem(path.name, "unsupported file type (expected .json, .csv or a directory)")]


def import_path(
    path: Path,
    session_factory: sessionmaker,
    *,
    replace: bool = False,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ImportReport:
    """Validate ``path`` and, if it is clean, write it in a single transaction.

    Raises:
        StoreUnavailable: The database could not be reached.
    """
    raws, problems = read_source(path)
    data, more = validate(raws)
    problems += more
    if any(p.message.startswith(("invalid JSON", "cannot read", "unsupported")) for p in problems):
        return ImportReport(problems)
    session = session_factory()
    try:
        db_problems, existing = check_against_database(session, data, replace=replace)
        problems += db_problems
        if problems:
            session.rollback()
            return ImportReport(problems)
        write(session, data, existing, now or datetime.now(timezone.utc))
        if dry_run:
            session.rollback()
        else:
            session.commit()
        return ImportReport(counts=data.counts(), written=not dry_run)
    except OperationalError as exc:
        session.rollback()
        dialect = session.get_bind().dialect.name
        log.warning("import failed: database unavailable (%s): %s", dialect, exc)
        raise StoreUnavailable("import", dialect, type(exc).__name__) from exc
    finally:
        session.close()


_LOCATION = re.compile(r"^(?:(\S+\.csv) )?.*?line (\d+)")


def _position(problem: Problem) -> tuple[str, int]:
    """Sort key: file (for CSV directories), then line, so reports read top to bottom."""
    match = _LOCATION.search(problem.where)
    return (match.group(1) or "", int(match.group(2))) if match else ("", 0)


def _print_report(report: ImportReport, source: Path, dry_run: bool) -> None:
    if not report.ok:
        for problem in sorted(report.problems, key=_position):
            print(f"ERROR {problem}", file=sys.stderr)
        print(
            f"{len(report.problems)} problem(s) in {source}; nothing was imported.", file=sys.stderr
        )
        return
    summary = ", ".join(f"{n} {kind}(s)" for kind, n in report.counts.items() if n)
    verb = "Would import" if dry_run else "Imported"
    print(f"{verb} from {source}: {summary or 'nothing'}")


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description="Import payments data (docs/data-schema.md).")
    parser.add_argument("source", type=Path, help="FILE.json, FILE.csv or a directory of CSV files")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: DATABASE_URL or var/payassist.db)"
    )
    parser.add_argument("--dry-run", action="store_true", help="validate and roll back")
    parser.add_argument("--replace", action="store_true", help="overwrite existing refs (see docs)")
    args = parser.parse_args(argv)
    if not args.source.exists():
        print(f"ERROR {args.source}: no such file or directory", file=sys.stderr)
        return 2
    url = args.database_url or database_url_from_env()
    engine = create_engine_from_url(url)
    try:
        upgrade(url)
        report = import_path(
            args.source, make_session_factory(engine), replace=args.replace, dry_run=args.dry_run
        )
    except (StoreUnavailable, OperationalError) as exc:
        print(f"ERROR database unavailable: {exc}", file=sys.stderr)
        return 2
    except SchemaError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    _print_report(report, args.source, args.dry_run)
    return 0 if report.ok else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(main())
