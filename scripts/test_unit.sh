#!/usr/bin/env bash
# Fast tests: the bot environment (store, identity, actions, components, policy) and the hub
# environment (store, identity, hub domain, sockets against a fake Rasa).
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
export PYTHONPATH="${ROOT}"
echo "==> pytest (bot environment)"
"${ROOT}/.venv/bin/pytest" -q -m "not slow and not browser" tests/store tests/common tests/actions tests/bot tests/bench "$@"
echo "==> pytest (hub environment)"
"${ROOT}/.venv-hub/bin/pytest" -q -m "not slow and not browser" tests/store tests/common tests/hub tests/bench "$@"
