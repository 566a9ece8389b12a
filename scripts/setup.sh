#!/usr/bin/env bash
# Creates or updates both environments from uv.lock (frozen: the lock is the truth), builds the
# project's spaCy pipeline and the web assets, and seeds the demo database. Idempotent and quick
# when nothing changed.
#   scripts/setup.sh               everything
#   scripts/setup.sh --spacy-only  just the spaCy pipeline
source "$(dirname "$0")/env.sh"
cd "${ROOT}"

build_spacy() {
  "${BOT_PY}" -m bot.spacy_pipeline --language en --out "${ROOT}/build/spacy/en_payments"
  "${BOT_PY}" -m bot.spacy_pipeline --language es --out "${ROOT}/build/spacy/es_payments"
}

if [ "${1:-}" = "--spacy-only" ]; then build_spacy; exit 0; fi

echo "==> bot environment (.venv: Rasa 3.6.21, rasa-sdk, spaCy)"
"${UV}" sync --frozen --python "${PYTHON310}" --group bot --group dev --quiet
echo "==> hub environment (.venv-hub: aiohttp, python-socketio, no Rasa)"
UV_PROJECT_ENVIRONMENT="${ROOT}/.venv-hub" "${UV}" sync --frozen --python "${PYTHON310}" --group hub --group dev --quiet
echo "==> spaCy pipelines (build/spacy/en_payments, es_payments)"
build_spacy
if [ -x "${ROOT}/scripts/build_web.sh" ]; then
  echo "==> web widget and agent console (hub/static)"
  bash "${ROOT}/scripts/build_web.sh"
fi
