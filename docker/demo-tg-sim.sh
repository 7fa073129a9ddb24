#!/bin/sh
# DEMO ONLY (compose profile `demo`): the simulated Telegram.
#
# On its first start it fixes the demo's epoch (/demo/epoch: the instant where simulated and
# real time coincide, shared with the fleet as TGFLEET__CLOCK__ORIGIN) and generates the
# scenario (/demo/scenario.toml) and the operator's import list (/demo/groups.txt); later
# starts reuse them, so the world matches what the demo database already knows. Then it
# serves the scenario on 0.0.0.0:4430 and writes one Telethon string session per account into
# /demo/sessions, pointing at TG_SIM_ADVERTISE (its static address on the demo network).
# Inputs (docker/demo.env, docker-compose.yml): TG_SIM_ADVERTISE, TGFLEET__CLOCK__SCALE,
# DEMO_ACCOUNTS, DEMO_GROUPS, DEMO_SEED, DEMO_VANISH_AFTER_SECS.
set -eu

dir=${DEMO_DIR:-/demo}
: "${TG_SIM_ADVERTISE:?TG_SIM_ADVERTISE (IP:PORT of tg-sim on the demo network) is not set}"
scale=${TGFLEET__CLOCK__SCALE:-60}

if [ ! -s "$dir/epoch" ]; then
    date -u +%Y-%m-%dT%H:%M:%SZ >"$dir/epoch.tmp"
    mv "$dir/epoch.tmp" "$dir/epoch"
fi
epoch=$(cat "$dir/epoch")

if [ ! -s "$dir/scenario.toml" ] || [ ! -s "$dir/groups.txt" ]; then
    epoch_secs=$(date -u -d "$epoch" +%s)
    vanish_at=$(date -u -d "@$((epoch_secs + ${DEMO_VANISH_AFTER_SECS:-21600}))" +%Y-%m-%dT%H:%M:%SZ)
    tg-sim generate \
        --accounts "${DEMO_ACCOUNTS:-5}" \
        --groups "${DEMO_GROUPS:-40}" \
        --seed "${DEMO_SEED:-7}" \
        --epoch "$epoch" \
        --vanish-at "$vanish_at" \
        --out "$dir/scenario.toml.tmp" \
        --import-list "$dir/groups.txt"
    mv "$dir/scenario.toml.tmp" "$dir/scenario.toml"
fi

# Fresh sessions every start: the healthcheck (admin /stats answering) then means "provisioned".
rm -rf "$dir/sessions"
echo "demo epoch $epoch, time scale $scale, advertised as $TG_SIM_ADVERTISE"
exec tg-sim \
    --scenario "$dir/scenario.toml" \
    --listen 0.0.0.0:4430 \
    --advertise "$TG_SIM_ADVERTISE" \
    --admin 0.0.0.0:9190 \
    --time-scale "$scale" \
    --epoch "$epoch" \
    --provision-dir "$dir/sessions"
