#!/usr/bin/env bash
# Install trainhub, prepare the embedded SQLite database (schema, reference data, demo data and
# accounts on the first run: phase 1 as history and a current phase running around that day),
# then serve http://127.0.0.1:5000 with gunicorn and run the job worker.
#   TRAINHUB_PORT   port to listen on (default 5000)
#   TRAINHUB_WEB_WORKERS  gunicorn worker processes (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
ensure_venv '.'

export TRAINHUB_INSTANCE_PATH="${TRAINHUB_INSTANCE_PATH:-$PWD/instance}"
port="${TRAINHUB_PORT:-5000}"
mkdir -p "$TRAINHUB_INSTANCE_PATH"

echo "== trainhub init (schema and reference data)"
.venv/bin/trainhub init

marker="$TRAINHUB_INSTANCE_PATH/.demo-loaded"
if [ ! -f "$marker" ]; then
    echo "== first run: demo data and accounts (timetable around today)"
    # the accounts file is replaced only by a demo made now (not by "already exists")
    fresh="$TRAINHUB_INSTANCE_PATH/demo-accounts.txt.new"
    .venv/bin/trainhub demo | tee "$fresh"
    if grep -q '^演示数据已创建' "$fresh"; then
        mv "$fresh" "$TRAINHUB_INSTANCE_PATH/demo-accounts.txt"
    else
        rm -f "$fresh"
    fi
    touch "$marker"
else
    echo "== demo data already loaded on $(date -r "$marker" +%F), its timetable around that day"
    echo "   (accounts: $TRAINHUB_INSTANCE_PATH/demo-accounts.txt; to renew it, stop, then delete"
    echo "   the database and $marker)"
fi

echo "== starting the job worker"
.venv/bin/trainhub worker &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM

echo "== serving on http://127.0.0.1:$port (Ctrl-C to stop)"
echo "   sign in as 'office' (or any account listed in $TRAINHUB_INSTANCE_PATH/demo-accounts.txt)"
.venv/bin/gunicorn --bind "127.0.0.1:$port" --workers "${TRAINHUB_WEB_WORKERS:-2}" \
    --access-logfile - --logger-class trainhub.accesslog.RedactingLogger 'trainhub:create_app()'
