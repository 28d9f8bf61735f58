#!/usr/bin/env bash
# Run a long command, saying it is still running at least every EVERY seconds (default
# 30) and how long it took at the end: a first set-up that compiles for minutes should
# not look stuck.   usage: with_progress.sh [--every N] "what" -- command [args...]
set -uo pipefail
every=30
if [ "${1:-}" = "--every" ]; then every=$2; shift 2; fi
what=$1; shift
[ "${1:-}" = "--" ] && shift
start=$(date +%s)
"$@" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
    for _ in $(seq 1 "$every"); do
        sleep 1
        kill -0 "$pid" 2>/dev/null || break 2
    done
    echo "  ... $what: still running, $(( $(date +%s) - start )) s so far" >&2
done
wait "$pid"
status=$?
elapsed=$(( $(date +%s) - start ))
if [ "$status" = 0 ]; then
    echo "  $what: done in $((elapsed / 60)) min $((elapsed % 60)) s" >&2
else
    echo "  $what: failed after $((elapsed / 60)) min $((elapsed % 60)) s (exit $status)" >&2
fi
exit "$status"
