//! `/api/v1`: JSON over the store. Reads need any authenticated caller; writes need a
//! [`Writer`](crate::auth::Writer) and are recorded in the audit trail. The routes are
//! listed once, in [`ROUTES`], which builds the router and is checked against
//! `openapi.json` by a test.

pub mod accounts;
pub mod campaigns;
pub mod checks;
pub mod events;
pub mod groups;
pub mod messages;
pub mod query;
pub mod reviews;
pub mod stats;
pub mod system;

use crate::state::AppState;
use axum::Router;
use axum::routing::{MethodRouter, get, post};

/// A route: method, path (axum syntax, as in OpenAPI) and handler.
pub type Route = (&'static str, &'static str, fn() -> MethodRouter<AppState>);

/// Every `/api/v1` route.
pub const ROUTES: &[Route] = &[
    ("get", "/api/v1/accounts", || get(accounts::list)),
    ("get", "/api/v1/accounts/{label}", || get(accounts::detail)),
    ("post", "/api/v1/accounts/{label}/suspend", || {
        post(accounts::suspend)
    }),
    ("post", "/api/v1/accounts/{label}/resume", || {
        post(accounts::resume)
    }),
    ("post", "/api/v1/accounts/{label}/check", || {
        post(checks::request)
    }),
    ("get", "/api/v1/accounts/{label}/checks", || {
        get(checks::list)
    }),
    ("get", "/api/v1/groups", || get(groups::list)),
    ("get", "/api/v1/groups/{id}", || get(groups::detail)),
    ("post", "/api/v1/groups/import", || post(groups::import)),
    ("get", "/api/v1/campaigns", || get(campaigns::list)),
    ("post", "/api/v1/campaigns", || post(campaigns::create)),
    ("get", "/api/v1/campaigns/{id}", || get(campaigns::detail)),
    ("post", "/api/v1/campaigns/{id}/variants", || {
        post(campaigns::add_variant)
    }),
    ("post", "/api/v1/campaigns/{id}/pause", || {
        post(campaigns::pause)
    }),
    ("post", "/api/v1/campaigns/{id}/resume", || {
        post(campaigns::resume)
    }),
    ("get", "/api/v1/messages", || get(messages::list)),
    ("post", "/api/v1/messages", || post(messages::send)),
    ("get", "/api/v1/messages/{id}", || get(messages::detail)),
    ("get", "/api/v1/events", || get(events::list)),
    ("get", "/api/v1/events/stream", || get(events::stream)),
    ("get", "/api/v1/stats", || get(stats::show)),
    ("get", "/api/v1/reviews", || get(reviews::list)),
    ("post", "/api/v1/reviews", || post(reviews::request)),
    ("get", "/api/v1/heartbeats", || get(system::heartbeats)),
    ("get", "/api/v1/audit", || get(system::audit)),
    ("get", "/api/v1/openapi.json", || get(system::openapi)),
];

/// The API router.
pub fn router() -> Router<AppState> {
    ROUTES
        .iter()
        .fold(Router::new(), |router, (_, path, handler)| {
            router.route(path, handler())
        })
}
