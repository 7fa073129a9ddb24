#!/bin/sh
# DEMO ONLY (compose profile `demo`): one-shot preparation of the demo database, run before
# demo-fleet: migrations, the accounts tg-sim provisioned, the scenario's groups and a
# campaign with one variant. Safe to run again: tg-sim's sessions replace changed ones
# (--replace), known groups stay, and an existing campaign is kept.
set -eu

dir=${DEMO_DIR:-/demo}
TGFLEET__CLOCK__ORIGIN=$(cat "$dir/epoch")
export TGFLEET__CLOCK__ORIGIN

tgfleet migrate
tgfleet accounts import "$dir/sessions" --replace
tgfleet groups import "$dir/groups.txt" --tag demo

# Exit code 1 is a refusal (the campaign exists from an earlier run); 2 is a broken
# environment and fails the setup.
status=0
tgfleet campaigns create demo --all --interval 6h || status=$?
case $status in
0)
    tgfleet campaigns add-variant demo \
        --text "Hello from the tgfleet demo! (posted by a simulated account into a simulated group)"
    ;;
1) echo "demo-setup: keeping the existing campaign demo" ;;
*) exit "$status" ;;
esac
tgfleet campaigns list
tgfleet accounts list
