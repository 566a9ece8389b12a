#!/usr/bin/env bash
# `make run`: sets up what is missing, migrates and seeds the demo database, trains if
# data/config changed, then starts the Rasa server (custom actions run inside it,
# endpoints.yml) and the hub, waits until both are healthy and prints how to talk to the bot.
# Ctrl-C stops everything.
# ACTION_SERVER=1 runs the custom actions in a separate action server on ACTIONS_PORT instead.
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
source "${ROOT}/scripts/secrets.sh"

RASA_PORT="${RASA_PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
HUB_PORT="${HUB_PORT:-8080}"
export PAYASSIST_DEMO="${PAYASSIST_DEMO:-1}"
# Where customers' user_uttered metadata (and the customer token) is read from, as Rasa's
# credentials.yml `metadata_key`. The hub's default is Rasa's (`metadata`); the demo uses
# rasa-webchat's `customData` so that widget works against it unchanged (ours uses the auth).
export HUB_METADATA_KEY="${HUB_METADATA_KEY:-customData}"
export DATABASE_URL="${DATABASE_URL:-sqlite:///${ROOT}/var/payassist.db}"
export RASA_URL="http://127.0.0.1:${RASA_PORT}"
export HUB_PORT PYTHONPATH="${ROOT}"
LOGS="${ROOT}/var/log"
mkdir -p "${LOGS}"

bash "${ROOT}/scripts/setup.sh"
echo "==> migrating the database schema (make migrate)"
"${BOT_PY}" -m migrations upgrade
echo "==> seeding the demo database"
"${BOT_PY}" -m store.seed
echo "==> training (skipped when nothing changed)"
bash "${ROOT}/scripts/train.sh" --quiet

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "==> stopping"
  for pid in "${pids[@]}"; do kill -TERM "${pid}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "${pid}" 2>/dev/null || true; done
  exit 0
}
trap stop_all INT TERM EXIT

start() {  # start NAME LOGFILE CMD...
  local name=$1 log=$2; shift 2
  "$@" >"${log}" 2>&1 &
  pids+=($!)
  echo "    ${name} (pid $!) -> ${log#"${ROOT}"/}"
}

wait_http() {  # wait_http NAME URL SECONDS
  local name=$1 url=$2 limit=$3 t=0
  until curl -fs -o /dev/null "${url}" 2>/dev/null; do
    sleep 1; t=$((t + 1))
    for pid in "${pids[@]}"; do
      if ! kill -0 "${pid}" 2>/dev/null; then echo "error: a service exited; see ${LOGS}" >&2; exit 1; fi
    done
    if [ "${t}" -ge "${limit}" ]; then echo "error: ${name} not healthy after ${limit}s; see ${LOGS}" >&2; exit 1; fi
  done
  echo "    ${name} is up (${url})"
}

echo "==> starting services"
ENDPOINTS="${ROOT}/endpoints.yml"
if [ "${ACTION_SERVER:-0}" = "1" ]; then
  ENDPOINTS="${ROOT}/var/endpoints.action-server.yml"
  printf 'action_endpoint:\n  url: http://127.0.0.1:%s/webhook\n' "${ACTIONS_PORT}" >"${ENDPOINTS}"
  start "action server" "${LOGS}/actions.log" "${ROOT}/.venv/bin/rasa" run actions --actions actions --port "${ACTIONS_PORT}"
fi
start "rasa server" "${LOGS}/rasa.log" "${BOT_PY}" -m bot.server run --model models --endpoints "${ENDPOINTS}" \
  --credentials credentials.yml --enable-api --auth-token "${RASA_AUTH_TOKEN}" \
  --interface 127.0.0.1 --port "${RASA_PORT}"
start "hub" "${LOGS}/hub.log" "${HUB_PY}" -m connectors
if [ "${ACTION_SERVER:-0}" = "1" ]; then
  wait_http "action server" "http://127.0.0.1:${ACTIONS_PORT}/health" 60
fi
wait_http "rasa server" "http://127.0.0.1:${RASA_PORT}/status?token=${RASA_AUTH_TOKEN}" 180
wait_http "hub" "http://127.0.0.1:${HUB_PORT}/health" 60

"${BOT_PY}" "${ROOT}/scripts/banner.py" --hub "http://127.0.0.1:${HUB_PORT}" --rasa "http://127.0.0.1:${RASA_PORT}"
# Which pages may embed a chat widget (ours or an existing Rasa one) from another origin; the
# same rule as hub/settings.py `allowed_origins`.
case "${PAYASSIST_DEMO}" in 1|true|yes|on) demo_mode=1 ;; *) demo_mode=0 ;; esac
if [ -n "${HUB_CORS_ORIGINS:-}" ]; then
  origins="${HUB_CORS_ORIGINS} (HUB_CORS_ORIGINS)"
elif [ "${demo_mode}" = "1" ]; then
  origins="any origin (demo mode; set HUB_CORS_ORIGINS to narrow it)"
else
  origins="only http://127.0.0.1:${HUB_PORT} itself"
fi
echo "  Widget origins allowed:       ${origins}"
echo "    add one: HUB_CORS_ORIGINS=https://shop.example.com,http://localhost:3000 make run"
echo "  Customer metadata key:        ${HUB_METADATA_KEY} (rasa-webchat: customData; Rasa's default: metadata)"
echo "    (docs/protocol.md, \"Using an existing Rasa widget\")"
echo "Press Ctrl-C to stop."
wait -n "${pids[@]}" || true
echo "error: a service stopped unexpectedly; see ${LOGS}" >&2
