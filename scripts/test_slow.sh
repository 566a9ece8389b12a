#!/usr/bin/env bash
# Real-process tests: the hub with the real Rasa server, custom actions in-process (trained model in models/),
# and the multi-process cluster.
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
export PYTHONPATH="${ROOT}"
"${HUB_PY}" -m pytest -q -m slow tests/hub "$@"
"${BOT_PY}" -m pytest -q -m slow tests/bench tests/actions tests/bot tests/handoff_eval "$@"
# The cluster (deploy/cluster.py: PostgreSQL, Redis, 2 Rasa servers, 2 hubs, HAProxy) and its
# kill and outage tests, plus make run's one-process Rasa restart (docs/deployment.md).
"${HUB_PY}" -m pytest -q -m slow tests/cluster "$@"
