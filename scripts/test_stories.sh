#!/usr/bin/env bash
# Conversation tests: every story in tests/stories must pass (rasa test exits non-zero otherwise).
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
export PYTHONPATH="${ROOT}"
out="${ROOT}/results"
rm -rf "${out}"
"${ROOT}/.venv/bin/rasa" test core --model models --stories tests/stories --out "${out}" \
  --fail-on-prediction-errors
