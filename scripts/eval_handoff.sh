#!/usr/bin/env bash
# Plays the labelled handoff corpus through the trained bot (with a real action server) and
# prints recall / false-handoff rate per category; fails if explicit-request recall < 100 %
# (pass --strict to also fail on the frustrated / calm / topic targets).
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
export PYTHONPATH="${ROOT}"
"${BOT_PY}" -m tests.handoff_eval.run_eval --model models --split "${SPLIT:-all}" "$@"
