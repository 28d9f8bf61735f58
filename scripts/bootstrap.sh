#!/usr/bin/env bash
# Set up .venv with the plugin and its test tools; quick when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

wheels=$(bash scripts/build_ice_wheel.sh | tail -n 1)
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"

# Reinstall only when the declared dependencies change.
stamp="$VENV/.omero-cli-ngff-installed"
want=$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip >&2
    # compat mode puts the checkout on sys.path, where `omero` finds the plugin shim.
    bash scripts/with_progress.sh "installing the plugin and its dependencies" -- \
        "$VENV/bin/python" -m pip install -q --find-links "$wheels" \
        --config-settings editable_mode=compat -e ".[test,bench]" >&2
    echo "$want" > "$stamp"
fi
