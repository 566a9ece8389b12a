#!/usr/bin/env bash
# Demo-mode secrets: generated once into var/secrets.env (git-ignored) and exported.
# Real deployments set CUSTOMER_TOKEN_SECRET, RASA_AUTH_TOKEN and HUB_METRICS_TOKEN in the environment instead.
mkdir -p "${ROOT}/var"
if [ ! -f "${ROOT}/var/secrets.env" ]; then
  umask 077
  {
    echo "CUSTOMER_TOKEN_SECRET=$("${PYTHON310}" -c 'import secrets; print(secrets.token_urlsafe(48))')"
    echo "RASA_AUTH_TOKEN=$("${PYTHON310}" -c 'import secrets; print(secrets.token_urlsafe(32))')"
  } > "${ROOT}/var/secrets.env"
fi
# Added later than the file may be: the /metrics scrape token (docs/security.md).
if ! grep -q '^HUB_METRICS_TOKEN=' "${ROOT}/var/secrets.env"; then
  (umask 077; echo "HUB_METRICS_TOKEN=$("${PYTHON310}" -c 'import secrets; print(secrets.token_urlsafe(32))')" >> "${ROOT}/var/secrets.env")
fi
set -a
# shellcheck disable=SC1091
source "${ROOT}/var/secrets.env"
set +a
