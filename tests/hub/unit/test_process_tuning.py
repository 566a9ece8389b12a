"""``python -m connectors`` tunes its process: GIL switch interval and one BLAS thread."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_the_hub_process_runs_numpy_on_one_blas_thread() -> None:
    # In a fresh interpreter: both settings are process-wide. The language detector (the only
    # numpy user in the hub) is loaded first, as on the first customer message.
    script = (
        "import sys; from common.language import detect; detect('hello there'); "
        "from connectors.__main__ import configure_process, GIL_SWITCH_INTERVAL_S; "
        "configure_process(); "
        "from threadpoolctl import threadpool_info; "
        "print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}), "
        "sys.getswitchinterval() == GIL_SWITCH_INTERVAL_S)"
    )
    out = subprocess.run(  # noqa: S603 - fixed argv, this interpreter
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[1] True"
