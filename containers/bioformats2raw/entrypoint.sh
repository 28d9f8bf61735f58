#!/bin/sh
# Entrypoint of the omero-cli-ngff bioformats2raw image. Batch appends the job's
# `commands` (bioformats2raw's arguments: INPUT OUTPUT options...) to it. It
#   1. prints `bioformats2raw --version` first, into the job's log;
#   2. runs the conversion;
#   3. leaves that version text at OUTPUT/bioformats2raw.version whatever the outcome,
#      for the collector (afterwards, because --overwrite empties OUTPUT first);
#   4. exits with bioformats2raw's status, or 74 when the record cannot be written.
# Arguments that do not start with INPUT OUTPUT (--version, --help) go to
# bioformats2raw unchanged.
set -u
BF2RAW="${BF2RAW:-bioformats2raw}"
RECORD="${BF2RAW_VERSION_RECORD:-bioformats2raw.version}"

case "${1:-}" in
    ""|-*) exec "$BF2RAW" "$@" ;;
esac
if [ "$#" -lt 2 ]; then
    exec "$BF2RAW" "$@"
fi
output=$2

# --version exits non-zero (Converter.call() returns -1): keep its text, not its status
version=$("$BF2RAW" --version 2>&1)
printf 'bf2raw-job: bioformats2raw --version\n%s\n' "$version"

"$BF2RAW" "$@"
status=$?

if ! { mkdir -p "$output" && printf '%s\n' "$version" > "$output/$RECORD"; }; then
    echo "bf2raw-job: cannot write $output/$RECORD: run the container as root, or mount" \
         "the destination with -o allow_other and the container's --uid/--gid" >&2
    if [ "$status" -eq 0 ]; then
        status=74
    fi
fi
exit "$status"
