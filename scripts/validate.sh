#!/usr/bin/env bash
# rasa data validate: domain, NLU data, stories and rules must agree (fails on any error).
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
export PYTHONPATH="${ROOT}"
"${BOT_PY}" -m bot.rasa_cli data validate --config config.yml --domain domain.yml --data data
