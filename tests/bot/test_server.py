"""``python -m bot.server``: Rasa's command line behind the version-guarded runtime patches."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rasa.core.actions.action import RemoteAction

from bot import patches, server

REPO = Path(__file__).resolve().parents[2]
STOCK_VALIDATE = RemoteAction._validate_action_result


@pytest.fixture
def restored() -> Iterator[None]:
    patches.restore_all()
    yield
    patches.restore_all()


@pytest.mark.parametrize("module", ["bot.server", "bot.rasa_cli"])
def test_entry_point_runs_rasa_cli(module: str) -> None:
    # bot.server: Rasa behind the patches; bot.rasa_cli: stock Rasa (training, validation).
    done = subprocess.run(  # noqa: S603 - fixed argv, this interpreter
        [sys.executable, "-m", module, "--version"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Rasa Version" in done.stdout
    assert "3.6.21" in done.stdout


def test_entry_point_refuses_an_untested_rasa() -> None:
    # The module run as `python -m bot.server`, with the tested version changed first.
    script = (
        "import runpy, bot.patches as p; p.TESTED_WITH['rasa'] = '3.5.0'; "
        "runpy.run_module('bot.server', run_name='__main__', alter_sys=True)"
    )
    done = subprocess.run(  # noqa: S603 - fixed argv, this interpreter
        [sys.executable, "-c", script, "run"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "bot.server: the Rasa runtime patches" in done.stderr
    assert "rasa 3.6.21 (tested: 3.5.0)" in done.stderr
    assert "Traceback" not in done.stderr


def test_main_exits_with_the_reason_and_patches_nothing(
    restored: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        patches, "installed_version", lambda name: {"rasa": "3.7.0"}.get(name, "3.6.2")
    )
    with pytest.raises(SystemExit) as exited:
        server.main(["--version"])
    assert isinstance(exited.value.code, str)  # printed to stderr, exit status 1
    assert "rasa 3.7.0 (tested: 3.6.21)" in exited.value.code
    assert RemoteAction._validate_action_result is STOCK_VALIDATE


def test_apply_runtime_fixes_is_the_one_place(restored: None) -> None:
    assert server.apply_runtime_fixes() == patches.apply_all()


def test_run_limits_blas_to_one_thread_by_default(
    blas_threads: Callable[[], set[int]],
) -> None:
    assert server.limit_blas_threads({}) == 1
    assert blas_threads() == {1}


def test_blas_threads_can_be_raised(blas_threads: Callable[[], set[int]]) -> None:
    assert server.limit_blas_threads({server.BLAS_THREADS_ENV: "2"}) == 2
    assert blas_threads() == {2}


@pytest.mark.parametrize("raw", ["0", "-1", "two", "1.5"])
def test_bad_blas_threads_stop_with_the_reason(
    blas_threads: Callable[[], set[int]], raw: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        server.limit_blas_threads({server.BLAS_THREADS_ENV: raw})
    assert isinstance(exited.value.code, str)
    assert server.BLAS_THREADS_ENV in exited.value.code
    assert repr(raw) in exited.value.code


# Imports that warn about Rasa's pinned libraries; Sanic turns DeprecationWarnings back on first.
NOISY_IMPORTS = "import sanic.app, pkg_resources, rasa.core.tracker_store"


def _stderr_of(script: str) -> str:
    done = subprocess.run(  # noqa: S603 - fixed argv, this interpreter
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"},
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_library_deprecations_reach_the_terminal_without_the_filter() -> None:
    # The control: PYTHONWARNINGS alone does not stop them (Sanic re-enables them).
    assert "DeprecationWarning" in _stderr_of(NOISY_IMPORTS)


def test_quiet_library_deprecations_keeps_them_off() -> None:
    stderr = _stderr_of(
        f"from bot.server import quiet_library_deprecations as q; q(); {NOISY_IMPORTS}"
    )
    assert "DeprecationWarning" not in stderr
    assert "MovedIn20Warning" not in stderr


def test_library_deprecations_stay_quiet_after_rasa_sets_its_filters() -> None:
    # pyparsing 3.3's deprecation warning is also a UserWarning, which Rasa's own set-up
    # shows "once": matplotlib printed a page of them in `rasa test` before the fix.
    import warnings

    import pyparsing
    from rasa.utils.common import configure_logging_and_warnings

    with warnings.catch_warnings(record=True) as caught:
        server.quiet_library_deprecations()
        configure_logging_and_warnings(None)
        warnings.warn("old API", pyparsing.PyparsingDeprecationWarning, stacklevel=1)
        warnings.warn("about the training data", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["about the training data"]
