//! The operator console and HTTP API of tgfleet: server-rendered pages and a JSON API
//! (`/api/v1`) over the store, behind operator logins (argon2id) and API tokens
//! (hashed, read or write scope), with CSRF on every form, rate-limited logins and an
//! audit trail of every write. Services learn about changes through the store's
//! `tgfleet_changes` notifications; the live feed listens on `tgfleet_events`.
//!
//! `tgfleet console` serves it (see the CLI); [`serve`] is the whole server.

pub mod api;
pub mod auth;
mod chart;
pub mod csrf;
pub mod error;
pub mod live;
pub mod pages;
pub mod payload;
pub mod secrets;
pub mod state;

use crate::live::LiveEvents;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::Arc;
use tgfleet_config::Settings;
use tgfleet_store::Store;
use tokio_util::sync::CancellationToken;

/// The whole application: `/health`, the pages, `/api/v1`, CSRF and security headers.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .merge(pages::router())
        .merge(api::router())
        .layer(middleware::from_fn_with_state(state.clone(), csrf::check))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// `GET /health`: 200 when the database answers (no authentication, no details).
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.database_date().await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Whether `addr` is reachable only from this machine.
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Serves the console on `console.listen` until `shutdown`. Logs a warning when the
/// address is not loopback (the console speaks plain HTTP: put TLS in front).
pub async fn serve(
    store: Store,
    settings: Arc<Settings>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let addr = settings.console.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| anyhow::anyhow!("console.listen: cannot listen on {addr}: {error}"))?;
    let bound = listener.local_addr()?;
    if !is_loopback(&bound) {
        tracing::warn!(
            %bound,
            "console: listening on a non-loopback address without TLS; put a TLS-terminating proxy in front and set console.secure_cookies"
        );
    }
    tracing::info!("Console on http://{bound}/ (API: http://{bound}/api/v1)");
    let live = LiveEvents::default();
    live.spawn(store.clone(), shutdown.clone());
    let app = router(AppState::new(store, settings, live));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.cancelled().await })
    .await?;
    Ok(())
}
