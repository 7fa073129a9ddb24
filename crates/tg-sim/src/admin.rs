//! A tiny admin HTTP endpoint for flipping faults on a running server.
//!
//! * `GET /stats` — [`crate::ServerStats`] as JSON.
//! * `GET /faults` — the armed switches ([`FaultState`]).
//! * `POST /faults` — a JSON [`FaultCommand`]; answers the switches after applying it.
//! * `GET /ledger[?since=SEQ]` — when serving a world: its ledger ([`tg_world::LedgerEntry`],
//!   read-only), every message (account, chat, `random_id`, content hash, time), join, leave
//!   and reaction, from entry `SEQ` on; `404` for the built-in demo backend.
//!
//! ```text
//! curl -X POST http://127.0.0.1:9100/faults -H 'content-type: application/json' \
//!      -d '{"delay_ms": 1500, "fail_next_requests": 2}'
//! ```

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tg_world::LedgerEntry;
use tokio::net::TcpListener;

use crate::faults::FaultState;
use crate::server::{ServerHandle, ServerStats};
use crate::world_backend::SharedWorld;

/// What the admin routes reach: the server and, when it serves one, the world.
#[derive(Clone)]
struct Admin {
    server: ServerHandle,
    world: Option<SharedWorld>,
}

/// Fault switches to flip, all optional; unknown fields are rejected with a message naming
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultCommand {
    /// Disarm every switch first.
    #[serde(default)]
    pub clear: bool,
    /// Close every open connection now.
    #[serde(default)]
    pub drop_connections: bool,
    /// Close each of the next N accepted connections at once.
    pub refuse_next_connections: Option<u32>,
    /// Close the connection of each of the next N calls instead of answering.
    pub drop_next_requests: Option<u32>,
    /// Answer each of the next N calls with `500 INTERNAL`.
    pub fail_next_requests: Option<u32>,
    /// Delay every answer by this many milliseconds (0 turns delays off).
    pub delay_ms: Option<u64>,
    /// Delay answers to file part uploads by this many milliseconds (0: off).
    pub delay_uploads_ms: Option<u64>,
    /// Lose the next save of this file part once (see [`crate::Faults::lose_next_file_part`]).
    pub lose_file_part: Option<i32>,
}

impl FaultCommand {
    /// Applies the command to a server.
    pub fn apply(&self, server: &ServerHandle) {
        let faults = server.faults();
        if self.clear {
            faults.clear();
        }
        if let Some(count) = self.refuse_next_connections {
            faults.refuse_next_connections(count);
        }
        if let Some(count) = self.drop_next_requests {
            faults.drop_next_requests(count);
        }
        if let Some(count) = self.fail_next_requests {
            faults.fail_next_requests(count);
        }
        if let Some(millis) = self.delay_ms {
            faults.delay_answers(Duration::from_millis(millis));
        }
        if let Some(millis) = self.delay_uploads_ms {
            faults.delay_uploads(Duration::from_millis(millis));
        }
        if let Some(part) = self.lose_file_part {
            faults.lose_next_file_part(part);
        }
        if self.drop_connections {
            faults.drop_all_connections();
        }
    }
}

/// The admin routes for `server`, with `GET /ledger` when `world` is the served world.
pub fn router(server: ServerHandle, world: Option<SharedWorld>) -> Router {
    Router::new()
        .route("/stats", get(stats))
        .route("/faults", get(faults).post(apply_faults))
        .route("/ledger", get(ledger))
        .with_state(Admin { server, world })
}

/// Serves the admin routes on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    server: ServerHandle,
    world: Option<SharedWorld>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener, router(server, world))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn stats(State(admin): State<Admin>) -> Json<ServerStats> {
    Json(admin.server.stats())
}

async fn faults(State(admin): State<Admin>) -> Json<FaultState> {
    Json(admin.server.faults().state())
}

async fn apply_faults(
    State(admin): State<Admin>,
    Json(command): Json<FaultCommand>,
) -> Json<FaultState> {
    command.apply(&admin.server);
    Json(admin.server.faults().state())
}

/// `GET /ledger[?since=SEQ]`: entries from position `SEQ` on (default 0).
async fn ledger(
    State(admin): State<Admin>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<LedgerEntry>>, (StatusCode, String)> {
    let since = match query.as_deref() {
        None | Some("") => 0,
        Some(query) => query
            .strip_prefix("since=")
            .and_then(|value| value.parse::<usize>().ok())
            .ok_or_else(|| {
                (
                    StatusCode::BAD_REQUEST,
                    format!("bad query {query:?}: expected since=SEQ (a number)"),
                )
            })?,
    };
    let world = admin.world.ok_or((
        StatusCode::NOT_FOUND,
        "no ledger: tg-sim serves the built-in demo backend, not a world".to_owned(),
    ))?;
    let world = world
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(Json(
        world.ledger().get(since..).unwrap_or_default().to_vec(),
    ))
}
