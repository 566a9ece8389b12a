#!/usr/bin/env bash
# Creates or updates both environments from uv.lock (frozen: the lock is the truth).
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
echo "==> bot environment (.venv: Rasa 3.6.21, rasa-sdk, spaCy)"
"${UV}" sync --frozen --python "${PYTHON310}" --group bot --group dev --quiet
echo "==> hub environment (.venv-hub: aiohttp, python-socketio, no Rasa)"
UV_PROJECT_ENVIRONMENT="${ROOT}/.venv-hub" "${UV}" sync --frozen --python "${PYTHON310}" --group hub --group dev --quiet
