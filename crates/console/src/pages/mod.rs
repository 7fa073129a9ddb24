//! Server-rendered pages (minijinja templates compiled into the binary, auto-escaped),
//! a stylesheet with light and dark themes (`prefers-color-scheme`) and one small
//! script for the live feed and media uploads. Every page needs a session; the login
//! form has its own double-submit CSRF cookie.

mod forms;
mod login;
mod views;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, Value};
use serde::Serialize;
use std::sync::Arc;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("login.html", include_str!("../../templates/login.html")),
    (
        "overview.html",
        include_str!("../../templates/overview.html"),
    ),
    (
        "accounts.html",
        include_str!("../../templates/accounts.html"),
    ),
    ("account.html", include_str!("../../templates/account.html")),
    ("groups.html", include_str!("../../templates/groups.html")),
    ("group.html", include_str!("../../templates/group.html")),
    (
        "campaigns.html",
        include_str!("../../templates/campaigns.html"),
    ),
    (
        "campaign.html",
        include_str!("../../templates/campaign.html"),
    ),
    ("events.html", include_str!("../../templates/events.html")),
    ("reviews.html", include_str!("../../templates/reviews.html")),
    (
        "diagnostics.html",
        include_str!("../../templates/diagnostics.html"),
    ),
    ("error.html", include_str!("../../templates/error.html")),
];

const STYLESHEET: &str = include_str!("../../templates/console.css");
const SCRIPT: &str = include_str!("../../templates/console.js");

/// The compiled templates.
#[derive(Clone, Debug)]
pub struct Templates {
    env: Arc<Environment<'static>>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// Compiles every template (a broken template panics at start-up, and in tests).
    pub fn new() -> Self {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|error| panic!("template {name}: {error}"));
        }
        Self { env: Arc::new(env) }
    }

    /// Renders `name` with `context`.
    pub fn render(&self, name: &str, context: Value) -> Result<String, ApiError> {
        self.env
            .get_template(name)
            .and_then(|template| template.render(context))
            .map_err(|error| {
                tracing::error!(%error, template = name, "console: template failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "page failed to render (logged)",
                )
            })
    }
}

/// A page answer: HTML, or an error page, or a redirect to the login.
#[derive(Debug)]
pub enum Page {
    /// Rendered HTML.
    Html(String),
    /// Somewhere else.
    Redirect(String),
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        match self {
            Self::Html(html) => Html(html).into_response(),
            Self::Redirect(to) => Redirect::to(&to).into_response(),
        }
    }
}

/// An error shown as a page (with its status); 401 sends the browser to the login.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if self.0.status == StatusCode::UNAUTHORIZED {
            return Redirect::to("/login").into_response();
        }
        let message = self.0.message.clone();
        let html = Templates::new()
            .render(
                "error.html",
                minijinja::context! { status => self.0.status.as_u16(), message => message },
            )
            .unwrap_or(self.0.message);
        (self.0.status, Html(html)).into_response()
    }
}

/// Renders `template` for `caller` with `page` (the page's data) under `active` nav.
pub fn render<T: Serialize>(
    state: &AppState,
    caller: &Caller,
    template: &str,
    active: &str,
    page: T,
) -> Result<Page, PageError> {
    let context = minijinja::context! {
        page => Value::from(minijinja::value::Serde(&page)),
        operator => caller.actor(),
        csrf => caller.csrf(),
        active => active,
    };
    Ok(Page::Html(state.templates.render(template, context)?))
}

/// A page caller: a session, or the login page.
#[derive(Debug)]
pub struct Operator(pub Caller);

impl axum::extract::FromRequestParts<AppState> for Operator {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, PageError> {
        Ok(Self(
            <Caller as axum::extract::FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await?,
        ))
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        STYLESHEET,
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        SCRIPT,
    )
}

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/console.css", get(stylesheet))
        .route("/static/console.js", get(script))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/", get(views::overview))
        .route("/accounts", get(views::accounts))
        .route("/accounts/{label}", get(views::account))
        .route("/accounts/{label}/suspend", post(forms::suspend))
        .route("/accounts/{label}/resume", post(forms::resume))
        .route("/groups", get(views::groups))
        .route("/groups/import", post(forms::import))
        .route("/groups/{id}", get(views::group))
        .route(
            "/campaigns",
            get(views::campaigns).post(forms::create_campaign),
        )
        .route("/campaigns/{id}", get(views::campaign))
        .route("/campaigns/{id}/variants", post(forms::add_variant))
        .route("/campaigns/{id}/pause", post(forms::pause))
        .route("/campaigns/{id}/resume", post(forms::resume_campaign))
        .route("/events", get(views::events))
        .route("/reviews", get(views::reviews).post(forms::review_now))
        .route("/diagnostics", get(views::diagnostics))
        .route("/diagnostics/check", post(forms::check_account))
}
