#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite: the README's and CI's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/install_browser.sh
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
