#!/usr/bin/env bash
# Set up (if needed) and run the demo: publish the dev server's demo project to the
# local object store, then locate and verify it. `--serve` keeps the servers running.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m test_infra.demo "$@"
