# tgfleet: every binary in one image — tgfleet (the CLI and `tgfleet run`), account-manager,
# marketer, activity, group-reviewer and tg-sim (the simulated Telegram of the demo).
#
#   docker compose build            (or: docker build -t tgfleet:local .)
#
# Nothing is needed at run time besides the binaries: the migrations (migrations/) are
# embedded by sqlx::migrate! in crates/store and the configuration defaults
# (tgfleet.example.toml) by include_str! in crates/config, both at compile time, so both
# must be in the build context (.dockerignore keeps them).

FROM rust:1.95-bookworm AS builder
WORKDIR /build
# Only what cargo reads, so that editing docker/ or the docs does not rebuild the workspace.
COPY Cargo.toml Cargo.lock ./
COPY crates crates
COPY xtask xtask
COPY tests tests
COPY migrations migrations
COPY tgfleet.example.toml ./
# --bins over the default members (crates/*): the six binaries below, nothing from xtask.
RUN cargo build --release --locked --bins \
 && mkdir /out \
 && cd target/release \
 && cp tgfleet account-manager marketer activity group-reviewer tg-sim /out/

FROM debian:bookworm-slim
# curl: the compose healthchecks (GET /health). chrono-tz embeds the time zone database,
# so no tzdata is needed.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tgfleet \
 && useradd --system --uid 10001 --gid tgfleet --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin tgfleet \
 && mkdir -p /sessions /demo \
 && chown tgfleet:tgfleet /demo
COPY --from=builder /out/tgfleet /out/account-manager /out/marketer /out/activity /out/group-reviewer /out/tg-sim /usr/local/bin/
COPY docker/entrypoint.sh docker/demo-tg-sim.sh docker/demo-setup.sh docker/demo-fleet.sh /usr/local/lib/tgfleet/
RUN chmod 0755 /usr/local/lib/tgfleet/*.sh
USER tgfleet:tgfleet
# /health and /metrics: tgfleet run 9180, account-manager 9181, marketer 9182,
# activity 9183, group-reviewer 9184; tg-sim (demo) MTProto 4430 and admin 9190.
EXPOSE 9180-9184 4430 9190
ENTRYPOINT ["/usr/local/lib/tgfleet/entrypoint.sh"]
CMD ["tgfleet", "--help"]
