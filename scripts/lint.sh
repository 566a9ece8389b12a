#!/usr/bin/env bash
# ruff over the tree; mypy in each environment over the packages that run there.
source "$(dirname "$0")/env.sh"
cd "${ROOT}"
echo "==> ruff"
"${ROOT}/.venv/bin/ruff" check .
"${ROOT}/.venv/bin/ruff" format --check .
echo "==> mypy (bot environment)"
"${ROOT}/.venv/bin/mypy" bot actions store common migrations
echo "==> mypy (hub environment)"
"${ROOT}/.venv-hub/bin/mypy" hub connectors store common migrations deploy
echo "==> web: TypeScript check and JS unit tests"
bash "${ROOT}/scripts/build_web.sh" --check
