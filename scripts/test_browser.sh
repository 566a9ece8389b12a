#!/usr/bin/env bash
# Browser tests: Playwright for Python driving Debian's chromium against the real services.
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
export PYTHONPATH="${ROOT}"
"${HUB_PY}" -m pytest -q -m browser tests/browser "$@"
