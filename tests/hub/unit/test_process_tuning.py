"""``python -m connectors`` tunes its process: GIL switch interval, one BLAS thread, frozen heap."""

from __future__ import annotations

from collections.abc import Callable


def test_the_hub_process_runs_numpy_on_one_blas_thread(
    fresh_python: Callable[[str], str],
) -> None:
    # Both settings are process-wide. The language detector (the hub's only numpy user) is
    # loaded first, as on the first customer message.
    script = (
        "import sys; from common.language import detect; detect('hello there'); "
        "from connectors.__main__ import configure_process, GIL_SWITCH_INTERVAL_S; "
        "configure_process(); "
        "from threadpoolctl import threadpool_info; "
        "print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}), "
        "sys.getswitchinterval() == GIL_SWITCH_INTERVAL_S)"
    )
    assert fresh_python(script) == "[1] True"


def test_what_the_built_hub_holds_is_frozen_out_of_the_collectors_generations(
    fresh_python: Callable[[str], str],
) -> None:
    script = (
        "import gc; from common.explicit_request import default_guard; guard = default_guard(); "
        "before = gc.get_freeze_count(); "
        "from connectors.__main__ import configure_process; configure_process(); "
        "print(before, gc.get_freeze_count() > 100_000, "
        "all(o is not guard for o in gc.get_objects()))"
    )
    assert fresh_python(script) == "0 True True"


def test_the_hub_serves_on_uvloop() -> None:
    import uvloop

    from connectors.__main__ import new_event_loop

    loop = new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
