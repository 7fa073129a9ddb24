#!/bin/sh
# DEMO ONLY (compose profile `demo`): every service in one process (`tgfleet run --all`)
# against tg-sim, on the demo clock: TGFLEET__CLOCK__SCALE from docker/demo.env and the
# origin tg-sim fixed in /demo/epoch (tg-sim runs with the same --time-scale and --epoch).
set -eu

dir=${DEMO_DIR:-/demo}
TGFLEET__CLOCK__ORIGIN=$(cat "$dir/epoch")
export TGFLEET__CLOCK__ORIGIN
exec tgfleet run --all
