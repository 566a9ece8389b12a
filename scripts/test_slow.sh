#!/usr/bin/env bash
# Real-process tests: the hub with the real Rasa server, custom actions in-process (trained model in models/).
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
export PYTHONPATH="${ROOT}"
"${HUB_PY}" -m pytest -q -m slow tests/hub "$@"
"${BOT_PY}" -m pytest -q -m slow tests/bench tests/actions tests/bot tests/handoff_eval "$@"
