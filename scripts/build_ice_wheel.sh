#!/usr/bin/env bash
# Build (once per machine) the zeroc-ice 3.6.5 wheel that omero-py needs.
#
# PyPI only has zeroc-ice 3.6.5 as source, which does not compile on Python 3.11 as
# published; two one-line fixes make it build. The wheel is cached in $WHEEL_CACHE, and a
# ready wheelhouse ($SHARED_WHEELHOUSE, by default ../shared/wheelhouse beside the checkout)
# is used when it has one.
# Prints the folder holding the wheel on its last line.
set -euo pipefail

PYTHON=${PYTHON:-python3}
WHEEL_CACHE=${WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/omero-cli-ngff/wheels}
HERE=$(cd "$(dirname "$0")/.." && pwd)
SHARED_WHEELHOUSE=${SHARED_WHEELHOUSE:-$HERE/../shared/wheelhouse}
ICE_VERSION=3.6.5

tag=$("$PYTHON" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')
pattern="zeroc_ice-${ICE_VERSION}-${tag}-${tag}-*.whl"
mkdir -p "$WHEEL_CACHE"

if compgen -G "$WHEEL_CACHE/$pattern" >/dev/null; then
    echo "$WHEEL_CACHE"; exit 0
fi
if [ -d "$SHARED_WHEELHOUSE" ] && compgen -G "$SHARED_WHEELHOUSE/$pattern" >/dev/null; then
    cp "$SHARED_WHEELHOUSE"/$pattern "$WHEEL_CACHE"/
    echo "$WHEEL_CACHE"; exit 0
fi

# The build needs a C++ compiler and the Python, OpenSSL and bzip2 headers.
missing=()
command -v g++ >/dev/null || missing+=(g++)
"$PYTHON" -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || missing+=(python3-dev)
echo '#include <openssl/ssl.h>' | g++ -E -x c++ - >/dev/null 2>&1 || missing+=(libssl-dev)
echo '#include <bzlib.h>' | g++ -E -x c++ - >/dev/null 2>&1 || missing+=(libbz2-dev)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing build dependencies: ${missing[*]}" >&2
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
    else
        echo "error: building zeroc-ice needs: ${missing[*]} (install them, e.g. with apt-get)" >&2
        exit 1
    fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "building zeroc-ice $ICE_VERSION for $tag (about 15 minutes on 2 cores, once)" >&2
"$PYTHON" -m pip download -q --no-deps --no-binary :all: "zeroc-ice==$ICE_VERSION" -d "$work" >&2
tar -xzf "$work"/zeroc-ice-$ICE_VERSION.tar.gz -C "$work"
src="$work/zeroc-ice-$ICE_VERSION"
# Python 3.11: eval.h was merged into Python.h, and frames are reached through an API.
sed -i 's|^#include <eval.h>|// eval.h: merged into Python.h|' "$src/src/Slice.cpp"
sed -i 's|PyThreadState_GET()->frame|PyEval_GetFrame()|' "$src/src/Util.cpp"
grep -q 'PyEval_GetFrame()' "$src/src/Util.cpp" || { echo "error: Util.cpp fix did not apply" >&2; exit 1; }
# setup.py directly: its build_ext compiles in parallel (-j), pip's wheel build would not.
# A throwaway venv holds the build tools, so the base interpreter stays untouched.
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/pip" install -q setuptools wheel >&2
# The compiler's warnings go to a log, shown only when the build fails.
progress="$HERE/scripts/with_progress.sh"
if ! (cd "$src" && bash "$progress" "compiling zeroc-ice" -- bash -c \
        '"$0" setup.py -q build_ext -j "$(nproc)" bdist_wheel -d "$1" > "$2" 2>&1' \
        "$work/venv/bin/python" "$WHEEL_CACHE" "$work/build.log"); then
    tail -n 40 "$work/build.log" >&2
    echo "error: zeroc-ice did not build (the last lines of its log are above)" >&2
    exit 1
fi
compgen -G "$WHEEL_CACHE/$pattern" >/dev/null || { echo "error: no wheel was built" >&2; exit 1; }
echo "$WHEEL_CACHE"
