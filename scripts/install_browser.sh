#!/usr/bin/env bash
# The browser tests need a headless Chromium: install Debian's `chromium` when it is
# missing and we may (root with apt-get). Otherwise say so; the tests then skip, or
# fail under CI=true (test_infra/browser.py).
set -euo pipefail
for bin in "${OMERO_NGFF_BROWSER:-chromium}" chromium chromium-browser google-chrome; do
    if command -v "$bin" >/dev/null 2>&1; then
        exit 0
    fi
done
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium for the browser tests (apt-get)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || {
        apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }
    exit 0
fi
echo "no chromium and not root: the browser tests will skip (fail with CI=true)" >&2
