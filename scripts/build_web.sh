#!/usr/bin/env bash
# Builds the customer widget, the agent console and the demo page into hub/static/.
#   bash scripts/build_web.sh          npm ci (only when the lock changed) + build
#   bash scripts/build_web.sh --check  also type-check (tsc) and run the JS unit tests (node --test)
# Needs node >= 18 and npm (Debian: apt-get install -y nodejs npm). Idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}/web"

if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm is needed to build the web widget and console (apt-get install -y nodejs npm)" >&2
  exit 1
fi

# npm ci wipes node_modules; skip it when the installed tree already matches the lock.
stamp="node_modules/.payassist-lock.sha256"
want="$(sha256sum package-lock.json | awk '{print $1}')"
if [ ! -f "${stamp}" ] || [ "$(cat "${stamp}")" != "${want}" ]; then
  echo "==> web: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "${want}" > "${stamp}"
fi

echo "==> web: build into hub/static/"
node build.mjs

if [ "${1:-}" = "--check" ]; then
  echo "==> web: type-check"
  npx --no-install tsc --noEmit -p tsconfig.json
  echo "==> web: unit tests"
  node build.mjs --tests >/dev/null
  node --test build-tests/
fi
