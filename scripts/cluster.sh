#!/usr/bin/env bash
# `make cluster`: the system as several processes on this machine, on PostgreSQL and Redis:
# PostgreSQL + Redis (Debian packages), the schema migrated on start, 2 Rasa servers sharing
# Rasa's SQL tracker store, 2 hub processes (Redis fan-out, every Rasa server in RASA_URLS),
# and HAProxy in front of the hubs on CLUSTER_PORT (default 8090). Ctrl-C stops everything.
# CLUSTER_HUBS / CLUSTER_RASAS change the counts. Data is kept in var/cluster/ between runs
# (`rm -rf var/cluster` starts afresh); logs in var/cluster/log/. docs/deployment.md explains it.
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
export PYTHONPATH="${ROOT}"

bash "${ROOT}/scripts/system_deps.sh"
bash "${ROOT}/scripts/setup.sh"
echo "==> training (skipped when nothing changed)"
bash "${ROOT}/scripts/train.sh" --quiet
exec "${HUB_PY}" -m deploy.cluster
