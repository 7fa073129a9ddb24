#!/bin/sh
# Entrypoint of the tgfleet image: runs its arguments (`tgfleet ...`, `account-manager`, ...)
# after dropping empty environment variables, so that a key left empty in .env (compose
# passes `${RUST_LOG:-}` as an empty string) means "unset": the built-in default applies.
# The tgfleet binaries already treat empty settings as unset; RUST_LOG is the one that
# would otherwise differ (an empty filter logs nothing).
set -eu
for name in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=$/\1/p'); do
    unset "$name"
done
if [ "$#" -eq 0 ]; then
    set -- tgfleet --help
fi
exec "$@"
