//! A tiny admin HTTP endpoint for flipping faults on a running server.
//!
//! * `GET /stats` — [`crate::ServerStats`] as JSON.
//! * `GET /faults` — the armed switches ([`FaultState`]).
//! * `POST /faults` — a JSON [`FaultCommand`]; answers the switches after applying it.
//!
//! ```text
//! curl -X POST http://127.0.0.1:9100/faults -H 'content-type: application/json' \
//!      -d '{"delay_ms": 1500, "fail_next_requests": 2}'
//! ```

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tokio::net::TcpListener;

use crate::faults::FaultState;
use crate::server::{ServerHandle, ServerStats};

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
        if self.drop_connections {
            faults.drop_all_connections();
        }
    }
}

/// The admin routes for `server`.
pub fn router(server: ServerHandle) -> Router {
    Router::new()
        .route("/stats", get(stats))
        .route("/faults", get(faults).post(apply_faults))
        .with_state(server)
}

/// Serves the admin routes on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    server: ServerHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener, router(server))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn stats(State(server): State<ServerHandle>) -> Json<ServerStats> {
    Json(server.stats())
}

async fn faults(State(server): State<ServerHandle>) -> Json<FaultState> {
    Json(server.faults().state())
}

async fn apply_faults(
    State(server): State<ServerHandle>,
    Json(command): Json<FaultCommand>,
) -> Json<FaultState> {
    command.apply(&server);
    Json(server.faults().state())
}
