#!/usr/bin/env bash
# Install trainhub with its test and dev extras into .venv, lint, and run the whole test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -k learners). The suite runs on every CPU
# (pytest-xdist, one database per worker) unless -n is given (scripts/test.sh -n 0 -x).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
ensure_venv '.[test,dev]'

echo "== ruff"
.venv/bin/ruff check .

echo "== pytest (${TRAINHUB_TEST_DATABASE_URL:-SQLite})"
parallel=(-n auto --dist loadgroup)
for arg in "$@"; do
    case "$arg" in -n|-n*|--numprocesses*) parallel=() ;; esac
done
.venv/bin/python -m pytest "${parallel[@]}" "$@"
