# Shared by run.sh and test.sh: create .venv with Python 3.11+ and install the project into it.
# Re-installs only when setup.cfg or pyproject.toml changed since the last install.

find_python() {
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "trainhub needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

ensure_venv() {
    local target="$1"
    if [ ! -x .venv/bin/python ]; then
        local python
        python=$(find_python)
        echo "== creating .venv with $python"
        "$python" -m venv .venv
    fi
    local stamp=".venv/.trainhub-installed"
    local want
    want="$target $(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ] || ! grep -qxF "$want" "$stamp"; then
        echo "== installing trainhub $target"
        .venv/bin/python -m pip install --quiet --upgrade pip
        .venv/bin/python -m pip install --quiet -e "$target"
        echo "$want" >>"$stamp"
    fi
}
