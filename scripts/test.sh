#!/usr/bin/env bash
# Install trainhub with its test and dev extras into .venv, lint, and run the whole test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -k learners).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
ensure_venv '.[test,dev]'

echo "== ruff"
.venv/bin/ruff check .

echo "== pytest (${TRAINHUB_TEST_DATABASE_URL:-SQLite})"
.venv/bin/python -m pytest "$@"
