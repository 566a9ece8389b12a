#!/usr/bin/env bash
# Sourced by every script: finds Python 3.10 and a pinned uv, and names the two environments.
#   .venv      Rasa 3.6.21 + rasa-sdk + spaCy (the bot, the action server, their tests)
#   .venv-hub  the public-facing hub on current aiohttp / python-socketio (no Rasa)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
UV_VERSION="0.13.9"
export UV_PYTHON_DOWNLOADS=never
export UV_LINK_MODE=copy

find_python310() {
  if [ -n "${PYTHON310:-}" ] && [ -x "${PYTHON310}" ]; then echo "${PYTHON310}"; return 0; fi
  local candidate
  for candidate in "$(command -v python3.10 2>/dev/null || true)" \
                   "$(command -v pyenv >/dev/null 2>&1 && pyenv root 2>/dev/null)"/versions/3.10*/bin/python3.10 \
                   "${HOME}"/.pyenv/versions/3.10*/bin/python3.10 \
                   /usr/local/bin/python3.10 /usr/bin/python3.10; do
    if [ -n "${candidate}" ] && [ -x "${candidate}" ] && "${candidate}" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
      echo "${candidate}"; return 0
    fi
  done
  return 1
}

if ! PYTHON310="$(find_python310)"; then
  echo "error: Python 3.10 is required (Rasa Open Source 3.6 supports Python 3.8-3.10) and none was found." >&2
  echo "       Install it (e.g. 'pyenv install 3.10.13') or set PYTHON310=/path/to/python3.10." >&2
  exit 1
fi
export PYTHON310

UV="${ROOT}/.tools/bin/uv"
if [ ! -x "${UV}" ] || [ "$("${UV}" --version 2>/dev/null | awk '{print $2}')" != "${UV_VERSION}" ]; then
  echo "==> installing uv ${UV_VERSION} into .tools/" >&2
  "${PYTHON310}" -m venv "${ROOT}/.tools"
  "${ROOT}/.tools/bin/pip" install --quiet --disable-pip-version-check "uv==${UV_VERSION}"
fi
export UV

BOT_PY="${ROOT}/.venv/bin/python"
HUB_PY="${ROOT}/.venv-hub/bin/python"
export BOT_PY HUB_PY
export TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false
